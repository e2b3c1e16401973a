import { latexToPlotly } from "../plot/labels.js";
import type { RepeatStats } from "../stats/repeats.js";
import type { SampleSummary } from "../stats/summary.js";
import { validityWord, type Validity } from "../stats/validity.js";
import type { CompetitionRecord } from "../measure/competition.js";
import { waitFraction } from "../stats/competition.js";

/** A label for plain text: its simple LaTeX as Unicode (as in the plots), without markup. */
export function plainLabel(label: string): string {
  return latexToPlotly(label)
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

/** A column of a text table: its header and whether values are right-aligned (numbers). */
export interface Column {
  header: string;
  right?: boolean;
}

/** Renders rows as an aligned plain-text table with a header rule. */
export function textTable(columns: Column[], rows: string[][]): string[] {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (columns[i]!.right ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)];
}

/** A number with `digits` significant digits, without exponent for ordinary runtimes. */
export function sig(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const abs = Math.abs(x);
  if (abs >= 1e-3 && abs < 1e7) {
    const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
    return x.toFixed(decimals);
  }
  return x.toPrecision(digits);
}

/** A fraction as a percentage with one decimal. */
export function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

/** One summarized measurement: a label (model, release), the batch size and its summary. */
export interface SummaryEntry {
  label: string;
  batchSize: number;
  /** The calls of every process pooled. */
  summary: SampleSummary;
  /** Across the processes (absent for summaries of pooled calls only). */
  repeats?: RepeatStats;
  /** With --until-stable: whether every event reached stable windows. */
  stable?: boolean;
  /** The point's validity verdict (absent for summaries of calls without their processes). */
  validity?: Validity;
  /** What competed with each process's timed calls (undefined where a process recorded none). */
  competition?: (CompetitionRecord | undefined)[];
  /** The timed calls of each process. */
  processCalls?: number[];
  /** tfaot: whether this batch size was stitched from other compiled sizes. */
  stitched?: boolean;
}

/** Decimals that show `digits` significant digits of the smallest non-zero magnitude among values. */
export function columnDecimals(values: number[], digits = 4): number {
  const finite = values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  if (finite.length === 0) return 0;
  return Math.min(6, Math.max(0, digits - 1 - Math.floor(Math.log10(Math.min(...finite)))));
}

/** Values with the same decimals, so that right-aligned cells align on the decimal point. */
export function fixedColumn(values: (number | null)[], digits = 4): string[] {
  const decimals = columnDecimals(
    values.filter((v): v is number => v !== null),
    digits,
  );
  return values.map((v) => (v === null ? "–" : v.toFixed(decimals)));
}

/** The legend of the summary table: which median is which (the same words as the README and the JSON). */
export const MEDIANS_LEGEND = [
  "median (pooled calls): the median of every call of every process pooled (JSON: pooledCalls.median);",
  "median across procs: the geometric mean of the process medians, the measurement's median (JSON: acrossProcesses.median).",
];

/**
 * The summary table printed at the end of the runtime tasks, followed by the warnings (grouped per model):
 * per batch size the processes, the calls, the median of the pooled calls, per event, the median across
 * processes (the geometric mean of the process medians) and its interval, quantiles, the between- and
 * within-process spreads and the throughput; a legend says which median is which.
 */
