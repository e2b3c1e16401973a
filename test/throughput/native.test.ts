/**
 * TensorFlow and tfaot throughput through the native runners: S threads on one TF_Session (shared), S model
 * instances for tfaot (one per stream, as CMSSW), each point with its metadata.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ThroughputRecord } from "../../src/throughput/local.js";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
after(() => data.cleanup());
before(() => ensureBuilt());

const QUICK = ["--warmup-duration", "0.3", "--min-duration", "0.5", "--min-calls", "20", "--repeats", "1"];

/** The process records of a version, by streams. */
async function measure(yaml: string, version: string): Promise<Map<number, ThroughputRecord>> {
  const r = await mlprof(
    [
      "run",
      "MergeThroughput",
      "--version",
      version,
      "--model-file",
      yaml,
      "--batch-sizes",
      "2",
      "--streams",
      "1,2",
      ...QUICK,
    ],
    data.env,
  );
  assert.equal(r.code, 0, r.stderr);
  const dir = join(data.store, "MeasureThroughputRepeat");
  const records = listFiles(dir)
    .filter((f) => f.includes(`/${version}/`) && f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(dir, f), "utf8")) as ThroughputRecord);
  return new Map(records.map((rec) => [rec.point.streams, rec]));
}

test("tf: S threads call TF_SessionRun on one shared session, each stream completing its calls", async () => {
  const records = await measure(join(EXAMPLES, "dnn", "model_tf_l10u128.yaml"), "tf");
  assert.deepEqual([...records.keys()].sort(), [1, 2]);
  for (const [streams, rec] of records) {
    assert.equal(rec.point.sharing, "shared-session");
    assert.match(rec.point.mechanism, /TF_SessionRun on one TF_Session/);
    assert.equal(rec.process.engine.name, "tensorflow");
    assert.equal(rec.process.streams, streams);
    assert.equal(rec.process.engine.instances, undefined);
    assert.equal(rec.process.clock, "std::chrono::steady_clock (CLOCK_MONOTONIC, ns)");
    assert.match(rec.process.timedCall, /TF_SessionRun on the shared session/);
    assert.equal(rec.result.callsPerStream.length, streams);
    assert.ok(rec.result.callsPerStream.every((n) => n > 0));
    assert.ok(rec.process.warmupCalls.every((n) => n >= 10));
    assert.equal(rec.point.batchSize, 2);
    assert.ok(rec.result.eventsPerSecond > 0);
  }
});

test("tfaot: each stream calls a model instance of its own (S instances)", async () => {
  const records = await measure(join(EXAMPLES, "dnn", "model_tfaot_l10u128.yaml"), "tfaot");
  assert.deepEqual([...records.keys()].sort(), [1, 2]);
  for (const [streams, rec] of records) {
    assert.equal(rec.point.sharing, "instance-per-stream");
    assert.equal(rec.process.sharing, "instance-per-stream");
    assert.equal(rec.process.engine.name, "tensorflow-xla-aot");
    assert.equal(rec.process.engine.instances, String(streams), "one model instance per stream");
    assert.match(rec.process.timedCall, /the stream's own model instance/);
    assert.equal(rec.result.callsPerStream.length, streams);
    assert.ok(rec.result.callsPerStream.every((n) => n > 0));
    // CMSSW's default rule for batch size 2 with a model compiled for 1: two chunks of 1
    assert.match(String(rec.process.engine.batchRule), /^2:1,1 /);
  }
});
