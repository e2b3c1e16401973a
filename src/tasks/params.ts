/**
 * The parameters the tasks share (spelled as in the original MLProf): the version, the model(s), the
 * measurement settings, the release(s), batch sizes and plot options. Those that shape outputs are marked
 * `significant`; the measurement settings carry their part of the output path.
 */
import { availableParallelism } from "node:os";
import { DEFAULT_PALETTE, PALETTES } from "../plot/palette.js";
import { join } from "node:path";
import { withEngineParams } from "../engines/params.js";
import { executorNames } from "../executors/registry.js";
import { INPUT_KINDS } from "../measure/job.js";
import type { RunSettings } from "../measure/run.js";
import { MLP_BASE } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { shortHash } from "../util/hash.js";
import { cpuList } from "../util/cpus.js";
import { checkName } from "../util/names.js";
import { findExecutable } from "../util/which.js";
import {
  checkBound,
  nonNegative,
  param,
  pathPart,
  positive,
  type Bound,
  type Values,
} from "../framework/parameters.js";

/**
 * Fresh processes per measurement by default: three give an across-process interval (Student's t with two
 * degrees of freedom) and keep the calibration's false verdicts under 5 % (see the README's statistics).
 */
export const DEFAULT_REPEATS = 3;

/** The spec's default CMSSW release and SCRAM architecture. */
export const DEFAULT_CMSSW_VERSION = "CMSSW_14_1_0_pre4";
export const DEFAULT_SCRAM_ARCH = "el9_amd64_gcc12";
/** Default model file: the spec's TensorFlow DNN 10x128 example. */
export const DEFAULT_MODEL_FILE = join(MLP_BASE, "examples", "dnn", "model_tf_l10u128.yaml");

export const VERSION = param.string({
  flag: "version",
  required: true,
  significant: true,
  description: "name of the version of the outputs; each version has its own set of outputs",
  check: (v) => void checkName("--version", v),
});

export const MODEL_PARAMS = {
  modelFile: param.string({
    flag: "model-file",
    default: DEFAULT_MODEL_FILE,
    significant: true,
    description:
      "the yaml file describing the model (relative paths are resolved from the working directory)",
  }),
  modelName: param.string({
    flag: "model-name",
    default: "",
    significant: true,
    description: "when set, use this name in output paths instead of a hashed version of --model-file",
    check: (v) => void (v && checkName("--model-name", v)),
  }),
  modelLabel: param.string({
    flag: "model-label",
    default: "",
    description:
      "label of the model in plots; when empty: the yaml's label, else its name, else the model name",
  }),
};

export const MULTI_MODEL_PARAMS = {
  modelFiles: param.strings({
    flag: "model-files",
    required: true,
    braceExpand: true,
    significant: true,
    description: "comma-separated model yaml files (brace expansion: model_{tf,onnx}_l10u128.yaml)",
  }),
  modelNames: param.strings({
    flag: "model-names",
    default: [],
    significant: true,
    defaultText: "hashed file names",
    description: "comma-separated model names for the output paths, one per model file",
    check: (v) => v.forEach((name) => checkName("--model-names", name)),
  }),
  modelLabels: param.strings({
    flag: "model-labels",
    default: [],
    defaultText: "from the yaml files",
    description: "comma-separated model labels for the plot, one per model file",
  }),
};

const INPUT_KIND = /^(random|incremental|zeros|ones)$/;

/**
 * Threads of an engine: at most 4 per CPU of this host (at least 64, for scans whose workers have more
 * CPUs than the submit host); beyond, the threads only wait for each other.
 */
export const THREADS_BOUND: Bound = {
  max: Math.max(4 * availableParallelism(), 64),
  why: `4 per CPU of this host, which has ${availableParallelism()}, and at least 64`,
};

/** Fresh processes per measurement: beyond 1000 the interval hardly narrows and the run takes days. */
export const REPEATS_BOUND: Bound = { max: 1000, why: "more processes hardly narrow the interval" };

/** Durations of warm-up and timing: at most a day (86400 s) per event. */
export const SECONDS_BOUND: Bound = { max: 86400, why: "a day" };

/** Batch sizes: what an engine's int32 dimension holds. */
export const BATCH_SIZE_BOUND: Bound = { max: 2 ** 31 - 1, why: "the largest int32" };

/** A path part shown only when the value differs from `dflt`. */
function unlessDefault<T>(dflt: T, part: (v: T) => string) {
  return (v: T) => (v === dflt ? undefined : part(v));
}

/**
 * The settings of a measurement (RunSettings), with their parts of the output path: those of every engine,
 * and the engines' own options where each engine places them (engines/<name>/params.ts).
 */
