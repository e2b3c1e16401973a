import type { MeasurementTarget } from "../record/measurement.js";
import type { ProgressSink } from "../util/progress.js";

/** What one measurement needs to know: the target, and how to report progress and be interrupted. */
export interface MeasurementRequest extends MeasurementTarget {
  progress: ProgressSink;
  signal: AbortSignal;
  /**
   * false (--no-wait): refuse instead of waiting while another measurement of this host runs (the
   * host-wide lock of timed work, util/lock.ts withMeasurementLock). Default true.
   */
  wait?: boolean;
}

/** Where a measurement runs: the local engines, or cmsRun of a CMSSW release. */
export interface Executor {
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /** Runs one measurement and writes its result pair (metadata JSON, then CSV), or leaves nothing. */
  measure(req: MeasurementRequest): Promise<void>;
}
