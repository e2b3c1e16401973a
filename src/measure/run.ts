/**
 * The settings of a measurement that shape its result (and therefore its output path): those of every
 * engine, and the engines' own.
 */
export interface RunSettings {
  /** An input kind (random, incremental, zeros, ones) or, with the cmssw executor, a ROOT file. */
  inputData: string;
  nEvents: number;
  nCalls: number;
  nWarmup: number;
  /** Intra-op threads of the engine. */
  threads: number;
  /** Inter-op threads where the engine has them. */
  interOpThreads: number;
  /** Minimum warm-up duration per event, seconds (0: by count only). */
  warmupSeconds: number;
  /** Minimum duration of an event's timed calls, seconds (0: by count only). */
  minDurationSeconds: number;
  /**
   * Measure windows of nCalls calls until the medians of the last three agree within `stability` (a
   * fraction), at most `maxDurationSeconds` per event; the last three windows are the timed calls.
   */
  untilStable: boolean;
  stability: number;
  maxDurationSeconds: number;
  /**
   * Which engine versions measure: "installed" (those of this machine) or "release" (the versions the
   * release ships, from the release table: an emulation of the release's engines).
   */
  engineVersions: string;
  /** Fresh measurement processes of the same measurement (the unit of replication). */
  repeats: number;
  /** CPU list the measurement process is pinned to (taskset syntax), "" for none. */
  cpuAffinity: string;
  /** The executor that runs the measurement (a name of the executor registry). */
  executor: string;
  /** The engines' own settings (Engine.params of engines/<name>/), by their key; each engine reads its own. */
  readonly [engineSetting: string]: unknown;
}