export const MEASUREMENT_PARAMS = withEngineParams({
  nEvents: param.int({
    flag: "n-events",
    default: 1,
    significant: true,
    description: "number of events; inputs are drawn anew for each event",
    check: positive("n-events"),
    path: { order: 1, part: (v) => `nevents_${v}` },
  }),
  nCalls: param.int({
    flag: "n-calls",
    default: 100,
    significant: true,
    description: "number of timed inference calls per event",
    check: positive("n-calls"),
    path: { order: 2, part: (v) => `ncalls_${v}` },
  }),
  nWarmup: param.int({
    flag: "n-warmup",
    default: 10,
    significant: true,
    description: "number of untimed warm-up calls per event, before the timed calls",
    check: nonNegative("n-warmup"),
    path: { order: 4, part: unlessDefault(10, (v) => `warmup_${v}`) },
  }),
  inputData: param.string({
    flag: "input-data",
    default: "random",
    significant: true,
    helpChoices: [...INPUT_KINDS, "<ROOT file>"],
    description: `kind of inputs: ${INPUT_KINDS.join(", ")} (random: standard normal floats), or a ROOT file (cmssw executor only)`,
    path: { order: 0, part: (v) => `input_${INPUT_KIND.test(v) ? v : shortHash(v)}` },
  }),
  threads: param.int({
    flag: "threads",
    default: 1,
    significant: true,
    description: "intra-op threads of the engine (1, as one CMSSW stream)",
    check: positive("threads", THREADS_BOUND),
    path: { order: 3, part: (v) => `threads_${v}` },
  }),
  interOpThreads: param.int({
    flag: "inter-op-threads",
    default: 1,
    significant: true,
    description: "inter-op threads where the engine has them (onnx, tf)",
    check: positive("inter-op-threads", THREADS_BOUND),
    path: { order: 7, part: unlessDefault(1, (v) => `interop_${v}`) },
  }),
  warmupSeconds: param.float({
    flag: "warmup-duration",
    // by time: the example models' per-call medians settle within their first ~250 calls (10-60 ms), which
    // ten calls of a 0.05 ms model (0.5 ms) are far from (README, "Warm-up")
    default: 0.1,
    significant: true,
    description:
      "warm up for at least this many seconds per event (and at least --n-warmup calls); 0: by count only",
    check: seconds("warmup-duration"),
    path: { order: 5, part: unlessDefault(0.1, (v) => `warmupsec_${v}`) },
  }),
  minDurationSeconds: param.float({
    flag: "min-duration",
    default: 0,
    significant: true,
    description: "go on beyond --n-calls until an event's timed calls have lasted this many seconds",
    check: seconds("min-duration"),
    path: { order: 6, part: (v) => (v > 0 ? `mindur_${v}` : undefined) },
  }),
  untilStable: param.bool({
    flag: "until-stable",
    default: false,
    significant: true,
    description:
      "measure windows of --n-calls calls until the medians of the last 3 agree within --stability (at most " +
      "--max-duration seconds per event); the last 3 windows are the timed calls",
    path: { order: 11, part: (v) => (v ? "stable" : undefined) },
  }),
  stability: param.float({
    flag: "stability",
    default: 0.02,
    significant: true,
    description:
      "with --until-stable: how closely the last 3 window medians must agree (0.02: within ±2 % of their mean)",
    check: (v) => {
      if (!(v > 0 && v < 1)) throw new MlprofError(`--stability: expected a fraction in (0, 1), found ${v}`);
    },
    path: { order: 12, part: (v, all) => (all.untilStable ? `within_${v}` : undefined) },
  }),
  maxDurationSeconds: param.float({
    flag: "max-duration",
    default: 60,
    significant: true,
    description: "with --until-stable: give up waiting for stable windows after this many seconds per event",
    check: (v) => {
      if (!(v > 0)) throw new MlprofError(`--max-duration: expected a number of seconds > 0, found ${v}`);
      checkBound("max-duration", v, SECONDS_BOUND);
    },
    path: { order: 13, part: (v, all) => (all.untilStable ? `maxdur_${v}` : undefined) },
  }),
  engineVersions: param.string({
    flag: "engine-versions",
    default: "installed",
    choices: ["installed", "release"],
    significant: true,
    description:
      "installed: the engines of this machine; release: the ONNX Runtime / TensorFlow versions --cmssw-version " +
      "ships (cmssw-releases.yaml), installed on first use and labelled emulated (local executor)",
    path: { order: 15, part: unlessDefault("installed", () => "engines_release") },
  }),
  repeats: param.int({
    flag: "repeats",
    default: DEFAULT_REPEATS,
    significant: true,
    description:
      "fresh measurement processes per measurement (the unit of replication: intervals and verdicts use " +
      "their spread); comparisons and multi-model tasks run them interleaved",
    check: positive("repeats", REPEATS_BOUND),
    path: { order: 14, part: unlessDefault(DEFAULT_REPEATS, (v) => `repeats_${v}`) },
  }),
  cpuAffinity: param.string({
    flag: "cpu-affinity",
    default: "",
    significant: true,
    description:
      "pin the measurement process to these CPUs (taskset list, e.g. 0 or 2,3), recorded in the metadata",
    check: (v) => void (v && cpuList(v)),
    path: { order: 8, part: (v) => (v ? `cpus_${v.replace(/,/g, ".")}` : undefined) },
  }),
  executor: param.string({
    flag: "executor",
    default: "local",
    choices: executorNames(),
    significant: true,
    description: "where the measurement runs",
    path: { order: 10, part: unlessDefault("local", (v) => `exec_${v}`) },
  }),
});

