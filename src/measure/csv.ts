import { readFileSync } from "node:fs";
import { lazyRequire } from "../util/lazy.js";
import { MlprofError } from "../util/errors.js";

/** Loaded on first use (see util/lazy.ts). */
const csv = lazyRequire<typeof import("csv-parse/sync")>("csv-parse/sync");

/** One timed call: the batch size and the runtime in milliseconds. */
export interface RuntimeRow {
  batchSize: number;
  runtimeMs: number;
  /** The row's line in its file (1-based), when read from one. */
  line?: number;
}

/** Parsed runtime CSV: the `# key: value` metadata lines and the rows. */
export interface RuntimeCsv {
  meta: Record<string, string>;
  rows: RuntimeRow[];
}

/** Renders metadata as the CSV's leading `# key: value` comment lines. */
export function csvMetaLines(meta: Record<string, string | number>): string {
  return Object.entries(meta)
    .map(([k, v]) => `# ${k}: ${String(v).replace(/\n/g, " ")}\n`)
    .join("");
}

/**
 * Reads a runtime CSV in the original's format (`batch_size,runtime_ms` rows, no header) preceded by
 * optional `# key: value` metadata lines; every malformed row is reported with its line number.
 */
export function readRuntimeCsv(path: string): RuntimeCsv {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MlprofError(`cannot read runtime CSV ${path}: ${(err as Error).message}`);
  }
  const meta: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^#\s*([^:]+):\s?(.*)$/.exec(line);
    if (m) meta[m[1]!.trim()] = m[2]!.trim();
  }
  const records = csv().parse(text, {
    comment: "#",
    skip_empty_lines: true,
    relax_column_count: true,
    info: true,
  }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  const rows = records.map(({ record, info }) => {
    const [bs, rt] = record;
    const batchSize = Number(bs);
    const runtimeMs = Number(rt);
    if (
      record.length !== 2 ||
      !Number.isInteger(batchSize) ||
      batchSize <= 0 ||
      !Number.isFinite(runtimeMs) ||
      runtimeMs < 0
    ) {
      throw new MlprofError(
        `${path}, line ${info.lines}: expected 'batch_size,runtime_ms' with a positive integer and a number, found '${record.join(",")}'`,
      );
    }
    return { batchSize, runtimeMs, line: info.lines };
  });
  return { meta, rows };
}
