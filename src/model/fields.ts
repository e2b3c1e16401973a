/** Validation of the parts of a model file that every engine shares, with messages naming file and field. */
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { MlprofError } from "../util/errors.js";
import { DTYPES, type DType, type InputSpec, type OutputSpec } from "./spec.js";

/** Whether a name holds control characters (NUL, newlines, escapes): no tensor name does, and they garble messages. */
const hasControl = (name: string): boolean => [...name].some((c) => c.charCodeAt(0) < 0x20 || c === "\u007f");

/** A yaml mapping. */
export type Obj = Record<string, unknown>;

/** Whether a parsed yaml value is a mapping. */
export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reports a problem of a field: "model file F: field 'x': expected E, found V". */
export type Fail = (field: string, expected: string, found: unknown) => never;

/** A short rendering of a found value for messages. */
export function show(v: unknown): string {
  if (v === undefined) return "nothing";
  // NaN and the infinities as YAML's .nan and .inf give them, not as JSON's null
  const s = JSON.stringify(v, (_key, x: unknown) =>
    typeof x === "number" && !Number.isFinite(x) ? `\u0000${String(x)}\u0000` : x,
  ).replace(/"\\u0000([^"\\]*)\\u0000"/g, "$1");
  return s.length > 60 ? s.slice(0, 57) + "..." : s;
}

/** The Fail function of a model file. */
export function failFor(yamlPath: string): Fail {
  return (field, expected, found) => {
    throw new MlprofError(
      `model file ${yamlPath}: field '${field}': expected ${expected}, found ${show(found)}`,
    );
  };
}

/** What an engine's section validator is given besides the yaml mappings. */
export interface SectionContext {
  yamlPath: string;
  fail: Fail;
  /** Resolves a path of the model file relative to the yaml's folder. */
  resolvePath(p: string): string;
}

/** The section context of a model file. */
export function sectionContext(yamlPath: string): SectionContext {
  const dir = dirname(yamlPath);
  return { yamlPath, fail: failFor(yamlPath), resolvePath: (p) => (isAbsolute(p) ? p : resolve(dir, p)) };
}

/**
 * A required path field that must name an existing file (kind "file") or folder ("dir"); `missing` and
 * `absent` are the expectations named when the field is not a path or names nothing that exists.
 */
export function existingPath(
  m: Obj,
  key: string,
  kind: "file" | "dir",
  expected: { missing: string; absent: string },
  ctx: SectionContext,
): string {
  const v = m[key];
  if (typeof v !== "string" || v === "") ctx.fail(`model.${key}`, expected.missing, v);
  const path = ctx.resolvePath(v as string);
  const found = pathKind(path);
  if (found !== (kind === "file" ? "a regular file" : "a folder")) {
    ctx.fail(`model.${key}`, expected.absent, found === "nothing" ? path : `${found}: ${path}`);
  }
  return path;
}

/**
 * What a path is: "nothing" when it does not exist, "a regular file", "a folder", "a FIFO (named pipe)",
 * "a socket", "a device" (symbolic links followed).
 */
export function pathKind(path: string): string {
  if (!existsSync(path)) return "nothing";
  const st = statSync(path);
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a folder";
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isSocket()) return "a socket";
  return "a device";
}

/** Validates the `inputs` list: names, shapes, dtypes, constants, ranges; unique names. */
export function validateInputs(inputs: unknown, fail: Fail): InputSpec[] {
  if (!Array.isArray(inputs) || inputs.length === 0)
    fail("model.inputs", "a non-empty list of inputs", inputs);
  const list = inputs as unknown[];
  if (list.length >= 1000) fail("model.inputs", "fewer than 1000 inputs", list.length);
  const specs = list.map((inp, i) => validateInput(inp, `model.inputs[${i}]`, fail));
  const names = specs.map((x) => x.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0) fail(`model.inputs[${dup}].name`, "unique input names", names[dup]);
  if (!specs.some((x) => x.batched && x.value === undefined)) {
    fail("model.inputs", "at least one batched, non-constant input", inputs);
  }
  return specs;
}