/** The converted measurement settings, the engines' own typed. */
export type MeasurementSettings = Values<typeof MEASUREMENT_PARAMS>;

function seconds(flag: string): (v: number) => void {
  return (v) => {
    if (!(v >= 0)) throw new MlprofError(`--${flag}: expected a number of seconds >= 0, found ${v}`);
    checkBound(flag, v, SECONDS_BOUND);
  };
}

/** The measurement settings are exactly what a measurement request carries. */
const _runSettings: (v: MeasurementSettings) => RunSettings = (v) => v;
void _runSettings;

/**
 * The run-parameter component of output paths: the original's input_<kind>__nevents_<n>__ncalls_<n>,
 * then threads, and the other controls, the engines' options and executor when they are not the defaults.
 */
export function runParamsPart(run: RunSettings, opts: { repeats?: boolean } = {}): string {
  return pathPart(MEASUREMENT_PARAMS, run as MeasurementSettings, opts.repeats === false ? ["repeats"] : []);
}

export const CMSSW_PARAMS = {
  cmsswVersion: param.string({
    flag: "cmssw-version",
    default: DEFAULT_CMSSW_VERSION,
    significant: true,
    description: "the CMSSW release of the measurement",
    check: (v) => void checkName("--cmssw-version", v),
  }),
  scramArch: param.string({
    flag: "scram-arch",
    default: DEFAULT_SCRAM_ARCH,
    significant: true,
    description: "the SCRAM architecture of the measurement",
    check: (v) => void checkName("--scram-arch", v),
  }),
};

export const MULTI_CMSSW_PARAMS = {
  cmsswVersions: param.strings({
    flag: "cmssw-versions",
    default: [DEFAULT_CMSSW_VERSION],
    braceExpand: true,
    significant: true,
    description: "comma-separated CMSSW releases (brace expansion: CMSSW_13_{3_1,2_4})",
    check: (v) => v.forEach((name) => checkName("--cmssw-versions", name)),
  }),
  scramArchs: param.strings({
    flag: "scram-archs",
    default: [DEFAULT_SCRAM_ARCH],
    braceExpand: true,
    significant: true,
    description: "comma-separated SCRAM architectures (brace expansion allowed)",
    check: (v) => v.forEach((name) => checkName("--scram-archs", name)),
  }),
};

export const BATCH_SIZE = param.int({
  flag: "batch-size",
  default: 1,
  significant: true,
  description: "the batch size to measure",
  check: positive("batch-size", BATCH_SIZE_BOUND),
});

export const BATCH_SIZES = param.ints({
  flag: "batch-sizes",
  default: [1, 2, 4],
  significant: true,
  description: "comma-separated batch sizes",
  check: (v) => v.forEach(positive("batch-sizes", BATCH_SIZE_BOUND)),
});

/** Sorts a list of batch sizes ascending without repeats (as law's CSVParameter with sort). */
export function sortedBatchSizes(sizes: number[]): number[] {
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export const PLOT_PARAMS = {
  yLog: param.bool({ flag: "y-log", default: false, description: "logarithmic y axis" }),
  xLog: param.bool({ flag: "x-log", default: false, description: "logarithmic x axis" }),
  yMin: param.optionalFloat({ flag: "y-min", description: "minimum of the y axis" }),
  yMax: param.optionalFloat({ flag: "y-max", description: "maximum of the y axis" }),
  bsNormalized: param.bool({
    flag: "bs-normalized",
    default: true,
    description: "divide the runtimes by the batch size",
  }),
  errorStyle: param.string({
    flag: "error-style",
    default: "band",
    choices: ["band", "bars"],
    description: "how the 16-84 % interval is drawn: a light band, or error bars on the markers (no lines)",
  }),
  palette: param.string({
    flag: "palette",
    default: DEFAULT_PALETTE,
    choices: PALETTES.map((p) => p.name),
    description:
      "curve colours (petroff: Petroff's 6, 8 or 10 colours by the number of curves, as mplhep's CMS style); beyond them, other markers and dashes",
  }),
  topRightLabel: param.string({
    flag: "top-right-label",
    default: "",
    description: "label over the top right corner of the plot",
  }),
  fileTypes: param.strings({
    flag: "file-types",
    default: ["pdf"],
    significant: true,
    description:
      "comma-separated plot file types (pdf, png, svg, eps); an interactive .html is always written too",
  }),
  plotPostfix: param.string({
    flag: "plot-postfix",
    default: "",
    significant: true,
    description: "postfix added with two underscores to the plot file names",
    check: (v) => void (v && checkName("--plot-postfix", v)),
  }),
  viewCmd: param.string({
    flag: "view-cmd",
    default: "",
    description: "command run on each plot file afterwards (e.g. imgcat, xdg-open)",
    check: (v) => {
      const command = v.trim().split(/\s+/)[0];
      if (command && !findExecutable(command)) {
        throw new MlprofError(
          `--view-cmd: expected a command that exists, found '${command}' (${command.includes("/") ? "not an executable file" : "not on PATH"})`,
          "give the viewer's name or path, e.g. --view-cmd xdg-open, or leave --view-cmd out",
        );
      }
    },
  }),
};
