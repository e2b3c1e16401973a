import { existsSync, readFileSync, rmSync } from "node:fs";
import { lazyRequire } from "../util/lazy.js";
import type { PartialRecord } from "../record/measurement.js";
import { medianOf } from "../stats/stats.js";
import { readRecord } from "../record/schemas.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { plainLabel, sig, textTable, type Column } from "./text.js";
import { PAIR_MISMATCH_HINT } from "../record/repeats.js";

/** Loaded on first use (see util/lazy.ts). */
const csv = lazyRequire<typeof import("csv-parse/sync")>("csv-parse/sync");

/** Resident memory of one measurement process at its stages (MiB), and the model's load time. */
export interface MemoryRecord {
  batchSize: number;
  rssBeforeLoadMib: number;
  rssAfterLoadMib: number;
  rssAfterWarmupMib: number;
  rssAfterTimingMib: number;
  peakRssMib: number;
  loadMs: number;
  /** The first inference call after loading (cold start), ms; NaN when not recorded. */
  firstCallMs: number;
  /** The median of the processes' median call (steady state), ms; NaN when not recorded. */
  medianCallMs: number;
}

/** Columns of the memory CSVs: record field and CSV header, in file order. */
export const MEMORY_COLUMNS: readonly [keyof MemoryRecord, string][] = [
  ["batchSize", "batch_size"],
  ["rssBeforeLoadMib", "rss_before_load_mib"],
  ["rssAfterLoadMib", "rss_after_load_mib"],
  ["rssAfterWarmupMib", "rss_after_warmup_mib"],
  ["rssAfterTimingMib", "rss_after_timing_mib"],
  ["peakRssMib", "peak_rss_mib"],
  ["loadMs", "load_ms"],
  ["firstCallMs", "first_call_ms"],
  ["medianCallMs", "median_call_ms"],
];

/** A plottable quantity of the memory CSVs. */
export interface MemoryQuantity {
  /** Legend / table text. */
  label: string;
  unit: "MiB" | "ms";
  value(r: MemoryRecord): number;
}

/** The quantities PlotMultiMemory and the report can show, by their command-line names. */
export const MEMORY_QUANTITIES = {
  "before-load": { label: "before loading", unit: "MiB", value: (r) => r.rssBeforeLoadMib },
  "after-load": { label: "after loading", unit: "MiB", value: (r) => r.rssAfterLoadMib },
  "after-warmup": { label: "after warm-up", unit: "MiB", value: (r) => r.rssAfterWarmupMib },
  "after-timing": { label: "after the timed calls", unit: "MiB", value: (r) => r.rssAfterTimingMib },
  peak: { label: "peak", unit: "MiB", value: (r) => r.peakRssMib },
  load: { label: "added by loading", unit: "MiB", value: (r) => r.rssAfterLoadMib - r.rssBeforeLoadMib },
  "load-time": { label: "load time", unit: "ms", value: (r) => r.loadMs },
  "first-call": { label: "first call", unit: "ms", value: (r) => r.firstCallMs },
  "median-call": { label: "median call", unit: "ms", value: (r) => r.medianCallMs },
} satisfies Record<string, MemoryQuantity>;

export type MemoryQuantityName = keyof typeof MEMORY_QUANTITIES;

/** The stages drawn by PlotMemory, one trace each. */
export const MEMORY_STAGES: MemoryQuantityName[] = ["before-load", "after-load", "after-warmup", "peak"];

/** The median of the finite values (NaN for none). */
function medianFinite(values: (number | undefined)[]): number {
  const finite = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  return finite.length ? medianOf(finite) : NaN;
}

/**
 * The memory record of a MeasureRuntime metadata JSON: process.memory (kB, from /proc/self/status VmRSS
 * and VmHWM) in MiB of its first process; the load time, the first call and the median call as medians
 * over its processes.
 */
