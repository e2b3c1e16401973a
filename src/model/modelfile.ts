import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseDocument } from "yaml";
import { MlprofError } from "../util/errors.js";

/** Element types an input may have. */
export const DTYPES = ["float32", "float64", "int32", "int64", "bool"] as const;
export type DType = (typeof DTYPES)[number];

/** Inference engines a model file may name. */
export const ENGINES = ["tf", "onnx", "tfaot"] as const;
export type EngineName = (typeof ENGINES)[number];

/** One declared model input. `shape` excludes the batch dimension when `batched`. */
export interface InputSpec {
  name: string;
  shape: number[];
  dtype: DType;
  /** When set, the input is constant (e.g. a training flag fed `false`) instead of drawn per event. */
  value?: number | boolean;
  /** Whether the input carries a leading batch dimension (default true). */
  batched: boolean;
  /** Range [low, high) of random integers for integer inputs (default [0, 10)). */
  range?: [number, number];
}

/** Compilation settings of a tfaot model (the yaml's top-level `compilation`). */
export interface Compilation {
  batchSizes: number[];
  tfXlaFlags: string[];
  xlaFlags: string[];
}

/** A validated model file. Paths are absolute. */
export interface ModelSpec {
  yamlPath: string;
  name?: string;
  label?: string;
  version?: string;
  engine: EngineName;
  /** Graph file (.pb or .onnx) for tf and onnx models. */
  file?: string;
  /** SavedModel directory for tfaot models. */
  savedModel?: string;
  servingKey?: string;
  inputs: InputSpec[];
  outputs: { name: string }[];
  compilation?: Compilation;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/** Reads and validates a model file; every problem is reported with the file and field it concerns. */
export function loadModelFile(path: string): ModelSpec {
  const yamlPath = resolve(path);
  if (!existsSync(yamlPath)) throw new MlprofError(`model file ${yamlPath} does not exist`);
  if (!statSync(yamlPath).isFile()) throw new MlprofError(`model file ${yamlPath} is not a file`);
  const doc = parseDocument(readFileSync(yamlPath, "utf8"), { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new MlprofError(`model file ${yamlPath} is not valid YAML: ${doc.errors[0]!.message}`);
  }
  return validateModelData(doc.toJS() as unknown, yamlPath);
}

/** Validates parsed model-file data; `yamlPath` is used for messages and to resolve relative paths. */
export function validateModelData(data: unknown, yamlPath: string): ModelSpec {
  const fail = (field: string, expected: string, found: unknown): never => {
    throw new MlprofError(
      `model file ${yamlPath}: field '${field}': expected ${expected}, found ${show(found)}`,
    );
  };
  if (!isObj(data)) fail("(top level)", "a mapping with a 'model' key", data);
  const top = data as Obj;
  for (const key of Object.keys(top)) {
    if (key !== "model" && key !== "compilation") fail(key, "only the keys 'model' and 'compilation'", key);
  }
  const model = top.model;
  if (!isObj(model)) fail("model", "a mapping", model);
  const m = model as Obj;

  const optString = (key: string): string | undefined => {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "number") return String(v);
    if (typeof v !== "string" || v.trim() === "") fail(`model.${key}`, "a non-empty string", v);
    return v as string;
  };
  const name = optString("name");
  if (name !== undefined && !/^[A-Za-z0-9_.+-]+$/.test(name)) {
    fail("model.name", "a name of letters, digits, '_', '.', '+' or '-' (it becomes part of paths)", name);
  }
  const label = optString("label");
  const version = optString("version");
  const engine = m.inference_engine;
  if (typeof engine !== "string" || !(ENGINES as readonly string[]).includes(engine)) {
    fail("model.inference_engine", `one of ${ENGINES.join(", ")}`, engine);
  }
  const eng = engine as EngineName;
  const dir = dirname(yamlPath);
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));

  const spec: ModelSpec = { yamlPath, name, label, version, engine: eng, inputs: [], outputs: [] };
  const known = new Set(["name", "label", "version", "inference_engine", "inputs", "outputs"]);

  if (eng === "tfaot") {
    known.add("saved_model").add("serving_key");
    const sm = m.saved_model;
    if (typeof sm !== "string" || sm === "")
      fail("model.saved_model", "the path of a SavedModel directory", sm);
    spec.savedModel = resolvePath(sm as string);
    if (!existsSync(spec.savedModel) || !statSync(spec.savedModel).isDirectory()) {
      fail("model.saved_model", "an existing SavedModel directory", spec.savedModel);
    }
    const key = m.serving_key ?? "serving_default";
    if (typeof key !== "string" || key === "") fail("model.serving_key", "a non-empty string", key);
    spec.servingKey = key as string;
    spec.compilation = validateCompilation(top.compilation, fail);
  } else {
    known.add("file");
    const file = m.file;
    if (typeof file !== "string" || file === "")
      fail("model.file", `the path of the ${eng} model file`, file);
    spec.file = resolvePath(file as string);
    if (!existsSync(spec.file) || !statSync(spec.file).isFile()) {
      fail("model.file", "an existing file", spec.file);
    }
    if (top.compilation !== undefined)
      fail("compilation", "no 'compilation' block (only tfaot models have one)", "a block");
  }
  for (const key of Object.keys(m)) {
    if (!known.has(key)) fail(`model.${key}`, `one of the known keys ${[...known].join(", ")}`, key);
  }

  // inputs and outputs: required for tf and onnx, optional for tfaot (taken from the SavedModel)
  const inputs = m.inputs;
  if (inputs !== undefined || eng !== "tfaot") {
    if (!Array.isArray(inputs) || inputs.length === 0)
      fail("model.inputs", "a non-empty list of inputs", inputs);
    if ((inputs as unknown[]).length >= 1000)
      fail("model.inputs", "fewer than 1000 inputs", (inputs as unknown[]).length);
    spec.inputs = (inputs as unknown[]).map((inp, i) => validateInput(inp, `model.inputs[${i}]`, fail));
    const names = spec.inputs.map((x) => x.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) fail("model.inputs", "unique input names", dup);
    if (!spec.inputs.some((x) => x.batched && x.value === undefined)) {
      fail("model.inputs", "at least one batched, non-constant input", inputs);
    }
  }
  const outputs = m.outputs;
  if (outputs !== undefined || eng !== "tfaot") {
    if (!Array.isArray(outputs) || outputs.length === 0)
      fail("model.outputs", "a non-empty list of outputs", outputs);
    spec.outputs = (outputs as unknown[]).map((out, i) => {
      if (!isObj(out) || typeof out.name !== "string" || out.name === "") {
        return fail(`model.outputs[${i}].name`, "an output name", isObj(out) ? out.name : out);
      }
      return { name: out.name };
    });
  }
  return spec;
}

