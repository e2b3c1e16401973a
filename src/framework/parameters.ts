/**
 * Typed task parameters. A parameter is defined once — its flag, kind, default, checks, whether it shapes
 * the outputs (`significant`) and how it appears in output paths (`path`) — and a set of them converts raw
 * command-line values into a typed object keyed by the set's keys.
 */
import { splitCsvExpand } from "../util/brace.js";
import { MlprofError } from "../util/errors.js";
import { shownValue } from "../util/names.js";

/** Kinds of command-line parameter values. */
export type ParamKind = "string" | "int" | "float" | "bool" | "ints" | "strings";

/** The value type of a kind. */
type KindValue<K extends ParamKind> = K extends "string"
  ? string
  : K extends "int" | "float"
    ? number
    : K extends "bool"
      ? boolean
      : K extends "ints"
        ? number[]
        : string[];

/** One parameter, spelled on the command line as --<flag>. `T` is its converted value's type. */
export interface Param<T> {
  readonly flag: string;
  readonly kind: ParamKind;
  readonly description: string;
  /** The value when the flag is not given; a parameter without one (and not required) may be undefined. */
  readonly default?: T;
  /** The default as the help shows it, where the value is a placeholder (0, "", auto) for a derived one. */
  readonly defaultText?: string;
  /** Strings: the allowed values. */
  readonly choices?: readonly string[];
  /** Strings: values shown as choices in the help without being the only ones allowed (e.g. "or a file"). */
  readonly helpChoices?: readonly string[];
  readonly required?: boolean;
  /** Lists of strings: apply brace expansion to each item. */
  readonly braceExpand?: boolean;
  /** The parameter shapes the outputs: it is part of output paths and of a scan's hash. */
  readonly significant?: boolean;
  /**
   * How the value appears in the run-parameter part of output paths (given the set's other values too),
   * and the part's place among them.
   */
  readonly path?: {
    readonly order: number;
    part(value: T, values: Record<string, unknown>): string | undefined;
  };
  /** Checks a converted value (throws an MlprofError naming the flag). */
  check?(value: T): void;
}

/** A set of parameters keyed by the name of their value. */
export type ParamSet = Record<string, Param<unknown>>;

/** The converted values of a parameter set. */
export type Values<S> = { [K in keyof S]: S[K] extends Param<infer T> ? T : never };

type Def<K extends ParamKind, T> = Omit<Param<T>, "kind"> & { kind?: K };

function define<K extends ParamKind>(kind: K) {
  return (def: Def<K, KindValue<K>>): Param<KindValue<K>> => ({ ...def, kind });
}

/** Constructors of parameters by kind; `optional*` ones have no default and may stay undefined. */
export const param = {
  string: define("string"),
  int: define("int"),
  float: define("float"),
  bool: define("bool"),
  ints: define("ints"),
  strings: define("strings"),
  optionalFloat: (def: Omit<Param<number | undefined>, "kind" | "default">): Param<number | undefined> => ({
    ...def,
    kind: "float",
  }),
  optionalInt: (def: Omit<Param<number | undefined>, "kind" | "default">): Param<number | undefined> => ({
    ...def,
    kind: "int",
  }),
};

/** Parses a boolean the way law does: True/False, true/false, yes/no, 1/0; a bare flag is true. */
export function parseBool(flag: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const v = String(value).trim().toLowerCase();
  if (v === "" || v === "true" || v === "yes" || v === "1") return true;
  if (v === "false" || v === "no" || v === "0") return false;
  throw new MlprofError(`--${flag}: expected True or False, found ${shownValue(String(value))}`);
}

/** Decimal integers and numbers as written on a command line (no hex, octal or binary forms). */
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function parseNumber(flag: string, value: unknown, integer: boolean): number {
  const s = String(value).trim();
  const n = Number(s);
  if (
    !(integer ? INTEGER : DECIMAL).test(s) ||
    !Number.isFinite(n) ||
    (integer && !Number.isSafeInteger(n))
  ) {
    throw new MlprofError(
      `--${flag}: expected ${integer ? "an integer" : "a number"}, found ${shownValue(String(value))}`,
    );
  }
  return n;
}

