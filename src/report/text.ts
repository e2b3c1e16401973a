import { latexToPlotly } from "../plot/labels.js";
import type { SampleSummary } from "../stats/summary.js";

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
  summary: SampleSummary;
}

/** The summary table printed at the end of the runtime tasks, followed by the instability warnings. */
export function summaryTable(entries: SummaryEntry[]): string[] {
  const columns: Column[] = [
    { header: "model" },
    { header: "batch", right: true },
    { header: "n", right: true },
    { header: "median ms", right: true },
    { header: "95 % CI", right: true },
    { header: "p16", right: true },
    { header: "p84", right: true },
    { header: "p99", right: true },
    { header: "mean", right: true },
    { header: "CV", right: true },
    { header: "outliers", right: true },
    { header: "events/s", right: true },
  ];
  const rows = entries.map(({ label, batchSize, summary: s }) => [
    plainLabel(label),
    String(batchSize),
    String(s.n),
    sig(s.median),
    `[${sig(s.medianCi.low)}, ${sig(s.medianCi.high)}]`,
    sig(s.p16),
    sig(s.p84),
    sig(s.p99),
    sig(s.mean),
    sig(s.cv, 2),
    String(s.outliers.low + s.outliers.high),
    sig(s.throughput, 3),
  ]);
  const warnings = entries.flatMap((e) =>
    e.summary.warnings.map((w) => `warning: ${plainLabel(e.label)}, batch size ${e.batchSize}: ${w}`),
  );
  return ["", "runtime per call (ms):", ...textTable(columns, rows), ...warnings];
}
