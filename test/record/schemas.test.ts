/**
 * The schemas of the store's records (src/record/schemas.ts), one per kind: a record as MLProf writes it
 * passes, with keys the schema does not know; a wrong field is one error naming the file, the field path,
 * what was expected and what was found, never a TypeError.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { readMeasurementRecord, readMergedRecord, readProcessMeta } from "../../src/record/measurement.js";
import { describeFound, readRecord, type RecordKind } from "../../src/record/schemas.js";
import { measurementRecord, memoryMeta, mergedRecord, processMeta } from "./records.js";

const dir = mkdtempSync(join(tmpdir(), "mlprof-schemas-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Writes `text` (a value as JSON, or raw text) into a fresh file and returns its path. */
function file(content: unknown, raw = false): string {
  const path = join(dir, `r${n++}.json`);
  writeFileSync(path, raw ? String(content) : JSON.stringify(content));
  return path;
}

/** Asserts that reading the record of `kind` from a file of `content` fails with exactly `message` (after the path). */
function refuses(kind: RecordKind, content: unknown, message: string, raw = false): void {
  const path = file(content, raw);
  assert.throws(
    () => readRecord(kind, path),
    (err: Error & { hint?: string }) => {
      assert.equal(err.name, "MlprofError");
      assert.equal(err.message, `${kind} ${path}: ${message}`);
      assert.match(err.hint ?? "", /--remove-output/);
      return true;
    },
  );
}

describe("the measurement record (runtime_bs_<N>.json)", () => {
  const kind = "measurement metadata";
  test("a record as MeasureRuntime writes it passes, with unknown extra keys kept", () => {
    const rec = measurementRecord();
    const extra = { ...rec, model: { ...rec.model, contentSha256: "cd".repeat(32) }, newField: [1] };
    const read = readMeasurementRecord(file(extra));
    assert.equal((read.model as { contentSha256?: string }).contentSha256, "cd".repeat(32));
    assert.equal(read.measurement.batchSize, 4);
    const oneProcess: Partial<typeof rec> = { ...rec };
    delete oneProcess.repeats;
    assert.equal(readMeasurementRecord(file(oneProcess)).repeats, undefined, "a repeat's record has none");
  });
  test("repeats: 5, [null], {} and a string where a number belongs", () => {
    refuses(
      kind,
      { ...measurementRecord(), repeats: 5 },
      "field repeats: expected an array, found the number 5",
    );
    refuses(kind, [null], "the document: expected a JSON object, found an array of 1 item");
    refuses(kind, null, "the document: expected a JSON object, found null");
    refuses(
      kind,
      {},
      "field mlprof: expected an object, found nothing (the field is missing) (and 7 more problems)",
    );
    const rec = measurementRecord();
    refuses(
      kind,
      { ...rec, measurement: { ...rec.measurement, batchSize: "4" } },
      'field measurement.batchSize: expected a finite number, found the string "4"',
    );
    refuses(kind, { ...rec, repeats: [null] }, "field repeats[0]: expected an object, found null");
    refuses(
      kind,
      { ...rec, repeats: [] },
      "field repeats: expected at least 1 item(s), found an array of 0 items",
    );
  });
  test("numbers out of their range: a fractional batch size, a negative row count, 1e400, an absurd median", () => {
    const rec = measurementRecord();
    refuses(
      kind,
      { ...rec, measurement: { ...rec.measurement, batchSize: 1.5 } },
      "field measurement.batchSize: expected an integer, found the number 1.5",
    );
    refuses(
      kind,
      { ...rec, repeats: [{ ...rec.repeats![0]!, rows: -3 }] },
      "field repeats[0].rows: expected a number above 0, found the number -3",
    );
    refuses(
      kind,
      JSON.stringify(rec).replace('"loadMs":92.2', '"loadMs":1e400'), // the first: process.timings,
      "field process.timings.loadMs: expected a finite number, found the number Infinity",
      true,
    );
    refuses(
      kind,
      { ...rec, repeats: [{ ...rec.repeats![0]!, medianMs: 1e308 }] },
      "field repeats[0].medianMs: expected a number of at most 3600000, found the number 1e+308",
    );
    refuses(
      kind,
      { ...rec, measurement: { ...rec.measurement, unit: "s" } },
      'field measurement.unit: expected one of "ms", found the string "s"',
    );
  });
  test("a file that is not JSON is named", () => {
    const path = file('{"mlprof": {', true);
    assert.throws(() => readMeasurementRecord(path), {
      message: new RegExp(`^measurement metadata ${path} is not valid JSON \\(`),
    });
  });
});

