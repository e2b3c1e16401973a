import { existsSync } from "node:fs";

/** What a running task may use: progress reporting, the abort signal of the run and a result log. */
export interface TaskContext {
  /** A message about the running task; `live`: a progress bar the next message redraws (util/progress.ts). */
  progress(message: string, live?: boolean): void;
  signal: AbortSignal;
  /**
   * Result lines (summary tables) printed after the run, once the progress display is done. Given to the
   * task that was called only: it summarizes what its requirements produced, so theirs would repeat it.
   */
  log?: (line: string) => void;
  /**
   * A warning about the task's results (e.g. a busy machine), printed after the run for every task;
   * tasks with the same `text` are listed under one warning, each with its `detail`.
   */
  warn?: (text: string, detail?: string) => void;
  /** false: refuse (LockBusyError) instead of waiting when another process holds a lock (--no-wait). */
  wait?: boolean;
}

/** What a task's existing outputs were made from, compared with what the task asks for now. */
export type OutputProvenance =
  | { state: "current" }
  /** Made from other model content or settings: `reason` says what changed. */
  | { state: "outdated"; reason: string }
  /** Nothing recorded to compare (outputs of an older version): used as they are, with a warning. */
  | { state: "unknown"; reason: string };

/**
 * A task in the sense of law: parameters, requirements, outputs derived from the parameters (and
 * --version), and a run method. A task is complete when all its outputs exist.
 */
export abstract class Task {
  /** The task's family name as used on the command line (e.g. "MeasureRuntime"). */
  abstract readonly family: string;

  /** Tasks whose outputs this task reads. */
  abstract requires(): Task[];

  /** Absolute paths of the outputs; the first is the main one. */
  abstract outputs(): string[];

  /** Produces the outputs; must leave nothing behind when it fails. */
  abstract run(ctx: TaskContext): Promise<void>;

  /** The parameters that identify this task, for display. */
  abstract reprParams(): Record<string, unknown>;

  /**
   * A task that is one of several repeats of a measurement says which round it belongs to: the scheduler
   * runs round 1 of every such task before round 2 (within a round by `order`, alternating direction), so
   * that compared measurements see the same machine and drifts cancel. Undefined for other tasks.
   */
  interleaving(): { round: number; order: number } | undefined {
    return undefined;
  }

  /**
   * How this task's existing outputs compare with what it asks for now (framework/provenance.ts): made
   * from the same model content and settings ("current"), from other ones ("outdated", with the reason),
   * or unknown. Called only when an output exists. Undefined (the default): the task records nothing of
   * its own, and its outputs are outdated when those of a requirement are.
   */
  provenance(): OutputProvenance | undefined {
    return undefined;
  }

  /** True when every output exists. */
  complete(): boolean {
    return this.outputs().every((p) => existsSync(p));
  }

  /** A unique identity: the family plus the main output. */
  get id(): string {
    return `${this.family}:${this.outputs()[0]}`;
  }

  /** Short one-line description for progress displays. */
  title(): string {
    const r = this.repr();
    return r.length > 120 ? r.slice(0, 117) + "..." : r;
  }

  /** law-style representation, e.g. MeasureRuntime(version=v1, batch_size=1, ...). */
  repr(): string {
    const parts = Object.entries(this.reprParams())
      .filter(([, v]) => v !== undefined && v !== "")
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : String(v)}`);
    return `${this.family}(${parts.join(", ")})`;
  }
}
