/**
 * The measurement options the engines own (Engine.params of engines/<name>/), composed for the tasks as
 * the batch systems' options are for `mlprof submit`: their declarations among the measurement options,
 * their checks, what a model of another engine keeps of them, and their parts of job files and of cmsRun
 * configs rendered at submission. Nothing here names an engine's option.
 */
import type { CmsswTarget } from "../cmssw/target.js";
import type { ParamSet } from "../framework/parameters.js";
import type { RunSettings } from "../measure/run.js";
import type { AnyEngine, EngineParams } from "./engine.js";
import { ENGINES, findEngine } from "./registry.js";

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** The option set an engine declares (none: an empty set). */
type OwnParams<E> = E extends { readonly params?: EngineParams<infer P> } ? P : never;

/** The options of every engine, keyed by their name among the measurement settings. */
export type EngineParamSet = UnionToIntersection<OwnParams<(typeof ENGINES)[number]>>;

/** The registered engines, their types erased. */
const engines: readonly AnyEngine[] = ENGINES;

/**
 * The measurement options with the engines' own inserted where each engine places them (after the key it
 * names), so that the help, manifests and a scan's job flags list them in one order.
 */
export function withEngineParams<C extends ParamSet>(core: C): C & EngineParamSet {
  const out: ParamSet = {};
  for (const [key, def] of Object.entries(core)) {
    out[key] = def;
    for (const e of engines) if (e.params?.after === key) Object.assign(out, e.params.params);
  }
  const lost = engines.find((e) => e.params && !(e.params.after in core));
  if (lost)
    throw new Error(
      `internal: the options of engine ${lost.name} follow '${lost.params!.after}', which is no measurement option`,
    );
  return out as C & EngineParamSet;
}

/** An engine's own values among run settings. */
function ownValues(engine: AnyEngine, run: RunSettings): Record<string, unknown> {
  return Object.fromEntries(Object.keys(engine.params?.params ?? {}).map((key) => [key, run[key]]));
}

/** Refuses engine settings that contradict the others (each engine's own check, in the registry's order). */
export function checkEngineSettings(run: RunSettings): void {
  for (const e of engines) e.params?.check?.(ownValues(e, run), run);
}

/**
 * The settings a model of `engine` is measured with: the options of other engines that apply to their
 * own models only take their defaults (out of its output path and its measurement).
 */
export function settingsForModel<R extends RunSettings>(run: R, engine: string): R {
  const out: Record<string, unknown> = { ...run };
  for (const e of engines) {
    if (!e.params?.ownModelsOnly || e.name === engine) continue;
    for (const [key, def] of Object.entries(e.params.params)) out[key] = def.default;
  }
  return out as R;
}

/** The engine's own fields of the job file of a measurement of its model (none for an unknown engine). */
export function engineJobFields(engine: string, run: RunSettings): object {
  const e = findEngine(engine);
  return e?.params?.job?.(ownValues(e, run)) ?? {};
}

/** The engine's part of a cmsRun config rendered at submission. */
export function engineConfigFields(engine: string, run: RunSettings): Pick<CmsswTarget, "batchRules"> {
  const e = findEngine(engine);
  return e?.params?.config?.(ownValues(e, run)) ?? {};
}