describe("the measurement process's metadata (process.json)", () => {
  const kind = "measurement process metadata";
  test("as the process writes it, it passes", () => {
    assert.equal(readProcessMeta(file(processMeta())).rows, 10);
    const timings: Partial<ReturnType<typeof processMeta>["timings"]> = { ...processMeta().timings };
    delete timings.firstCallMs;
    assert.equal(readProcessMeta(file({ ...processMeta(), timings })).timings.firstCallMs, undefined);
  });
  test("wrong fields are named", () => {
    const meta = processMeta();
    refuses(
      kind,
      { ...meta, memory: { ...meta.memory, peakRssKb: null } },
      "field memory.peakRssKb: expected a finite number, found null",
    );
    refuses(kind, { ...meta, engine: "onnx" }, 'field engine: expected an object, found the string "onnx"');
    refuses(kind, { ...meta, rows: 2.5 }, "field rows: expected an integer, found the number 2.5");
    refuses(
      kind,
      {
        ...meta,
        stability: { windowCalls: 5, threshold: 0.02, maxDurationMs: 100, events: [{ stable: "yes" }] },
      },
      "field stability.events[0].windowMediansMs: expected an array, found nothing (the field is missing) (and 2 more problems)",
    );
  });
});

describe("the merged record (runtimes_bs_<...>.json)", () => {
  const kind = "merged measurement metadata";
  test("as MergeRuntimes writes it, it passes; one without pooledCalls (an earlier version's) too", () => {
    assert.deepEqual(readMergedRecord(file(mergedRecord())).batchSizes, [1, 4]);
    const old = mergedRecord();
    const measurements = old.measurements.map(({ pooledCalls: _, ...m }) => ({ ...m, summary: {} }));
    assert.equal(readMergedRecord(file({ ...old, measurements })).measurements.length, 2);
  });
  test("wrong fields are named, down into the measurements' metadata", () => {
    const rec = mergedRecord();
    refuses(kind, { ...rec, measurements: 3 }, "field measurements: expected an array, found the number 3");
    refuses(
      kind,
      { ...rec, batchSizes: ["1", 4] },
      'field batchSizes[0]: expected a finite number, found the string "1"',
    );
    const [first, second] = rec.measurements;
    refuses(
      kind,
      { ...rec, measurements: [first, { ...second!, metadata: { ...second!.metadata, repeats: 5 } }] },
      "field measurements[1].metadata.repeats: expected an array, found the number 5",
    );
    refuses(
      kind,
      { ...rec, measurements: [{ ...first!, pooledCalls: { n: 20, median: null } }] },
      "field measurements[0].pooledCalls.median: expected a finite number, found null",
    );
  });
});

describe("the memory record (memory_bs_<...>.json)", () => {
  const kind = "memory metadata";
  test("as MeasureMemory and MergeMemory write it, it passes", () => {
    assert.deepEqual(readRecord<{ batchSizes: number[] }>(kind, file(memoryMeta())).batchSizes, [1, 4]);
  });
  test("wrong fields are named", () => {
    refuses(
      kind,
      { ...memoryMeta(), batchSizes: 4 },
      "field batchSizes: expected an array, found the number 4",
    );
    refuses(
      kind,
      { ...memoryMeta(), sources: "a.csv" },
      'field sources: expected an array, found the string "a.csv"',
    );
  });
});

describe("the batch costs of MeasureBatchCosts (batchcosts.json)", () => {
  const kind = "batch costs";
  const size = (s: number, ms: number) => ({
    size: s,
    medianMs: ms,
    processMediansMs: [ms, ms * 1.01],
    p16Ms: ms * 0.98,
    p84Ms: ms * 1.03,
    csv: `/store/runtime_bs_${s}.csv`,
    objectBytes: 12345,
  });
  const costs = () => ({
    modelFile: "/m/model_tfaot.yaml",
    compiledSizes: [1, 2],
    sizes: [size(1, 0.05), size(2, 0.06)],
    probes: [
      {
        rule: "2:1,1",
        target: 2,
        chunks: [1, 1],
        padding: 0,
        medianMs: 0.11,
        processMediansMs: [0.11, 0.112],
        chunksAloneMs: 0.1,
        predictedMs: 0.108,
        csv: "/store/probe.csv",
      },
    ],
    chunkOverheadMs: 0.004,
    paddedElementSavingMs: -0.001,
    compile: { compileMs: 4000, dir: "/sw/tfaot/models/x" },
    loadAverages: [0.3],
  });
  test("as MeasureBatchCosts writes it, it passes", () => {
    assert.deepEqual(readRecord<{ compiledSizes: number[] }>(kind, file(costs())).compiledSizes, [1, 2]);
  });
  test("wrong fields are named", () => {
    refuses(
      kind,
      { ...costs(), sizes: [] },
      "field sizes: expected at least 1 item(s), found an array of 0 items",
    );
    refuses(
      kind,
      { ...costs(), probes: [{ ...costs().probes[0], target: 0 }] },
      "field probes[0].target: expected a number above 0, found the number 0",
    );
    const noOverhead: Record<string, unknown> = { ...costs() };
    delete noOverhead.chunkOverheadMs;
    refuses(
      kind,
      noOverhead,
      "field chunkOverheadMs: expected a finite number, found nothing (the field is missing)",
    );
  });
});

test("what was found is said with its type and, when short, its value", () => {
  assert.equal(describeFound(undefined), "nothing (the field is missing)");
  assert.equal(describeFound(true), "the boolean true");
  assert.equal(describeFound({ a: 1 }), "an object");
  assert.equal(describeFound("x".repeat(50)), `the string "${"x".repeat(40)}…"`);
});
