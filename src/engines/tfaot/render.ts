import { basename, dirname } from "node:path";
import type Nunjucks from "nunjucks";
import { lazyRequire } from "../../util/lazy.js";
import type { DType } from "../../model/spec.js";
import type { AotElementTensor, AotSignature } from "./header.js";

/** Loaded on first use (see util/lazy.ts). */
const nunjucks = lazyRequire<typeof Nunjucks>("nunjucks");

/** Per model-file dtype: the C++ element type, the core's DType enumerator and CMSSW's tfaot array type. */
const TYPES: Record<DType, { ctype: string; dtypeEnum: string; array: string }> = {
  float32: { ctype: "float", dtypeEnum: "Float32", array: "tfaot::FloatArrays" },
  float64: { ctype: "double", dtypeEnum: "Float64", array: "tfaot::DoubleArrays" },
  int32: { ctype: "int32_t", dtypeEnum: "Int32", array: "tfaot::Int32Arrays" },
  int64: { ctype: "int64_t", dtypeEnum: "Int64", array: "tfaot::Int64Arrays" },
  bool: { ctype: "bool", dtypeEnum: "Bool", array: "tfaot::BoolArrays" },
};

function tensor(t: AotElementTensor, index: number) {
  const types = TYPES[t.dtype];
  return {
    index,
    name: t.name,
    dtype: t.dtype,
    dtype_enum: types.dtypeEnum,
    ctype: types.ctype,
    array: types.array,
    shape: t.shape,
    count: t.count,
  };
}

/**
 * The template context of an AOT-compiled model, shared by the local runner and the CMSSW plugin templates:
 * namespace, class prefix, batch sizes, headers (file name, batch size, class, positions of the model's
 * arguments and results in the compiled function) and, per argument and result
 * (each its own count: the original's renderer sized the outputs by the number of inputs), name, dtype,
 * C++ type, tfaot array type, shape and count per batch element.
 */
export function aotTemplateContext(signature: AotSignature): Record<string, unknown> {
  return {
    namespace: signature.namespace,
    prefix: signature.prefix,
    batch_sizes: signature.batchSizes,
    headers: signature.headers.map((h) => ({
      file: basename(h.path),
      batch_size: h.batchSize,
      class_name: h.className,
      arg_index: h.argIndex,
      result_index: h.resultIndex,
    })),
    args: signature.args.map(tensor),
    results: signature.results.map(tensor),
  };
}

/** Renders a Nunjucks template file (no escaping, undefined variables are errors) with a context. */
export function renderTemplateFile(path: string, context: Record<string, unknown>): string {
  const env = new (nunjucks().Environment)(new (nunjucks().FileSystemLoader)(dirname(path)), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  return env.render(basename(path), context);
}
