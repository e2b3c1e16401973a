import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { MLP_BASE } from "../paths.js";
import { splitCsvExpand } from "../util/brace.js";
import { MlprofError } from "../util/errors.js";
import { INPUT_KINDS } from "../measure/job.js";

/** Kinds of command-line parameter values. */
export type ParamType = "string" | "int" | "float" | "bool" | "ints" | "strings";

/** One task parameter, spelled as on the command line (dashes). */
export interface ParamDef {
  name: string;
  type: ParamType;
  description: string;
  default?: string | number | boolean | number[] | string[];
  choices?: readonly string[];
  required?: boolean;
  /** Lists of strings: apply brace expansion to each item. */
  braceExpand?: boolean;
}

/** The spec's default CMSSW release and SCRAM architecture. */
export const DEFAULT_CMSSW_VERSION = "CMSSW_14_1_0_pre4";
export const DEFAULT_SCRAM_ARCH = "el9_amd64_gcc12";
/** Default model file: the spec's TensorFlow DNN 10x128 example. */
export const DEFAULT_MODEL_FILE = join(MLP_BASE, "examples", "dnn", "model_tf_l10u128.yaml");
/** Executors that can run a measurement. */
export const EXECUTORS = ["local", "cmssw"] as const;

export const VERSION_PARAM: ParamDef = {
  name: "version",
  type: "string",
  required: true,
  description: "name of the version of the outputs; each version has its own set of outputs",
};

export const MODEL_PARAMS: ParamDef[] = [
  {
    name: "model-file",
    type: "string",
    default: DEFAULT_MODEL_FILE,
    description:
      "the yaml file describing the model (relative paths are resolved from the working directory)",
  },
  {
    name: "model-name",
    type: "string",
    default: "",
    description: "when set, use this name in output paths instead of a hashed version of --model-file",
  },
  {
    name: "model-label",
    type: "string",
    default: "",
    description:
      "label of the model in plots; when empty: the yaml's label, else its name, else the model name",
  },
];

export const MULTI_MODEL_PARAMS: ParamDef[] = [
  {
    name: "model-files",
    type: "strings",
    required: true,
    braceExpand: true,
    description: "comma-separated model yaml files (brace expansion: model_{tf,onnx}_l10u128.yaml)",
  },
  {
    name: "model-names",
    type: "strings",
    default: [],
    description:
      "comma-separated model names for the output paths, one per model file; default: hashed file names",
  },
  {
    name: "model-labels",
    type: "strings",
    default: [],
    description:
      "comma-separated model labels for the plot, one per model file; default: from the yaml files",
  },
];

export const MEASUREMENT_PARAMS: ParamDef[] = [
  {
    name: "n-events",
    type: "int",
    default: 1,
    description: "number of events; inputs are drawn anew for each event",
  },
  { name: "n-calls", type: "int", default: 100, description: "number of timed inference calls per event" },
  {
    name: "n-warmup",
    type: "int",
    default: 10,
    description: "number of untimed warm-up calls per event, before the timed calls",
  },
  {
    name: "input-data",
    type: "string",
    default: "random",
    description: `kind of inputs: ${INPUT_KINDS.join(", ")} (random: standard normal floats), or a ROOT file (cmssw executor only)`,
  },
  {
    name: "threads",
    type: "int",
    default: 1,
    description: "intra-op threads of the engine (1, as one CMSSW stream)",
  },
  {
    name: "inter-op-threads",
    type: "int",
    default: 1,
    description: "inter-op threads where the engine has them (onnx, tf)",
  },
  {
    name: "warmup-duration",
    type: "float",
    default: 0,
    description: "warm up for at least this many seconds per event (besides --n-warmup calls)",
  },
  {
    name: "min-duration",
    type: "float",
    default: 0,
    description: "go on beyond --n-calls until an event's timed calls have lasted this many seconds",
  },
  {
    name: "cpu-affinity",
    type: "string",
    default: "",
    description:
      "pin the measurement process to these CPUs (taskset list, e.g. 0 or 2,3), recorded in the metadata",
  },
  {
    name: "tfaot-batch-rules",
    type: "string",
    default: "",
    description: "dash-separated batch rules of tfaot models, each 'target_size:size_1,size_2,...'",
  },
  {
    name: "executor",
    type: "string",
    default: "local",
    choices: EXECUTORS,
    description: "where the measurement runs",
  },
];

export const CMSSW_PARAMS: ParamDef[] = [
  {
    name: "cmssw-version",
    type: "string",
    default: DEFAULT_CMSSW_VERSION,
    description: "the CMSSW release of the measurement",
  },
  {
    name: "scram-arch",
    type: "string",
    default: DEFAULT_SCRAM_ARCH,
    description: "the SCRAM architecture of the measurement",
  },
];

