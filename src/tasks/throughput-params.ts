/**
 * The parameters of a throughput measurement: the model and release as for the runtime tasks, the
 * threads per stream, the streams, the warm-up and window, and how many fresh processes per point.
 */
import { Model } from "../engines/model.js";
import { nonNegative, param, pathPart, positive, type Values } from "../framework/parameters.js";
import { TFAOT_PARAMS } from "../engines/tfaot/params.js";
import { INPUT_KINDS } from "../measure/job.js";
import { cmsswPart, taskDir } from "../store.js";
import type { ThroughputConfig, ThroughputSettings } from "../throughput/settings.js";
import { MlprofError } from "../util/errors.js";
import { checkName } from "../util/names.js";
import { CMSSW_PARAMS, MEASUREMENT_PARAMS, MODEL_PARAMS, SECONDS_BOUND, VERSION } from "./params.js";
import { resolveModelFile, type RuntimeConfig } from "./mixins/runtime.js";

/** Streams of one process: as many as a CMSSW job may run on a large node. */
const STREAMS_BOUND = { max: 1024, why: "a large node's CPUs" };

/** The settings of a throughput measurement that shape its result (and its output path). */
export const THROUGHPUT_SETTINGS = {
  inputData: param.string({
    flag: "input-data",
    default: "random",
    choices: [...INPUT_KINDS],
    significant: true,
    description: `kind of inputs: ${INPUT_KINDS.join(", ")}; each stream gets its own draw`,
    path: { order: 0, part: (v) => `input_${v}` },
  }),
  threads: {
    ...MEASUREMENT_PARAMS.threads,
    description: "intra-op threads of each stream (1, as CMSSW)",
    path: { order: 1, part: (v: number) => `threads_${v}` },
  },
  warmupSeconds: param.float({
    flag: "warmup-duration",
    default: 2,
    significant: true,
    description: "all streams call the model for this many seconds before the timed window",
    check: (v) => {
      if (!(v > 0 && v <= SECONDS_BOUND.max))
        throw new MlprofError(`--warmup-duration: expected seconds in (0, ${SECONDS_BOUND.max}], found ${v}`);
    },
    path: { order: 2, part: (v) => `warmup_${v}s` },
  }),
  nWarmup: param.int({
    flag: "n-warmup",
    default: 10,
    significant: true,
    description: "every stream makes at least this many warm-up calls (else the process fails)",
    check: nonNegative("n-warmup"),
    path: { order: 3, part: (v) => (v === 10 ? undefined : `nwarmup_${v}`) },
  }),
  minDurationSeconds: param.float({
    flag: "min-duration",
    default: 5,
    significant: true,
    description: "the timed window lasts at least this many seconds",
    check: (v) => {
      if (!(v > 0 && v <= SECONDS_BOUND.max))
        throw new MlprofError(`--min-duration: expected seconds in (0, ${SECONDS_BOUND.max}], found ${v}`);
    },
    path: { order: 4, part: (v) => `window_${v}s` },
  }),
  minCalls: param.int({
    flag: "min-calls",
    default: 200,
    significant: true,
    description: "the timed window lasts until the streams have completed this many calls in all",
    check: positive("min-calls"),
    path: { order: 5, part: (v) => `mincalls_${v}` },
  }),
  maxDurationSeconds: param.float({
    flag: "max-duration",
    default: 300,
    significant: true,
    description: "the window closes after this many seconds even with fewer than --min-calls calls",
    check: positive("max-duration", SECONDS_BOUND),
    path: { order: 6, part: (v) => (v === 300 ? undefined : `maxdur_${v}s`) },
  }),
  oversubscribe: param.bool({
    flag: "oversubscribe",
    default: false,
    significant: true,
    description:
      "measure even when streams x threads exceed the CPUs available (the point is marked oversubscribed)",
    path: { order: 7, part: (v) => (v ? "oversubscribe" : undefined) },
  }),
  cpuAffinity: MEASUREMENT_PARAMS.cpuAffinity,
  ...TFAOT_PARAMS,
  repeats: MEASUREMENT_PARAMS.repeats,
  executor: param.string({
    flag: "executor",
    default: "local",
    choices: ["local"],
    significant: true,
    description: "where the measurement runs (throughput: the local engines)",
  }),
};