export function memoryRecordFromMetadata(meta: PartialRecord, batchSize: number, path: string): MemoryRecord {
  const proc = meta.process;
  const mem = proc?.memory;
  const loadMs = proc?.timings?.loadMs;
  const kb = mem && [mem.rssBeforeLoadKb, mem.rssAfterLoadKb, mem.rssAfterWarmupKb, mem.rssAfterTimingKb];
  if (!mem || !kb || ![...kb, mem.peakRssKb, loadMs].every((v) => typeof v === "number" && v >= 0)) {
    throw new MlprofError(
      `${path}: expected process.memory with rssBeforeLoadKb, rssAfterLoadKb, rssAfterWarmupKb, rssAfterTimingKb, peakRssKb and process.timings.loadMs`,
      "this metadata file predates the memory readings; remove the measurement (--remove-output) and run again",
    );
  }
  if (mem.peakRssKb === 0) {
    throw new MlprofError(
      `${path}: the measurement recorded no memory (no /proc/self/status on this system)`,
    );
  }
  const mib = (v: number) => v / 1024;
  return {
    batchSize,
    rssBeforeLoadMib: mib(mem.rssBeforeLoadKb),
    rssAfterLoadMib: mib(mem.rssAfterLoadKb),
    rssAfterWarmupMib: mib(mem.rssAfterWarmupKb),
    rssAfterTimingMib: mib(mem.rssAfterTimingKb),
    peakRssMib: mib(mem.peakRssKb),
    loadMs: medianFinite(meta.repeats?.map((r) => r.timings.loadMs) ?? [loadMs]),
    firstCallMs: medianFinite(
      meta.repeats?.map((r) => r.timings.firstCallMs) ?? [proc?.timings?.firstCallMs],
    ),
    medianCallMs: medianFinite(meta.repeats?.map((r) => r.medianMs) ?? []),
  };
}

/** The facts of a memory CSV, written as the JSON beside it (memory_bs_<...>.json; see record/schemas.ts). */
export interface MemoryMeta {
  model: string;
  batchSizes: number[];
  /** The files the values were read from: the MeasureRuntime JSONs, or the MeasureMemory CSVs merged. */
  sources: string[];
  units: string;
  /** The CSV's header row. */
  csvColumns: string;
  /** Of a MeasureMemory: the engine, CPU and host of the measurement. */
  engine?: string;
  cpu?: string;
  host?: string;
}

/** What the values of the memory CSVs are. */
export const MEMORY_UNITS = "resident set size in MiB (VmRSS, peak VmHWM), load time in ms";

/** The header row of the memory CSVs. */
export const MEMORY_CSV_COLUMNS = MEMORY_COLUMNS.map(([, h]) => h).join(",");

/** A memory CSV: a header row and one row per record, nothing else (its facts are in the JSON beside it). */
export function memoryCsv(records: MemoryRecord[]): string {
  const rows = records.map((r) =>
    MEMORY_COLUMNS.map(([key]) =>
      key === "batchSize"
        ? String(r[key])
        : Number.isFinite(r[key])
          ? r[key].toFixed(key.endsWith("CallMs") ? 6 : 3)
          : "nan",
    ).join(","),
  );
  return [MEMORY_CSV_COLUMNS, ...rows].join("\n") + "\n";
}

/**
 * Writes a memory CSV and the JSON of its facts beside it: the JSON first, the CSV last (a failed CSV write
 * takes the JSON with it), as every result pair is written.
 */
export function writeMemoryPair(
  csvPath: string,
  jsonPath: string,
  records: MemoryRecord[],
  meta: MemoryMeta,
): void {
  rmSync(csvPath, { force: true });
  writeJsonAtomic(jsonPath, meta);
  try {
    writeFileAtomic(csvPath, memoryCsv(records));
  } catch (err) {
    rmSync(jsonPath, { force: true });
    throw err;
  }
}

/**
 * Reads a memory CSV, checking its header and that every cell is a number; `#` lines (the metadata lines of
 * memory CSVs of earlier MLProf versions) are skipped.
 */
export function readMemoryCsv(path: string): MemoryRecord[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MlprofError(`cannot read memory CSV ${path}: ${(err as Error).message}`);
  }
  const records = csv().parse(text, { comment: "#", skip_empty_lines: true }) as string[][];
  const [header, ...rows] = records;
  const expected = MEMORY_COLUMNS.map(([, h]) => h);
  if (header?.join(",") !== expected.join(",")) {
    throw new MlprofError(
      `${path}: expected the header '${expected.join(",")}', found '${header?.join(",")}'`,
    );
  }
  const out = rows.map((row, i) => {
    const values = row.map((cell) => (cell === "nan" ? NaN : Number(cell)));
    if (values.length !== expected.length || values.some((v, k) => !Number.isFinite(v) && row[k] !== "nan")) {
      throw new MlprofError(
        `${path}, row ${i + 1}: expected ${expected.length} numbers, found '${row.join(",")}'`,
      );
    }
    return Object.fromEntries(MEMORY_COLUMNS.map(([key], k) => [key, values[k]])) as unknown as MemoryRecord;
  });
  const jsonPath = path.replace(/\.csv$/, ".json");
  if (jsonPath !== path && existsSync(jsonPath)) {
    const meta = readRecord<MemoryMeta>("memory metadata", jsonPath);
    const found = out.map((r) => r.batchSize).join(",");
    if (found !== meta.batchSizes.join(",")) {
      throw new MlprofError(
        `${path}: its rows are of batch sizes ${found || "(none)"}, but ${jsonPath} gives ${meta.batchSizes.join(",")}`,
        PAIR_MISMATCH_HINT,
      );
    }
  }
  return out;
}