export const MULTI_CMSSW_PARAMS: ParamDef[] = [
  {
    name: "cmssw-versions",
    type: "strings",
    default: [DEFAULT_CMSSW_VERSION],
    braceExpand: true,
    description: "comma-separated CMSSW releases (brace expansion: CMSSW_13_{3_1,2_4})",
  },
  {
    name: "scram-archs",
    type: "strings",
    default: [DEFAULT_SCRAM_ARCH],
    braceExpand: true,
    description: "comma-separated SCRAM architectures (brace expansion allowed)",
  },
];

export const BATCH_SIZE_PARAM: ParamDef = {
  name: "batch-size",
  type: "int",
  default: 1,
  description: "the batch size to measure",
};
export const BATCH_SIZES_PARAM: ParamDef = {
  name: "batch-sizes",
  type: "ints",
  default: [1, 2, 4],
  description: "comma-separated batch sizes",
};

export const PLOT_PARAMS: ParamDef[] = [
  { name: "y-log", type: "bool", default: false, description: "logarithmic y axis" },
  { name: "x-log", type: "bool", default: false, description: "logarithmic x axis" },
  { name: "y-min", type: "float", description: "minimum of the y axis" },
  { name: "y-max", type: "float", description: "maximum of the y axis" },
  {
    name: "bs-normalized",
    type: "bool",
    default: true,
    description: "divide the runtimes by the batch size",
  },
  {
    name: "error-style",
    type: "string",
    default: "band",
    choices: ["band", "bars"],
    description: "how the 16-84 % interval is drawn",
  },
  {
    name: "top-right-label",
    type: "string",
    default: "",
    description: "label over the top right corner of the plot",
  },
  {
    name: "file-types",
    type: "strings",
    default: ["pdf"],
    description: "comma-separated plot file types (pdf, png); an interactive .html is always written too",
  },
  {
    name: "plot-postfix",
    type: "string",
    default: "",
    description: "postfix added with two underscores to the plot file names",
  },
  {
    name: "view-cmd",
    type: "string",
    default: "",
    description: "command run on each plot file afterwards (e.g. imgcat, xdg-open)",
  },
];

/** Parses a boolean the way law does: True/False, true/false, yes/no, 1/0; a bare flag is true. */
export function parseBool(name: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  const v = String(value).trim().toLowerCase();
  if (v === "" || v === "true" || v === "yes" || v === "1") return true;
  if (v === "false" || v === "no" || v === "0") return false;
  throw new MlprofError(`--${name}: expected True or False, found '${String(value)}'`);
}

function parseNumber(name: string, value: unknown, integer: boolean): number {
  const s = String(value).trim();
  const n = Number(s);
  if (s === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new MlprofError(
      `--${name}: expected ${integer ? "an integer" : "a number"}, found '${String(value)}'`,
    );
  }
  return n;
}

/** Converts a raw command-line value to the parameter's type, with a clear error naming the parameter. */
export function convertParam(def: ParamDef, given: unknown): unknown {
  // a repeated flag: the last one wins, as with law's argparse
  const raw: unknown = Array.isArray(given) ? given.at(-1) : given;
  if (raw === undefined) return def.default;
  switch (def.type) {
    case "string": {
      const v = String(raw);
      if (def.choices && !def.choices.includes(v)) {
        throw new MlprofError(`--${def.name}: expected one of ${def.choices.join(", ")}, found '${v}'`);
      }
      return v;
    }
    case "int":
      return parseNumber(def.name, raw, true);
    case "float":
      return parseNumber(def.name, raw, false);
    case "bool":
      return parseBool(def.name, raw);
    case "ints": {
      const items = String(raw)
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "");
      if (items.length === 0)
        throw new MlprofError(
          `--${def.name}: expected a comma-separated list of integers, found '${String(raw)}'`,
        );
      return items.map((x) => parseNumber(def.name, x, true));
    }
    case "strings":
      return def.braceExpand
        ? splitCsvExpand(String(raw))
        : String(raw)
            .split(",")
            .map((x) => x.trim().replace(/^"(.*)"$/, "$1"))
            .filter((x) => x !== "");
  }
}

/** Checks that a count parameter is a positive integer. */
export function requirePositive(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0)
    throw new MlprofError(`--${name}: expected a positive integer, found ${value}`);
}

/** Checks that a count parameter is a non-negative integer. */
export function requireNonNegative(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0)
    throw new MlprofError(`--${name}: expected an integer >= 0, found ${value}`);
}

/** Resolves a model-file argument: relative to the working directory, then to MLP_BASE (as $MLP_BASE/examples/...). */
export function resolveModelFile(file: string): string {
  const expanded = file.replace(/\$MLP_BASE|\$\{MLP_BASE\}/g, MLP_BASE);
  const fromCwd = resolve(expanded);
  if (existsSync(fromCwd)) return fromCwd;
  const fromBase = resolve(MLP_BASE, expanded);
  return existsSync(fromBase) ? fromBase : fromCwd;
}

/** Converts raw command-line arguments into typed parameters keyed by their dashed names, defaults applied. */
export function convertArgs(params: ParamDef[], raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of params) out[def.name] = convertParam(def, raw[def.name]);
  return out;
}