/** Converts a raw command-line value to the parameter's kind, with a clear error naming the flag. */
export function convertParam<T>(def: Param<T>, given: unknown): T {
  // a repeated flag: the last one wins, as with law's argparse
  const raw: unknown = Array.isArray(given) ? given.at(-1) : given;
  if (raw === undefined && def.required)
    throw new MlprofError(`--${def.flag} is required: ${def.description}`);
  if (raw === undefined) return def.default as T;
  let value: unknown;
  switch (def.kind) {
    case "string": {
      value = String(raw);
      if (def.choices && !def.choices.includes(value as string)) {
        throw new MlprofError(
          `--${def.flag}: expected one of ${def.choices.join(", ")}, found ${shownValue(String(value))}`,
        );
      }
      break;
    }
    case "int":
      value = parseNumber(def.flag, raw, true);
      break;
    case "float":
      value = parseNumber(def.flag, raw, false);
      break;
    case "bool":
      value = parseBool(def.flag, raw);
      break;
    case "ints": {
      const items = String(raw)
        .split(",")
        .map((x) => x.trim());
      if (items.some((x) => x === ""))
        throw new MlprofError(
          `--${def.flag}: expected a comma-separated list of integers, found ${items.length > 1 ? "an empty item in " : ""}'${String(raw)}'`,
        );
      value = items.map((x) => parseNumber(def.flag, x, true));
      break;
    }
    case "strings": {
      const text = String(raw);
      if (text.trim() === "") {
        value = [];
        break;
      }
      try {
        value = def.braceExpand
          ? splitCsvExpand(text, { keepEmpty: true })
          : text.split(",").map((x) => x.trim().replace(/^"(.*)"$/, "$1"));
      } catch (err) {
        if (err instanceof MlprofError) throw new MlprofError(`--${def.flag}: ${err.message}`, err.hint);
        throw err;
      }
      if ((value as string[]).some((x) => x === ""))
        throw new MlprofError(
          `--${def.flag}: expected a comma-separated list, found an empty item in '${text}'`,
        );
      break;
    }
  }
  return value as T;
}

/** Converts raw command-line values (keyed by flag) with a parameter set and runs the parameters' checks. */
export function parseParams<S extends ParamSet>(set: S, raw: Record<string, unknown>): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(set)) out[key] = convertParam(def, raw[def.flag]);
  for (const [key, def] of Object.entries(set)) {
    if (def.check && out[key] !== undefined) def.check(out[key]);
  }
  return out as Values<S>;
}

/** Values keyed by flag (as stored in manifests and passed on to other commands), in the set's order. */
export function flagRecord<S extends ParamSet>(set: S, values: Values<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(set)) out[def.flag] = (values as Record<string, unknown>)[key];
  return out;
}

/** Values stored by flag (a manifest's), back into a typed object; missing ones take their defaults. */
export function fromFlagRecord<S extends ParamSet>(set: S, stored: Record<string, unknown>): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(set))
    out[key] = def.flag in stored ? stored[def.flag] : def.default;
  return out as Values<S>;
}

/** The significant values of a set, keyed by flag: what shapes outputs (a scan's hash is made of them). */
export function significantRecord<S extends ParamSet>(set: S, values: Values<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(set))
    if (def.significant) out[def.flag] = (values as Record<string, unknown>)[key];
  return out;
}

/**
 * The output-path part of a set's values: the parts of its parameters with a `path`, in their order
 * (leaving out the keys in `without`).
 */
export function pathPart<S extends ParamSet>(set: S, values: Values<S>, without: string[] = []): string {
  const all = values as Record<string, unknown>;
  return Object.entries(set)
    .filter(([key, def]) => def.path && !without.includes(key))
    .sort(([, a], [, b]) => a.path!.order - b.path!.order)
    .map(([key, def]) => def.path!.part(all[key], all))
    .filter((p): p is string => p !== undefined && p !== "")
    .join("__");
}

/** An upper bound of a count or number: the largest value and why it is the limit (for the message). */
export interface Bound {
  max: number;
  why: string;
}

/** Refuses a value beyond a bound: "--flag: expected at most N (why), found V". */
export function checkBound(flag: string, value: number, bound?: Bound): void {
  if (bound && value > bound.max)
    throw new MlprofError(`--${flag}: expected at most ${bound.max} (${bound.why}), found ${value}`);
}

/** Checks that a count is a positive integer (not beyond `bound`, when given). */
export function positive(flag: string, bound?: Bound): (value: number) => void {
  return (value) => {
    if (!Number.isInteger(value) || value <= 0)
      throw new MlprofError(`--${flag}: expected a positive integer, found ${value}`);
    checkBound(flag, value, bound);
  };
}

/** Checks that a count is an integer >= 0 (not beyond `bound`, when given). */
export function nonNegative(flag: string, bound?: Bound): (value: number) => void {
  return (value) => {
    if (!Number.isInteger(value) || value < 0)
      throw new MlprofError(`--${flag}: expected an integer >= 0, found ${value}`);
    checkBound(flag, value, bound);
  };
}

/** A parameter set without some of its keys (e.g. plot options that do not apply to a task). */
export function omit<S extends ParamSet, K extends keyof S>(set: S, keys: readonly K[]): Omit<S, K> {
  const out: Record<string, Param<unknown>> = {};
  for (const [key, def] of Object.entries(set)) if (!keys.includes(key as K)) out[key] = def;
  return out as Omit<S, K>;
}
