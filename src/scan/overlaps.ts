/**
 * Jobs of a scan that measured at the same time on one node: from the hosts and times their status files
 * report (job.sh), recorded in the manifest and warned about by collect, since such timings disturb each
 * other (shared caches, memory bandwidth, turbo) even on separate cores.
 */
import type { Manifest } from "./manifest.js";

/** Two jobs' attempts that ran on one node at the same time. */
export interface Overlap {
  host: string;
  /** The job whose result is in the store, and the other job. */
  job: string;
  other: string;
  /** Seconds both ran. */
  seconds: number;
}

/**
 * Finds, for the last attempt of every done job, the attempts of other jobs of the scan on the same host
 * whose run intersects it, and records their ids in each job's `overlaps`. Returns them, longest first.
 */
export function findOverlaps(m: Manifest): Overlap[] {
  const runs = m.jobs.flatMap((job) =>
    job.attempts
      .filter((a) => a.run)
      .map((a) => ({
        job: job.id,
        host: a.run!.host,
        start: Date.parse(a.run!.started),
        end: Date.parse(a.run!.finished),
      }))
      .filter((r) => Number.isFinite(r.start) && Number.isFinite(r.end)),
  );
  const out: Overlap[] = [];
  for (const job of m.jobs) {
    if (job.state !== "done") continue;
    const last = job.attempts.at(-1)?.run;
    if (!last) continue;
    const start = Date.parse(last.started);
    const end = Date.parse(last.finished);
    const others = new Set<string>();
    for (const r of runs) {
      if (r.job === job.id || r.host !== last.host) continue;
      const seconds = (Math.min(end, r.end) - Math.max(start, r.start)) / 1000;
      // times have a resolution of one second: overlaps of a second or less may be none
      if (seconds > 1) {
        others.add(r.job);
        out.push({ host: last.host, job: job.id, other: r.job, seconds });
      }
    }
    job.overlaps = others.size ? [...others].sort() : undefined;
  }
  return out.sort((a, b) => b.seconds - a.seconds);
}

/** The summary lines of overlapping measurements, or none. */
export function overlapSummary(m: Manifest, overlaps: Overlap[]): string[] {
  if (overlaps.length === 0) return [];
  const jobs = m.jobs.filter((j) => j.overlaps?.length);
  const hosts = [...new Set(overlaps.map((o) => o.host))];
  const lines = [
    `warning: ${jobs.length} measurement job(s) ran at the same time as other jobs of this scan on one node ` +
      `(${hosts.join(", ")}); their timings may disturb each other:`,
  ];
  for (const j of jobs.slice(0, 10)) {
    const longest = overlaps.filter((o) => o.job === j.id).reduce((a, o) => Math.max(a, o.seconds), 0);
    lines.push(
      `  ${j.id} with ${j.overlaps!.join(", ")} on ${j.attempts.at(-1)!.run!.host} (up to ${longest.toFixed(0)} s)`,
    );
  }
  if (jobs.length > 10) lines.push(`  ... and ${jobs.length - 10} more (manifest: jobs[].overlaps)`);
  lines.push(
    "  to measure alone: --cpu-isolation exclusive (Slurm --exclusive), or --parallel-jobs 1; then remove the affected outputs and collect again",
  );
  return lines;
}
