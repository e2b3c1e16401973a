import { readFileSync } from "node:fs";
import type { DType } from "../../model/spec.js";
import { MlprofError } from "../../util/errors.js";

/** One argument (input) or result (output) of an AOT-compiled function at one batch size. */
export interface AotTensor {
  index: number;
  /** The feed or fetch name (signature key, a "_bs<N>" suffix removed); "arg<i>" / "result<i>" when unnamed. */
  name: string;
  dtype: DType;
  /** The full shape, the batch dimension first. */
  shape: number[];
  /** Number of elements (the product of the shape). */
  count: number;
}

/** What a header written by tfcompile (saved_model_cli aot_compile_cpu) declares. */
export interface AotHeader {
  path: string;
  namespace: string;
  /** The class name without its "_bs<N>" suffix. */
  prefix: string;
  /** The full class name, e.g. "tfaot_model::simple_dnn_bs4". */
  className: string;
  batchSize: number;
  args: AotTensor[];
  results: AotTensor[];
}

/** A header of a combined model: argIndex[i] / resultIndex[i] is the position of the model's tensor i. */
export interface PositionedHeader extends AotHeader {
  argIndex: number[];
  resultIndex: number[];
}

/** One argument or result of a model, per batch element. */
export interface AotElementTensor {
  name: string;
  dtype: DType;
  /** The shape without the batch dimension. */
  shape: number[];
  /** Elements per batch element (CMSSW's argCountNoBatch / resultCountNoBatch). */
  count: number;
}

/** A model compiled for several batch sizes: what the runner and the CMSSW plugin are rendered from. */
export interface AotSignature {
  namespace: string;
  prefix: string;
  batchSizes: number[];
  /** The header of each batch size, in the order of batchSizes, with the positions of the model's tensors. */
  headers: PositionedHeader[];
  args: AotElementTensor[];
  results: AotElementTensor[];
}

/** XLA primitive types of the header's "logical function signature" and the model-file dtypes they are. */
const XLA_TYPES: Record<string, DType> = {
  f32: "float32",
  f64: "float64",
  s32: "int32",
  s64: "int64",
  pred: "bool",
};