export function summaryTable(entries: SummaryEntry[]): string[] {
  const columns: Column[] = [
    { header: "model" },
    { header: "batch", right: true },
    { header: "procs", right: true },
    { header: "calls", right: true },
    { header: "median (pooled calls)", right: true },
    { header: "ms/event", right: true },
    { header: "median across procs", right: true },
    { header: "95 % CI across procs", right: true },
    { header: "p16", right: true },
    { header: "p84", right: true },
    { header: "p95", right: true },
    { header: "p99.9", right: true },
    { header: "robust CV", right: true },
    { header: "between", right: true },
    { header: "within", right: true },
    { header: "events/s", right: true },
    { header: "CPU wait", right: true },
    { header: "valid" },
  ];
  const col = (f: (e: SummaryEntry) => number | null, digits = 4) => fixedColumn(entries.map(f), digits);
  const median = col((e) => e.summary.median);
  const perEvent = col((e) => e.summary.median / e.batchSize);
  const across = col((e) => e.repeats?.center ?? null);
  const ciValues = entries.flatMap((e) =>
    e.repeats?.interval ? [e.repeats.interval.low, e.repeats.interval.high] : [],
  );
  const ciDecimals = columnDecimals([...ciValues, ...entries.map((e) => e.summary.median)]);
  const ci = entries.map((e) =>
    e.repeats?.interval
      ? `[${e.repeats.interval.low.toFixed(ciDecimals)}, ${e.repeats.interval.high.toFixed(ciDecimals)}]`
      : "– (1 process)",
  );
  const q = (f: (s: SampleSummary) => number | null) => col((e) => f(e.summary));
  const [p16, p84, p95, p999] = [q((s) => s.p16), q((s) => s.p84), q((s) => s.p95), q((s) => s.p999)];
  const pctCol = (f: (e: SummaryEntry) => number | null) =>
    entries.map((e) => {
      const v = f(e);
      return v === null ? "–" : `${(100 * v).toFixed(1)} %`;
    });
  const robust = pctCol((e) => e.summary.robustCv);
  const between = pctCol((e) => e.repeats?.betweenCv ?? null);
  const within = pctCol((e) => e.repeats?.withinCv ?? null);
  const rate = col((e) => e.summary.throughput, 3).map((v) => String(Math.round(Number(v))));
  const wait = pctCol((e) => worstWait(e.competition));
  const rows = entries.map((e, i) => [
    plainLabel(e.label) + (e.stable === false ? " (not stable)" : ""),
    String(e.batchSize),
    String(e.repeats?.n ?? 1),
    String(e.summary.n),
    median[i]!,
    perEvent[i]!,
    across[i]!,
    ci[i]!,
    p16[i]!,
    p84[i]!,
    p95[i]!,
    p999[i]!,
    robust[i]!,
    between[i]!,
    within[i]!,
    rate[i]!,
    wait[i]!,
    validityWord(e.validity),
  ]);
  return [
    "",
    "runtime per call (ms):",
    ...textTable(columns, rows),
    ...MEDIANS_LEGEND,
    ...VALIDITY_LEGEND,
    ...groupedWarnings(entries),
    ...groupedReasons(entries),
  ];
}

/** The legend of the table's competition and validity columns. */
export const VALIDITY_LEGEND = [
  "CPU wait: the largest share of a process's timed calls it waited for a CPU (JSON: competition of each process);",
  "valid: the point's verdict (enough calls for its percentiles, long enough, stable, no competition; JSON: valid, reasons).",
];

/** The largest wait fraction of the processes that recorded competition; null when none did. */
export function worstWait(competition: (CompetitionRecord | undefined)[] | undefined): number | null {
  const known = (competition ?? []).filter((c): c is CompetitionRecord => c !== undefined);
  return known.length ? Math.max(...known.map(waitFraction)) : null;
}

/** Why points are not valid, one heading line per model and one line per batch size's reason. */
export function groupedReasons(entries: SummaryEntry[]): string[] {
  const out: string[] = [];
  const labels = [...new Set(entries.map((e) => e.label))];
  for (const label of labels) {
    const own = entries.filter((e) => e.label === label && e.validity && e.validity.valid !== true);
    if (own.length === 0) continue;
    out.push(`validity of ${plainLabel(label)}:`);
    for (const e of own) {
      const word = e.validity!.valid === false ? "invalid" : "unknown";
      for (const r of e.validity!.reasons) out.push(`  batch size ${e.batchSize} (${word}): ${r}`);
    }
  }
  return out;
}

/** The warnings of summary entries, one heading line per model and one line per batch size's warning. */
export function groupedWarnings(entries: SummaryEntry[]): string[] {
  const out: string[] = [];
  const labels = [...new Set(entries.map((e) => e.label))];
  for (const label of labels) {
    const own = entries.filter((e) => e.label === label && e.summary.warnings.length > 0);
    if (own.length === 0) continue;
    out.push(`warnings of ${plainLabel(label)}:`);
    for (const e of own) for (const w of e.summary.warnings) out.push(`  batch size ${e.batchSize}: ${w}`);
  }
  return out;
}

/** The distinct non-empty values `read` gives of the items, in first-seen order, joined with ", ". */
export function distinctValues<T>(items: readonly T[], read: (item: T) => unknown): string {
  const values = items.map(read).filter((v) => v !== undefined && v !== null && v !== "");
  return [...new Set(values.map(String))].join(", ");
}
