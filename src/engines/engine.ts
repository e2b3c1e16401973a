/**
 * The interface of an inference engine: everything MLProf knows about one engine lives in its folder
 * (engines/<name>/) behind this interface, and engines/registry.ts lists the engines once.
 */
import type * as zod from "zod";
import type { ReleaseEngines } from "../cmssw/releases.js";
import type { CmsswTarget, CmsswTargetRequest } from "../cmssw/target.js";
import type { ParamSet, Values } from "../framework/parameters.js";
import type { MeasureJob, PreparationMeta } from "../measure/job.js";
import type { RunSettings } from "../measure/run.js";
import type { Obj, SectionContext } from "../model/fields.js";
import type { ModelSpec } from "../model/spec.js";
import type { ProgressSink } from "../util/progress.js";

/** How the parent starts a measurement process. */
export interface ProcessCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
}

/**
 * Reports progress of long preparation steps (builds, compilations); `live` marks a bar that the next
 * message redraws (see util/progress.ts).
 */
export type ProgressFn = ProgressSink;

/** The engine's part of a model file. */
export interface ModelFileSection<S> {
  /** Keys of the `model` mapping the engine reads besides the common ones. */
  readonly keys: readonly string[];
  /** Top-level keys of the file besides `model` (e.g. tfaot's `compilation`). */
  readonly topLevelKeys?: readonly string[];
  /** Inputs and outputs may be left out of the file (the engine reads them from the model). */
  readonly inputsOptional?: boolean;
  /** Validates the engine's keys (every problem through ctx.fail) and returns the section. */
  validate(model: Obj, top: Obj, ctx: SectionContext): S;
}

/** No parameters, facts or job fields of an engine's own. */
export type Nothing = Record<never, never>;

/**
 * The measurement options an engine owns (declared in engines/<name>/params.ts, as a batch system declares
 * its options): the measurement tasks, scans and output paths take them from the registry.
 */
export interface EngineParams<P extends ParamSet> {
  /**
   * The options, keyed by their name among the measurement settings: flag, help, choices, checks, whether
   * they shape the outputs (`significant`) and their part of the output path.
   */
  readonly params: P;
  /** Where they stand among the measurement options (help, manifests, a scan's job flags): after this key. */
  readonly after: string;
  /**
   * They apply to the engine's own models only: a model of another engine takes their defaults, so that
   * they are neither part of its output path nor of its measurement.
   */
  readonly ownModelsOnly?: boolean;
  /** Refuses values that contradict the other settings (one MlprofError naming the flags). */
  check?(values: Values<P>, run: RunSettings): void;
  /** Their part of the job file of a measurement of the engine's models (read by its prepare and process). */
  job?(values: Values<P>): object;
  /** Their part of a cmsRun config rendered at submission (at run time the engine's target says it). */
  config?(values: Values<P>): Pick<CmsswTarget, "batchRules">;
}

/** What reports say of a measurement from the facts its preparation recorded. */
export interface PreparationSummary {
  /** tfaot: the batch size was composed of other compiled sizes (a batch rule of several chunks, or padded). */
  stitched?: boolean;
}

/**
 * The facts an engine's preparation records besides the common ones of PreparationMeta (`process.preparation`
 * of its measurement records), as a schema the readers check them with, and what reports say of them.
 */
export interface PreparationFacts<F extends object> {
  /** The schema of the facts (zod is handed in: it loads on first use, see util/lazy.ts). */
  schema(z: typeof zod.z): zod.ZodType<F>;
  /** What a summary of the measurement says of them. */
  summary?(facts: F): PreparationSummary;
}

/**
 * How the local executor measures with the engine: a fresh process per measurement. `F` are the facts its
 * preparation records, `J` its own fields of the job file.
 */
export interface LocalDriver<S, F extends object = Nothing, J extends object = Nothing> {
  /** The model file the measurement process loads (its hash goes into the metadata). */
  modelPath(spec: ModelSpec<S>): string;
  /**
   * Prepares what the measurement process needs (native runner, compiled model); cached between runs. May
   * complete the job (e.g. inputs taken from a compiled model) and return facts for the metadata. With
   * `release` (--engine-versions release) it prepares the engine versions that release ships and says so in
   * `engines` of what it returns.
   */
  prepare?(
    job: MeasureJob & Partial<J>,
    spec: ModelSpec<S>,
    progress: ProgressFn,
    release?: ReleaseEngines,
  ): Promise<(PreparationMeta & Partial<F>) | void>;
  /** The command of the measurement process for a job file. */
  command(jobFile: string): ProcessCommand;
}

/** `mlprof setup <engine>`: installs and builds what the engine needs, up front. */
export interface EngineSetup {
  /** One line for the help text. */
  readonly summary: string;
  run(print: (line: string) => void, env?: NodeJS.ProcessEnv): Promise<void>;
}

/** How the engine runs in CMSSW: its plugin, its cmsRun config template and the area it needs. */
export interface CmsswSupport<S, F extends object = Nothing> {
  /** The EDAnalyzer plugin (plugins/MLProf/RuntimeMeasurement/plugins/) and its module label. */
  readonly plugin: string;
  readonly module: string;
  /** The engine's cmsRun config template in cmssw-templates/. */
  readonly template: string;
  /** Prepares the area (cached) and says what the config measures. */
  target(req: CmsswTargetRequest<S>, env: NodeJS.ProcessEnv): Promise<CmsswTarget<Partial<F>>>;
}

/**
 * One inference engine: the model-file section it reads (`S`), the measurement options it owns (`P`), the
 * facts its preparation records (`F`), its fields of the job file (`J`), and how it measures locally and
 * in CMSSW.
 */
export interface Engine<
  S,
  P extends ParamSet = Nothing,
  F extends object = Nothing,
  J extends object = Nothing,
> {
  /** The name a model file gives as `inference_engine`. */
  readonly name: string;
  /** One line for help texts: what measures it locally. */
  readonly summary: string;
  readonly modelFile: ModelFileSection<S>;
  readonly local: LocalDriver<S, F, J>;
  readonly setup?: EngineSetup;
  readonly cmssw: CmsswSupport<S, F>;
  /** The measurement options it owns, when it has any. */
  readonly params?: EngineParams<P>;
  /** The typed facts its preparation records, when it records more than the common ones. */
  readonly preparation?: PreparationFacts<F>;
}

/** A registered engine, its section type erased. */
export type AnyEngine = Engine<unknown, ParamSet, object, object>;

/**
 * Erases an engine's section type for the registry (the engine validated the section it reads); its
 * options stay typed, so that the measurement settings know them.
 */
export function defineEngine<
  S,
  P extends ParamSet = Nothing,
  F extends object = Nothing,
  J extends object = Nothing,
>(engine: Engine<S, P, F, J>): Engine<unknown, P, F, J> {
  return engine as unknown as Engine<unknown, P, F, J>;
}