function parseTensorList(text: string, where: string): { type: string; shape: number[] }[] {
  const out: { type: string; shape: number[] }[] = [];
  const re = /(?:(?:arg|result)\d+:\s*)?([a-z]+\d*)\[([\d,\s]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const dims = m[2]!.trim();
    out.push({ type: m[1]!, shape: dims === "" ? [] : dims.split(",").map((d) => Number(d.trim())) });
  }
  if (out.length === 0 && text.trim() !== "()") {
    throw new MlprofError(`${where}: cannot read the tensor list '${text}'`);
  }
  return out;
}

/**
 * Parses a header written by tfcompile: namespace, class and batch size (the class is named
 * "<prefix>_bs<N>", as cms-tfaot and MLProf name them), and per argument and result its element type,
 * shape and count (from the "logical function signature" comment, checked against argN_count()) and its
 * feed or fetch name (from the named accessors).
 */
export function parseAotHeader(text: string, path: string): AotHeader {
  const where = `AOT header ${path}`;
  const ns = /^namespace\s+(\S+)\s*\{\s*$/m.exec(text);
  const cls = /^class\s+(\S+)_bs(\d+)\s+final\s*:\s*public\s+tensorflow::XlaCompiledCpuFunction\b/m.exec(
    text,
  );
  if (!ns || !cls) {
    throw new MlprofError(
      `${where}: no class '<name>_bs<N> final : public tensorflow::XlaCompiledCpuFunction' in a namespace`,
    );
  }
  const batchSize = Number(cls[2]);
  const sig = /^\/\/\s+The logical function signature is:\s*\n\/\/\s+\((.*)\)\s*->\s*(.*)$/m.exec(text);
  if (!sig) throw new MlprofError(`${where}: the logical function signature comment is missing`);
  const results = sig[2]!.trim().replace(/^\((.*)\)$/, "$1");

  const tensors = (kind: "arg" | "result", list: { type: string; shape: number[] }[]): AotTensor[] =>
    list.map((t, index) => {
      const dtype = XLA_TYPES[t.type];
      if (!dtype) {
        throw new MlprofError(
          `${where}: ${kind} ${index} has the element type ${t.type}, which MLProf does not measure ` +
            "(float32, float64, int32, int64 and bool are supported)",
        );
      }
      const count = t.shape.reduce((a, b) => a * b, 1);
      const declared = new RegExp(
        `int\\s+${kind}${index}_count\\(\\)\\s*const\\s*\\{\\s*return\\s+(\\d+);`,
      ).exec(text);
      if (declared && Number(declared[1]) !== count) {
        throw new MlprofError(
          `${where}: ${kind}${index}_count() is ${declared[1]} but the signature's shape [${t.shape.join(", ")}] has ${count} elements`,
        );
      }
      return { index, name: `${kind}${index}`, dtype, shape: t.shape, count };
    });
  const args = tensors("arg", parseTensorList(sig[1]!, where));
  const res = tensors("result", parseTensorList(results, where));

  const suffix = new RegExp(`_bs${batchSize}$`);
  for (const m of text.matchAll(
    /void\s+set_arg_feed_(\w+)_data\(const void\* data\)\s*\{\s*set_arg_data\((\d+),/g,
  )) {
    const arg = args[Number(m[2])];
    if (arg) arg.name = m[1]!.replace(suffix, "");
  }
  for (const m of text.matchAll(
    /\*\s*result_fetch_(\w+)_data\(\)\s*\{\s*return\s+static_cast<[^>]+>\(result_data\((\d+)\)\)/g,
  )) {
    const result = res[Number(m[2])];
    if (result) result.name = m[1]!.replace(suffix, "");
  }
  return {
    path,
    namespace: ns[1]!,
    prefix: cls[1]!,
    className: `${ns[1]!}::${cls[1]!}_bs${batchSize}`,
    batchSize,
    args,
    results: res,
  };
}

/** Reads and parses a header file (parseAotHeader). */
export function readAotHeader(path: string): AotHeader {
  return parseAotHeader(readFileSync(path, "utf8"), path);
}

function perElement(h: AotHeader, t: AotTensor, kind: string): AotElementTensor {
  if (t.shape[0] !== h.batchSize) {
    throw new MlprofError(
      `AOT header ${h.path}: ${kind} '${t.name}' has the shape [${t.shape.join(", ")}], without the batch ` +
        `dimension ${h.batchSize} first; CMSSW's TensorFlowAOT splits every ${kind} by batch element`,
      "give every input and output of the serving signature a leading batch dimension (None)",
    );
  }
  return { name: t.name, dtype: t.dtype, shape: t.shape.slice(1), count: t.count / h.batchSize };
}

/**
 * Where each of the model's tensors (in the order of `base`) is in `list`, matched by name with the same
 * dtype and shape per batch element; undefined when the lists do not hold the same tensors.
 */
function indexMap(base: AotElementTensor[], list: AotElementTensor[]): number[] | undefined {
  if (list.length !== base.length) return undefined;
  const map = base.map((b) => list.findIndex((t) => JSON.stringify(t) === JSON.stringify(b)));
  return map.every((i) => i >= 0) && new Set(map).size === map.length ? map : undefined;
}

/**
 * Combines the headers of one model compiled for several batch sizes, as cms-tfaot's wrapper does:
 * namespace, class prefix, and the arguments and results per batch element must agree across sizes.
 * The model's order of arguments and results is that of the smallest batch size; tfcompile may order
 * them differently at another size (it follows the signature's map), so each header records where the
 * model's tensors are in it (argIndex, resultIndex).
 */
export function combineAotHeaders(headers: AotHeader[]): AotSignature {
  const sorted = [...headers].sort((a, b) => a.batchSize - b.batchSize);
  const first = sorted[0];
  if (!first) throw new MlprofError("no AOT headers to combine");
  const elements = (h: AotHeader) => ({
    args: h.args.map((t) => perElement(h, t, "argument")),
    results: h.results.map((t) => perElement(h, t, "result")),
  });
  const base = elements(first);
  const combined = sorted.map((h) => {
    const e = elements(h);
    if (h.namespace !== first.namespace || h.prefix !== first.prefix) {
      throw new MlprofError(`AOT headers ${first.path} and ${h.path} declare different classes`);
    }
    const argIndex = indexMap(base.args, e.args);
    const resultIndex = indexMap(base.results, e.results);
    if (!argIndex || !resultIndex) {
      throw new MlprofError(
        `AOT headers ${first.path} and ${h.path} disagree on the inputs or outputs per batch element`,
      );
    }
    return { ...h, argIndex, resultIndex };
  });
  const sizes = sorted.map((h) => h.batchSize);
  if (new Set(sizes).size !== sizes.length) throw new MlprofError("two AOT headers have the same batch size");
  return { namespace: first.namespace, prefix: first.prefix, batchSizes: sizes, headers: combined, ...base };
}

/** Whether every batch size has the model's arguments and results in the same positions (see combineAotHeaders). */
export function samePositions(signature: AotSignature): boolean {
  const identity = (map: number[]) => map.every((v, i) => v === i);
  return signature.headers.every((h) => identity(h.argIndex) && identity(h.resultIndex));
}