/** Validates the `outputs` list: each an object with a name. */
export function validateOutputs(outputs: unknown, fail: Fail): OutputSpec[] {
  if (!Array.isArray(outputs) || outputs.length === 0)
    fail("model.outputs", "a non-empty list of outputs", outputs);
  const specs = (outputs as unknown[]).map((out, i) => {
    if (!isObj(out) || typeof out.name !== "string" || out.name === "" || hasControl(out.name)) {
      const found = isObj(out) ? out.name : out;
      return fail(`model.outputs[${i}].name`, "an output name (without control characters)", found);
    }
    return { name: out.name };
  });
  const names = specs.map((o) => o.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0) fail(`model.outputs[${dup}].name`, "unique output names", names[dup]);
  return specs;
}

function validateInput(inp: unknown, field: string, fail: Fail): InputSpec {
  if (!isObj(inp)) fail(field, "a mapping with 'name' and 'shape'", inp);
  const o = inp as Obj;
  for (const key of Object.keys(o)) {
    if (!["name", "shape", "dtype", "value", "batched", "range"].includes(key)) {
      fail(`${field}.${key}`, "one of name, shape, dtype, value, batched, range", key);
    }
  }
  if (typeof o.name !== "string" || o.name === "" || hasControl(o.name))
    fail(`${field}.name`, "an input name (without control characters)", o.name);
  const shape = o.shape ?? [];
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    fail(`${field}.shape`, "a list of positive integers (without the batch dimension)", shape);
  }
  const dtype = o.dtype ?? "float32";
  if (typeof dtype !== "string" || !(DTYPES as readonly string[]).includes(dtype)) {
    fail(`${field}.dtype`, `one of ${DTYPES.join(", ")}`, dtype);
  }
  // a constant without a shape is a scalar without batch dimension (a TF1 Keras learning-phase flag)
  const batched = o.batched ?? !(o.value !== undefined && o.shape === undefined);
  if (typeof batched !== "boolean") fail(`${field}.batched`, "true or false", batched);
  const spec: InputSpec = {
    name: o.name as string,
    shape: shape as number[],
    dtype: dtype as DType,
    batched: batched as boolean,
  };
  if (o.value !== undefined) {
    const expected = valueProblem(dtype as DType, o.value);
    if (expected) fail(`${field}.value`, expected, o.value);
    spec.value = o.value as number | boolean;
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
    if (!(dtype as string).startsWith("int"))
      fail(`${field}.range`, "a range only for int32/int64 inputs", r);
    const [low, high] = r as [number, number];
    const { min, max, text } = INTEGER_LIMITS[dtype as "int32" | "int64"];
    // high is exclusive: the largest value drawn is high - 1
    if (low < min || high - 1 > max) fail(`${field}.range`, `[low, high) with values ${text}`, r);
    spec.range = [low, high];
  }
  return spec;
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The integer values an input of an integer type may take: int32's own range; int64 within ±2^53, where
 * a yaml number (a double) still holds every integer exactly (beyond, 1e20 would be fed as another value).
 */
const INTEGER_LIMITS = {
  int32: { min: -(2 ** 31), max: 2 ** 31 - 1, text: "from -2147483648 to 2147483647 (int32)" },
  int64: {
    min: -(2 ** 53),
    max: 2 ** 53,
    text: "within ±2^53 = ±9007199254740992 (larger int64 values are not exact as yaml numbers)",
  },
} as const;

/**
 * What a constant `value` of an input of `dtype` must be, when `value` is not one (undefined when it is):
 * bool true or false; integers within the type's range (INTEGER_LIMITS); float32 a number within its
 * finite range (or .nan, .inf, which it holds); float64 any number.
 */
export function valueProblem(dtype: DType, value: unknown): string | undefined {
  if (dtype === "bool") return typeof value === "boolean" ? undefined : "true or false";
  if (typeof value !== "number") return `a ${dtype} number`;
  if (dtype === "float64") return undefined;
  if (dtype === "float32") {
    return Number.isFinite(value) && Math.abs(value) > FLOAT32_MAX
      ? `a float32 number within ±${FLOAT32_MAX} (a larger one becomes infinity)`
      : undefined;
  }
  const { min, max, text } = INTEGER_LIMITS[dtype];
  if (Number.isNaN(value)) return `an integer ${text} (${dtype} has no NaN)`;
  if (!Number.isInteger(value) || value < min || value > max) return `an integer ${text}`;
  return undefined;
}
