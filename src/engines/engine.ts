/**
 * The interface of an inference engine: everything MLProf knows about one engine lives in its folder
 * (engines/<name>/) behind this interface, and engines/registry.ts lists the engines once.
 */
import type { ReleaseEngines } from "../cmssw/releases.js";
import type { CmsswTarget, CmsswTargetRequest } from "../cmssw/target.js";
import type { MeasureJob, PreparationMeta } from "../measure/job.js";
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

/** How the local executor measures with the engine: a fresh process per measurement. */
export interface LocalDriver<S> {
  /** The model file the measurement process loads (its hash goes into the metadata). */
  modelPath(spec: ModelSpec<S>): string;
  /**
   * Prepares what the measurement process needs (native runner, compiled model); cached between runs. May
   * complete the job (e.g. inputs taken from a compiled model) and return facts for the metadata. With
   * `release` (--engine-versions release) it prepares the engine versions that release ships and says so in
   * `engines` of what it returns.
   */
  prepare?(
    job: MeasureJob,
    spec: ModelSpec<S>,
    progress: ProgressFn,
    release?: ReleaseEngines,
  ): Promise<PreparationMeta | void>;
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
export interface CmsswSupport<S> {
  /** The EDAnalyzer plugin (plugins/MLProf/RuntimeMeasurement/plugins/) and its module label. */
  readonly plugin: string;
  readonly module: string;
  /** The engine's cmsRun config template in cmssw-templates/. */
  readonly template: string;
  /** Prepares the area (cached) and says what the config measures. */
  target(req: CmsswTargetRequest<S>, env: NodeJS.ProcessEnv): Promise<CmsswTarget>;
}

/** One inference engine: the model-file section it reads, and how it measures locally and in CMSSW. */
export interface Engine<S> {
  /** The name a model file gives as `inference_engine`. */
  readonly name: string;
  /** One line for help texts: what measures it locally. */
  readonly summary: string;
  readonly modelFile: ModelFileSection<S>;
  readonly local: LocalDriver<S>;
  readonly setup?: EngineSetup;
  readonly cmssw: CmsswSupport<S>;
}

/** A registered engine, its section type erased. */
export type AnyEngine = Engine<unknown>;

/** Erases an engine's section type for the registry (the engine validated the section it reads). */
export function defineEngine<S>(engine: Engine<S>): AnyEngine {
  return engine as unknown as AnyEngine;
}