/** The memory table printed at the end of the memory tasks. */
export function memoryTable(entries: { label: string; record: MemoryRecord }[]): string[] {
  const columns: Column[] = [
    { header: "model" },
    { header: "batch", right: true },
    { header: "before load", right: true },
    { header: "after load", right: true },
    { header: "after warm-up", right: true },
    { header: "peak", right: true },
    { header: "load +", right: true },
    { header: "load ms", right: true },
    { header: "first call ms", right: true },
    { header: "median call ms", right: true },
  ];
  const q = MEMORY_QUANTITIES;
  const rows = entries.map(({ label, record: r }) => [
    plainLabel(label),
    String(r.batchSize),
    ...[q["before-load"], q["after-load"], q["after-warmup"], q.peak, q.load].map((x) =>
      x.value(r).toFixed(1),
    ),
    sig(r.loadMs, 3),
    Number.isFinite(r.firstCallMs) ? sig(r.firstCallMs, 3) : "–",
    Number.isFinite(r.medianCallMs) ? sig(r.medianCallMs, 3) : "–",
  ]);
  return ["", "resident memory (MiB), load time, first (cold) and median call:", ...textTable(columns, rows)];
}

/** One "key event" line of SimpleMemoryCheck's end-of-job report (sizes in MiB). */
export interface SimpleMemoryEvent {
  count: number;
  run: number;
  lumi: number;
  event: number;
  vsize: number;
  deltaVsize: number;
  rss: number;
  deltaRss: number;
}

/** What CMSSW's SimpleMemoryCheck reports at the end of a cmsRun job (its "Mbytes" are MiB). */
export interface SimpleMemoryReport {
  peakVsizeMib?: number;
  /** From "Peak rss size" (CMSSW 12 and newer), else the largest RSS of the key events. */
  peakRssMib?: number;
  /** From "EndJob: virtual size ..., RSS ..." (CMSSW 15 and newer). */
  endJobRssMib?: number;
  /** The key events increasing vsize, then those increasing rss, in report order (unset slots dropped). */
  keyEvents: SimpleMemoryEvent[];
}

const NUM = String.raw`(-?[\d.]+(?:e[-+]?\d+)?)`;
const EVENT_LINE = new RegExp(
  String.raw`^\s*\[(\d+)\] run: (\d+) lumi: (\d+) event: (\d+)\s+vsize = ${NUM} deltaVsize = ${NUM} rss = ${NUM} delta = ${NUM}`,
);

/**
 * Parses the MemoryReport of SimpleMemoryCheck from a cmsRun log: "MemoryReport> Peak virtual size V
 * Mbytes", "MemoryReport> Peak rss size R Mbytes", "MemoryReport> EndJob: virtual size V Mbytes, RSS R
 * Mbytes" and the "[n] run: r lumi: l event: e  vsize = ... rss = ... delta = ..." lines. Throws when the
 * log holds no MemoryReport (SimpleMemoryCheck not configured, or jobReportOutputOnly).
 */
export function parseSimpleMemoryCheck(log: string): SimpleMemoryReport {
  const peakVsize = new RegExp(String.raw`MemoryReport> Peak virtual size ${NUM} Mbytes`).exec(log);
  if (!peakVsize) throw new MlprofError("no 'MemoryReport> Peak virtual size' in the cmsRun log");
  const peakRss = new RegExp(String.raw`MemoryReport> Peak rss size ${NUM} Mbytes`).exec(log);
  const endJob = new RegExp(
    String.raw`MemoryReport> EndJob: virtual size ${NUM} Mbytes, RSS ${NUM} Mbytes`,
  ).exec(log);
  const keyEvents = log
    .slice(peakVsize.index)
    .split("\n")
    .map((line) => EVENT_LINE.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const [count, run, lumi, event, vsize, deltaVsize, rss, deltaRss] = m.slice(1).map(Number) as number[];
      return { count, run, lumi, event, vsize, deltaVsize, rss, deltaRss } as SimpleMemoryEvent;
    })
    .filter((e) => e.run > 0 || e.vsize > 0);
  const maxRss = keyEvents.length > 0 ? Math.max(...keyEvents.map((e) => e.rss)) : undefined;
  return {
    peakVsizeMib: Number(peakVsize[1]),
    peakRssMib: peakRss ? Number(peakRss[1]) : maxRss,
    endJobRssMib: endJob ? Number(endJob[2]) : undefined,
    keyEvents,
  };
}
