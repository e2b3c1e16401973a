/**
 * The progress of a scan in one line: jobs done, failed and running of the total, and an ETA from the jobs
 * that finished so far (their throughput since the scan's first submission). Printed by `mlprof submit`
 * and once per poll by `mlprof collect`, the same in a terminal and in a pipe (one line per poll).
 */
import type { Manifest } from "./manifest.js";

/** Counts of a scan's jobs and the estimated seconds until the last one ends (undefined: no estimate yet). */
export interface ScanProgress {
  total: number;
  done: number;
  /** Failed jobs, those with retries left included. */
  failed: number;
  running: number;
  /** Pending, held, submitting, or waiting for a slot (--parallel-jobs). */
  queued: number;
  cancelled: number;
  /** Jobs that ran and ended in this scan's batch jobs (done after an attempt, or failed for good). */
  finished: number;
  etaS?: number;
}

/**
 * The progress of a scan's manifest at `now` (ms). The ETA is the jobs still to run divided by the rate at
 * which jobs finished since the earliest attempt: none before a job has finished, 0 when none is left. Jobs
 * done without an attempt (their outputs were in the store) count as done, not towards the rate.
 */
export function scanProgress(m: Manifest, now = Date.now()): ScanProgress {
  const p: ScanProgress = {
    total: m.jobs.length,
    done: 0,
    failed: 0,
    running: 0,
    queued: 0,
    cancelled: 0,
    finished: 0,
  };
  let first = Infinity;
  for (const job of m.jobs) {
    for (const a of job.attempts) {
      const t = Date.parse(a.at);
      if (Number.isFinite(t)) first = Math.min(first, t);
    }
    const ran = job.attempts.length > 0;
    if (job.state === "done") {
      p.done++;
      if (ran) p.finished++;
    } else if (job.state === "failed") {
      p.failed++;
      if (job.final) p.finished++;
    } else if (job.state === "running") p.running++;
    else if (job.state === "cancelled") p.cancelled++;
    else p.queued++;
  }
  const left = p.total - p.done - p.cancelled - m.jobs.filter((j) => j.state === "failed" && j.final).length;
  const elapsedS = (now - first) / 1000;
  if (left === 0) p.etaS = 0;
  else if (p.finished > 0 && elapsedS > 0) p.etaS = (left * elapsedS) / p.finished;
  return p;
}

/** A duration for people: "45 s", "12 min", "3 h 20 min", "2 d 4 h". */
export function formatDuration(s: number): string {
  const r = Math.round(s);
  if (r < 60) return `${r} s`;
  if (r < 3600) return `${Math.round(r / 60)} min`;
  if (r < 86400) return `${Math.floor(r / 3600)} h ${Math.round((r % 3600) / 60)} min`;
  return `${Math.floor(r / 86400)} d ${Math.round((r % 86400) / 3600)} h`;
}

/**
 * The progress beside the counts of each state (which name the failed, running and queued jobs): "87 of 100
 * done; ETA 12 min (from 87 finished jobs)".
 */
export function formatProgress(p: ScanProgress): string {
  const eta =
    p.etaS === undefined
      ? "ETA once a job has finished"
      : p.etaS === 0
        ? "nothing left to run"
        : `ETA ${formatDuration(p.etaS)} (from ${p.finished} finished job${p.finished === 1 ? "" : "s"})`;
  return `${p.done} of ${p.total} done; ${eta}`;
}

/** The line of a scan's state: "scan s/v1: 3 running, 87 done, 2 failed; 87 of 100 done; ETA 12 min (...)". */
export function progressLine(m: Manifest, counts: string, now = Date.now()): string {
  return `scan ${m.scan.name}/${m.scan.version}: ${counts}; ${formatProgress(scanProgress(m, now))}`;
}