type Fail = (field: string, expected: string, found: unknown) => never;

function validateInput(inp: unknown, field: string, fail: Fail): InputSpec {
  if (!isObj(inp)) fail(field, "a mapping with 'name' and 'shape'", inp);
  const o = inp as Obj;
  for (const key of Object.keys(o)) {
    if (!["name", "shape", "dtype", "value", "batched", "range"].includes(key)) {
      fail(`${field}.${key}`, "one of name, shape, dtype, value, batched, range", key);
    }
  }
  if (typeof o.name !== "string" || o.name === "") fail(`${field}.name`, "an input name", o.name);
  const shape = o.shape ?? [];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    fail(`${field}.shape`, "a list of positive integers (without the batch dimension)", shape);
  }
  const dtype = o.dtype ?? "float32";
  if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
    fail(`${field}.dtype`, `one of ${DTYPES.join(", ")}`, dtype);
  }
  const batched = o.batched ?? true;
  if (typeof batched !== "boolean") fail(`${field}.batched`, "true or false", batched);
  const spec: InputSpec = {
    name: o.name as string,
    shape: shape as number[],
    dtype: dtype as DType,
    batched: batched as boolean,
  };
  if (o.value !== undefined) {
    const v = o.value;
    const ok =
      dtype === "bool"
        ? typeof v === "boolean"
        : typeof v === "number" && (dtype.startsWith("float") || Number.isInteger(v));
    if (!ok) fail(`${field}.value`, dtype === "bool" ? "true or false" : `a ${dtype} number`, v);
    spec.value = v as number | boolean;
  }
  if (o.range !== undefined) {
    const r = o.range;
    if (
      !Array.isArray(r) ||
      r.length !== 2 ||
      !r.every(Number.isInteger) ||
      (r[0] as number) >= (r[1] as number)
    ) {
      fail(`${field}.range`, "[low, high) with integers low < high", r);
    }
    if (!dtype.startsWith("int")) fail(`${field}.range`, "a range only for int32/int64 inputs", r);
    spec.range = r as [number, number];
  }
  return spec;
}

function validateCompilation(c: unknown, fail: Fail): Compilation {
  if (!isObj(c))
    return fail("compilation", "a mapping with batch_sizes, tf_xla_flags, xla_flags (tfaot models)", c);
  for (const key of Object.keys(c)) {
    if (!["batch_sizes", "tf_xla_flags", "xla_flags"].includes(key)) {
      fail(`compilation.${key}`, "one of batch_sizes, tf_xla_flags, xla_flags", key);
    }
  }
  const bs = c.batch_sizes;
  if (!Array.isArray(bs) || bs.length === 0 || !bs.every((b) => Number.isInteger(b) && (b as number) > 0)) {
    fail("compilation.batch_sizes", "a non-empty list of positive integers", bs);
  }
  const flags = (key: string): string[] => {
    const v = c[key] ?? [];
    if (!Array.isArray(v) || !v.every((f) => typeof f === "string"))
      fail(`compilation.${key}`, "a list of flags", v);
    return v as string[];
  };
  const sizes = [...new Set(bs as number[])].sort((a, b) => a - b);
  return { batchSizes: sizes, tfXlaFlags: flags("tf_xla_flags"), xlaFlags: flags("xla_flags") };
}
