/** The cmsRun config of a measurement: its parameters, and the engine's template rendered with them. */
import { ENGINES, getEngine } from "../engines/registry.js";
import type { InputSpec } from "../model/spec.js";
import { INPUT_KINDS } from "../measure/job.js";
import { projectRevision } from "../paths.js";
import { renderCmsswTemplate } from "../cmssw/templates.js";
import type { RunSettings } from "../measure/run.js";
import { INPUT_SEED } from "../record/measurement.js";

/** The plugin, module label and config template of each engine (from the engine registry). */
export const CMSSW_PLUGINS: Readonly<Record<string, { plugin: string; module: string; template: string }>> =
  Object.fromEntries(
    ENGINES.map((e) => [
      e.name,
      { plugin: e.cmssw.plugin, module: e.cmssw.module, template: e.cmssw.template },
    ]),
  );

/** Everything a cmsRun config carries. */
export interface CmsswConfigParams {
  /** The engine (a name of the engine registry). */
  engine: string;
  modelName: string;
  modelFile: string;
  graphPath: string;
  inputs: InputSpec[];
  outputs: string[];
  batchSize: number;
  nEvents: number;
  nCalls: number;
  nWarmup: number;
  warmupMs: number;
  minDurationMs: number;
  /** Windows of nCalls calls until stable (see RunSettings); false: nCalls calls per event. */
  untilStable?: boolean;
  stability?: number;
  maxDurationMs?: number;
  /** An input kind, or the path of a ROOT file the events are read from (inputs are then random). */
  inputData: string;
  seed: number;
  threads: number;
  interOpThreads: number;
  /**
   * CMSSW streams of the job (process.options numberOfStreams, and numberOfThreads: one framework thread
   * per stream, as production runs); absent: 1, one stream as for a latency measurement.
   */
  streams?: number;
  csvFile: string;
  metaFile: string;
  /** tfaot: the rules "target:size1,size2,..." registered with tfaot::Model::setBatchRule. */
  batchRules?: string[];
  /** A config rendered at submission: what the worker checks before it runs the file. */
  header?: ShippedConfigHeader;
  /** The inputs and outputs are read at cmsRun time from CMSSW_IO_FILE in the area (compiled order). */
  ioFromArea?: boolean;
}

/** The loop settings of a config: what a measurement's run settings say of its events, calls, warm-up,
 * stability, inputs and threads (the same for cmsRun here and for configs rendered at submission). */
type ConfigLoop = Pick<
  CmsswConfigParams,
  | "nEvents"
  | "nCalls"
  | "nWarmup"
  | "warmupMs"
  | "minDurationMs"
  | "untilStable"
  | "stability"
  | "maxDurationMs"
  | "inputData"
  | "seed"
  | "threads"
  | "interOpThreads"
>;

/** The loop settings of a config from a measurement's run settings. */
export function configLoop(run: RunSettings): ConfigLoop {
  return {
    nEvents: run.nEvents,
    nCalls: run.nCalls,
    nWarmup: run.nWarmup,
    warmupMs: run.warmupSeconds * 1000,
    minDurationMs: run.minDurationSeconds * 1000,
    untilStable: run.untilStable,
    stability: run.stability,
    maxDurationMs: run.maxDurationSeconds * 1000,
    inputData: run.inputData,
    seed: INPUT_SEED,
    threads: run.threads,
    interOpThreads: run.interOpThreads,
  };
}

/**
 * What a cmsRun config rendered by `mlprof submit` measures, written into its first lines as
 * `# mlprof-measurement: {...}`: the worker's cmssw executor refuses to run the file for anything else.
 */
export interface ShippedConfigHeader {
  engine: string;
  model: string;
  batchSize: number;
  nEvents: number;
  nCalls: number;
  release: string;
  scramArch: string;
  /** SHA-256 of the graph file (the file whose hash the metadata records). */
  graphSha256: string;
  /** Input and output names in the config's order, or "area": those of the model compiled into the area. */
  inputs: string[] | "area";
  outputs: string[] | "area";
}

/** The file of an area that holds the inputs and outputs of its compiled model for a config (JSON). */
export const CMSSW_IO_FILE = "mlprof_io.json";

/** The prefix of the header line of a config rendered at submission. */
export const SHIPPED_HEADER_PREFIX = "# mlprof-measurement: ";

/** The header of a config rendered at submission, or undefined when the text has none. */
export function readShippedHeader(text: string): ShippedConfigHeader | undefined {
  const line = text.split("\n").find((l) => l.startsWith(SHIPPED_HEADER_PREFIX));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(SHIPPED_HEADER_PREFIX.length)) as ShippedConfigHeader;
  } catch {
    return undefined;
  }
}

/** The input and output lists of the plugin (the part a config reads from CMSSW_IO_FILE). */
export function ioContext(p: Pick<CmsswConfigParams, "inputs" | "outputs">): Record<string, unknown> {
  return {
    input_names: p.inputs.map((i) => i.name),
    input_dtypes: p.inputs.map((i) => i.dtype),
    input_ranks: p.inputs.map((i) => i.shape.length),
    flat_input_sizes: p.inputs.flatMap((i) => i.shape),
    input_batched: p.inputs.map((i) => (i.batched ? 1 : 0)),
    input_has_value: p.inputs.map((i) => (i.value === undefined ? 0 : 1)),
    input_values: p.inputs.map((i) => Number(i.value ?? 0)),
    input_range_lows: p.inputs.map((i) => i.range?.[0] ?? 0),
    input_range_highs: p.inputs.map((i) => i.range?.[1] ?? 10),
    output_names: p.outputs,
  };
}

/** The template context of a cmsRun config: the plugin's parallel input lists, counts and files. */
export function configContext(p: CmsswConfigParams): Record<string, unknown> {
  const { plugin, module, template } = getEngine(p.engine).cmssw;
  const isKind = (INPUT_KINDS as readonly string[]).includes(p.inputData);
  return {
    revision: projectRevision(),
    template,
    plugin,
    module,
    model_name: p.modelName,
    model_file: p.modelFile,
    graph_path: p.graphPath,
    graph_path_expands: p.graphPath.includes("$"),
    ...ioContext(p),
    measurement: p.header ? JSON.stringify(p.header) : "",
    io_from_area: p.ioFromArea ?? false,
    io_file: CMSSW_IO_FILE,
    input_type: isKind ? p.inputData : "random",
    input_files: isKind ? [] : [p.inputData.startsWith("/") ? `file:${p.inputData}` : p.inputData],
    batch_size: p.batchSize,
    n_events: p.nEvents,
    n_calls: p.nCalls,
    n_warmup: p.nWarmup,
    warmup_ms: p.warmupMs,
    min_duration_ms: p.minDurationMs,
    until_stable: p.untilStable ?? false,
    stability: p.stability ?? 0.02,
    max_duration_ms: p.maxDurationMs ?? 60000,
    seed: p.seed,
    threads: p.threads,
    inter_op_threads: p.interOpThreads,
    streams: p.streams ?? 1,
    csv_file: p.csvFile,
    meta_file: p.metaFile,
    batch_rules: p.batchRules ?? [],
  };
}

/** Renders the cmsRun config of a measurement (cmssw-templates/<engine>_cfg.py.njk, or `template`). */
export function renderCmsswConfig(p: CmsswConfigParams, template?: string): string {
  return renderCmsswTemplate(template ?? getEngine(p.engine).cmssw.template, configContext(p));
}
