import type { DType, InputSpec } from "../model/spec.js";
import type { InputKind } from "./job.js";

export type InputArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** Full shape of an input at a batch size (the batch dimension prepended when the input is batched). */
export function fullShape(input: InputSpec, batchSize: number): number[] {
  return input.batched ? [batchSize, ...input.shape] : [...input.shape];
}

/** Number of elements of a shape. */
export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Bytes of one element of each input type. */
export const DTYPE_BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, bool: 1 };

/** Bytes of the values of all inputs of one event at a batch size (as a float when beyond 2^53). */
export function inputBytes(inputs: InputSpec[], batchSize: number): number {
  return inputs.reduce(
    (sum, inp) => sum + elementCount(fullShape(inp, batchSize)) * DTYPE_BYTES[inp.dtype],
    0,
  );
}

/** Small, fast, seedable PRNG (mulberry32) returning floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates from a uniform generator (Box–Muller). */
function normalSource(uniform: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - uniform();
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function allocate(dtype: DType, n: number): InputArray {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "float64":
      return new Float64Array(n);
    case "int32":
      return new Int32Array(n);
    case "int64":
      return new BigInt64Array(n);
    case "bool":
      return new Uint8Array(n);
  }
}

/**
 * Fills the values of one input for one event: constant inputs get their `value`; otherwise
 * random (floats: standard normal; integers: uniform in `range`, default [0, 10); bool: fair coin),
 * incremental (0, 1, 2, … per element; bool alternates), zeros or ones.
 */
export function makeInputData(
  input: InputSpec,
  batchSize: number,
  kind: InputKind,
  seed: number,
): InputArray {
  const n = elementCount(fullShape(input, batchSize));
  const data = allocate(input.dtype, n);
  const isFloat = input.dtype === "float32" || input.dtype === "float64";
  let gen: (i: number) => number;
  if (input.value !== undefined) {
    const v = typeof input.value === "boolean" ? Number(input.value) : input.value;
    gen = () => v;
  } else if (kind === "zeros") {
    gen = () => 0;
  } else if (kind === "ones") {
    gen = () => 1;
  } else if (kind === "incremental") {
    gen = input.dtype === "bool" ? (i) => i % 2 : (i) => i;
  } else {
    const uniform = makeRng(seed);
    if (isFloat) gen = normalSource(uniform);
    else if (input.dtype === "bool") gen = () => (uniform() < 0.5 ? 0 : 1);
    else {
      const [lo, hi] = input.range ?? [0, 10];
      gen = () => lo + Math.floor(uniform() * (hi - lo));
    }
  }
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) data[i] = BigInt(gen(i));
  } else {
    for (let i = 0; i < n; i++) data[i] = gen(i);
  }
  return data;
}
