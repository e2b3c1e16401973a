import chalk from "chalk";
import type { JobState, Manifest } from "./manifest.js";
import { scanMeasurementFlags, type Scan } from "./scan.js";
import { shq } from "../util/quote.js";

const ORDER: JobState[] = [
  "created",
  "submitting",
  "pending",
  "running",
  "held",
  "failed",
  "cancelled",
  "done",
];

/** Number of jobs per state (final failures counted apart as "failed for good"). */
export function stateCounts(m: Manifest): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const job of m.jobs) {
    const key = job.state === "failed" && job.final ? "failed for good" : job.state;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** One line with the count of each state, e.g. "3 pending, 10 running, 87 done". */
export function formatCounts(m: Manifest): string {
  const counts = stateCounts(m);
  const keys = [...ORDER.filter((k) => counts[k]), ...(counts["failed for good"] ? ["failed for good"] : [])];
  return keys.map((k) => `${counts[k]} ${k}`).join(", ") || "no jobs";
}

/** The table of failed jobs with their attempts and reasons, or an empty list when none failed. */
export function failureTable(m: Manifest): string[] {
  const failed = m.jobs.filter((j) => j.state === "failed");
  if (failed.length === 0) return [];
  const rows = failed.map((j) => [
    j.id,
    String(j.attempts.length),
    j.attempts.at(-1)?.batchId ?? "-",
    j.reason ?? "unknown",
  ]);
  const head = ["job", "attempts", "batch id", "reason"];
  const widths = head.slice(0, 3).map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .slice(0, 3)
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ") +
    "  " +
    r[3];
  const out = [chalk.bold(fmt(head))];
  failed.forEach((j, i) => {
    out.push(fmt(rows[i]!));
    // the last lines of its logs (copied into <scan>/logs/<job id>/)
    for (const line of j.logTail ?? []) out.push(`${" ".repeat(widths[0]! + 2)}| ${line}`);
  });
  return out;
}

/**
 * The command that plots a scan with its parameters: `mlprof plot` (PlotMultiRuntimes) for a latency scan,
 * `mlprof run PlotMultiThroughput` for a throughput scan.
 */
export function plotCommand(scan: Scan): string {
  const a = scan.values;
  const parts = [
    "mlprof",
    ...(scan.kind === "latency" ? ["plot"] : ["run", "PlotMultiThroughput"]),
    "--version",
    scan.version,
    "--model-files",
    scan.models.map((m) => m.file).join(","),
  ];
  const names = a.modelNames;
  const labels = a.modelLabels;
  if (names.length) parts.push("--model-names", names.join(","));
  if (labels.length) parts.push("--model-labels", labels.join(","));
  parts.push("--batch-sizes", scan.batchSizes.join(","));
  if (scan.kind === "throughput") parts.push("--streams", scan.streams.join(","));
  parts.push(...scanMeasurementFlags(scan, false));
  if (a.executor !== "local") parts.push("--executor", a.executor);
  // PlotMultiThroughput plots one release (a throughput scan measures the engines installed on the workers)
  if (scan.kind === "throughput")
    parts.push("--cmssw-version", scan.releases[0]!, "--scram-arch", scan.archs[0]!);
  else parts.push("--cmssw-versions", scan.releases.join(","), "--scram-archs", scan.archs.join(","));
  return parts.map(shq).join(" ");
}