/** The flags declare exactly the settings of a throughput measurement. */
const _settings: (v: Values<typeof THROUGHPUT_SETTINGS>) => ThroughputSettings = (v) => v;
void _settings;

/** The parameters of one model's throughput tasks (after the task's own: batch size, streams). */
export const THROUGHPUT_PARAMS = {
  version: VERSION,
  ...MODEL_PARAMS,
  ...THROUGHPUT_SETTINGS,
  ...CMSSW_PARAMS,
};

/** The values a throughput configuration is made of. */
export type ThroughputValues = Values<typeof THROUGHPUT_PARAMS>;

/** One streams count, for MeasureThroughput. */
export const STREAMS = param.int({
  flag: "streams",
  default: 1,
  significant: true,
  description: "concurrent streams calling the model in one process",
  check: positive("streams", STREAMS_BOUND),
});

/** Streams lists, for MergeThroughput: by default 1, 2, 4, … up to the CPUs available per --threads. */
export const STREAMS_LIST = param.ints({
  flag: "streams",
  default: [],
  defaultText: "1,2,4,... up to the CPUs available / --threads",
  significant: true,
  description: "comma-separated numbers of concurrent streams",
  check: (v) => v.forEach(positive("streams", STREAMS_BOUND)),
});

/** The configuration of converted values (the model file resolved, names checked). */
export function throughputConfig(v: ThroughputValues): ThroughputConfig {
  checkName("--version", v.version);
  if (v.modelName) checkName("--model-name", v.modelName);
  const model = new Model(resolveModelFile(v.modelFile), v.modelName || undefined, v.modelLabel || undefined);
  const settings = Object.fromEntries(
    Object.keys(THROUGHPUT_SETTINGS).map((k) => [k, (v as Record<string, unknown>)[k]]),
  ) as unknown as ThroughputSettings;
  // the batch rules apply to tfaot models only: for others they are neither in the path nor measured
  if (model.spec.engine !== "tfaot") settings.tfaotBatchRules = "";
  return { version: v.version, model, settings, cmsswVersion: v.cmsswVersion, scramArch: v.scramArch };
}

/** The output folder of a throughput task: <store>/<family>/<release>__<arch>/<model>__<settings>/<version>. */
export function throughputDir(
  family: string,
  cfg: ThroughputConfig,
  opts: { repeats?: boolean } = {},
): string {
  const without = opts.repeats === false ? ["repeats"] : [];
  const part = pathPart(THROUGHPUT_SETTINGS, cfg.settings, without);
  return taskDir(
    family,
    cmsswPart([cfg.cmsswVersion], [cfg.scramArch]),
    `${cfg.model.storeName}__${part}`,
    cfg.version,
  );
}

/**
 * The throughput configuration of a runtime configuration (Report's throughput section): its model,
 * release, threads, input data, CPU affinity and repeats, the throughput defaults for the rest.
 */
export function throughputOfRuntime(cfg: RuntimeConfig): ThroughputConfig {
  const defaults = Object.fromEntries(
    Object.entries(THROUGHPUT_SETTINGS).map(([key, p]) => [key, p.default]),
  ) as unknown as ThroughputSettings;
  const { run } = cfg;
  return {
    version: cfg.version,
    model: cfg.model,
    settings: {
      ...defaults,
      inputData: run.inputData,
      threads: run.threads,
      cpuAffinity: run.cpuAffinity,
      repeats: run.repeats,
      tfaotBatchRules: cfg.model.spec.engine === "tfaot" ? String(run.tfaotBatchRules ?? "") : "",
    },
    cmsswVersion: cfg.cmsswVersion,
    scramArch: cfg.scramArch,
  };
}
