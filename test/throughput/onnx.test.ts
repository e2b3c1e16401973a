/**
 * ONNX throughput end to end with the real onnxruntime wheel: S streams share one session (one copy of the
 * weights), every point carries its metadata, oversubscription is refused or measured and marked.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { ThroughputRecord } from "../../src/throughput/local.js";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { writeWeightsModel } from "../helpers/onnx-weights.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
after(() => data.cleanup());
before(() => ensureBuilt());

/** Short windows: these tests check what is recorded, not how fast the machine is. */
const QUICK = ["--warmup-duration", "0.3", "--min-duration", "0.5", "--min-calls", "20", "--repeats", "1"];

function recordsOf(family: string): { path: string; json: ThroughputRecord }[] {
  return listFiles(join(data.store, family))
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({
      path: f,
      json: JSON.parse(readFileSync(join(data.store, family, f), "utf8")) as ThroughputRecord,
    }));
}

test("two streams share one session: the process holds one copy of 64 MiB of weights, not two", async () => {
  const model = writeWeightsModel(data.dir, "weights_4096", 4096, 4096);
  const peak: Record<number, number> = {};
  for (const streams of [1, 2]) {
    const r = await mlprof(
      [
        "run",
        "MeasureThroughput",
        "--version",
        "mem",
        "--model-file",
        model.yaml,
        "--streams",
        String(streams),
        ...QUICK,
      ],
      data.env,
    );
    assert.equal(r.code, 0, r.stderr);
    const rec = recordsOf("MeasureThroughputRepeat").find(
      (x) => x.path.includes("weights_4096") && x.json.point.streams === streams,
    )!.json;
    assert.equal(rec.point.sharing, "shared-session");
    const loaded = (rec.result.memory.rssAfterLoadKb - rec.result.memory.rssBeforeLoadKb) * 1024;
    assert.ok(
      loaded > 0.9 * model.bytes,
      `the session holds the weights: ${loaded} B loaded for ${model.bytes} B`,
    );
    peak[streams] = rec.result.memory.peakRssKb * 1024;
  }
  const added = peak[2]! - peak[1]!;
  assert.ok(
    added < 0.1 * model.bytes,
    `the second stream added ${(added / 2 ** 20).toFixed(1)} MiB of peak RSS for ${model.bytes / 2 ** 20} MiB of weights`,
  );
});

test("every point records its model, streams, threads, sharing, window, calls, CPU use and memory", async () => {
  const yaml = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
  const r = await mlprof(
    [
      "run",
      "MergeThroughput",
      "--version",
      "meta",
      "--model-file",
      yaml,
      "--batch-sizes",
      "1,4",
      "--streams",
      "1,2",
      ...QUICK,
    ],
    data.env,
  );
  assert.equal(r.code, 0, r.stderr);
  const processes = recordsOf("MeasureThroughputRepeat").filter((x) => x.path.includes("/meta/"));
  assert.equal(processes.length, 4);
  for (const { path, json: rec } of processes) {
    const { batchSize, streams } = rec.point;
    assert.match(path, new RegExp(`throughput_bs_${batchSize}_streams_${streams}_repeat_1\\.json$`));
    assert.equal(rec.kind, "throughput");
    assert.equal(rec.model.engine, "onnx");
    assert.equal(rec.model.graph, join(EXAMPLES, "dnn", "onnx_graph_l10u128.onnx"));
    assert.match(rec.model.graphSha256 ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(
      { threads: rec.point.threadsPerStream, need: rec.point.cpusNeeded, over: rec.point.oversubscribed },
      { threads: 1, need: streams, over: false },
    );
    assert.equal(rec.point.sharing, "shared-session");
    assert.equal(rec.process.streams, streams);
    assert.deepEqual(rec.process.threads, { intraOp: 1, interOp: 1 });
    assert.match(rec.process.engine.version, /^\d+\.\d+\.\d+$/);
    assert.equal(rec.process.clock, "std::chrono::steady_clock (CLOCK_MONOTONIC, ns)");
    assert.equal(rec.process.engine.name, "onnxruntime");
    assert.match(rec.process.timedCall, /takes the GIL, calls run_with_iobinding on its own binding/);
    assert.equal(rec.process.warmupCalls.length, streams);
    assert.ok(rec.process.warmupCalls.every((n) => n >= 10));
    assert.ok(rec.result.windowSeconds >= 0.5);
    assert.equal(rec.result.callsPerStream.length, streams);
    assert.ok(
      rec.result.callsPerStream.every((n) => n > 0),
      "every stream completed calls",
    );
    assert.ok(rec.result.eventsPerSecond > 0 && rec.result.eventsPerSecondStdError >= 0);
    assert.ok(
      rec.result.latencyMs.p50 <= rec.result.latencyMs.p90 &&
        rec.result.latencyMs.p90 <= rec.result.latencyMs.p99,
    );
    assert.ok(rec.result.cpu.busyCores > 0 && rec.result.cpu.utilisation > 0);
    assert.ok(rec.result.memory.peakRssKb >= rec.result.memory.rssAfterStreamsKb);
    // what competed with each stream thread over its timed calls (the validity counters)
    assert.equal(rec.process.competition?.length, streams);
    for (const c of rec.process.competition ?? []) {
      assert.ok(c && c.windowMs > 0 && c.runQueueWaitMs >= 0 && c.hostCpus > 0, JSON.stringify(c));
      assert.match(c.source, /stream thread's \/proc\/thread-self\/schedstat/);
    }
    assert.equal(rec.settings.csvColumns, "stream,start_ns,end_ns");
    assert.match(rec.provenance.settingsSha256, /^[0-9a-f]{64}$/);
    assert.equal(typeof rec.host.cpuModel, "string");
    // the calls CSV beside it: one line per timed call, of the streams it names
    const csv = readFileSync(
      join(data.store, "MeasureThroughputRepeat", path.replace(/\.json$/, ".csv")),
      "utf8",
    );
    const lines = csv.trim().split("\n");
    assert.ok(lines.every((l) => /^\d+,\d+,\d+$/.test(l) && Number(l.split(",")[0]) < streams));
    assert.ok(lines.length >= rec.result.steady.calls);
  }
  const merged = listFiles(join(data.store, "MergeThroughput")).filter((f) => f.includes("/meta/"));
  const table = readFileSync(
    join(
      data.store,
      "MergeThroughput",
      merged.find((f) => f.endsWith("throughput_bs_1_4_streams_1_2.csv"))!,
    ),
    "utf8",
  );
  const [header, ...rows] = table.trim().split("\n");
  assert.equal(
    header,
    "batch_size,streams,events_per_s,events_per_s_min,events_per_s_max,efficiency,latency_p50_ms,latency_p90_ms,latency_p99_ms,cpu_utilisation,peak_rss_mb,rss_per_added_stream_mb,oversubscribed",
  );
  assert.deepEqual(
    rows.map((row) => row.split(",").slice(0, 2).join(",")),
    ["1,1", "1,2", "4,1", "4,2"],
  );
  for (const row of rows) {
    const f = row.split(",");
    if (f[1] === "1") assert.equal(f[5], "1.0000", "the efficiency of 1 stream is 1");
    else assert.ok(Number(f[5]) > 0, `efficiency of ${row}`);
  }
  assert.match(r.stdout, /batch {2}streams {4}events\/s/);
});

test("streams x threads above the CPUs available are refused, or measured and marked with --oversubscribe", async () => {
  const yaml = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
  const args = [
    "run",
    "MeasureThroughput",
    "--version",
    "over",
    "--model-file",
    yaml,
    "--cpu-affinity",
    "0",
    "--streams",
    "2",
    ...QUICK,
  ];
  const refused = await mlprof(args, data.env);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /--streams 2 x --threads 1 needs 2 CPUs, --cpu-affinity 0 gives 1: the streams would compete for CPUs and the throughput would measure the scheduler/,
  );
  assert.match(refused.stderr, /measure at most 1 streams of 1 threads, or add --oversubscribe/);
  assert.deepEqual(
    recordsOf("MeasureThroughputRepeat").filter((x) => x.path.includes("/over/")),
    [],
  );
  const marked = await mlprof([...args, "--oversubscribe"], data.env);
  assert.equal(marked.code, 0, marked.stderr);
  const rec = recordsOf("MeasureThroughputRepeat").find((x) => x.path.includes("/over/"))!;
  assert.match(rec.path, /__oversubscribe__/);
  assert.deepEqual(
    {
      need: rec.json.point.cpusNeeded,
      have: rec.json.point.cpusAvailable,
      over: rec.json.point.oversubscribed,
    },
    { need: 2, have: 1, over: true },
  );
});

test("PlotThroughput draws the measured points (no new measurement) into PNG and HTML", async () => {
  const yaml = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
  const args = [
    "--version",
    "meta",
    "--model-file",
    yaml,
    "--batch-sizes",
    "1,4",
    "--streams",
    "1,2",
    ...QUICK,
  ];
  const before = recordsOf("MeasureThroughputRepeat").length;
  const r = await mlprof(["run", "PlotThroughput", ...args, "--file-types", "png"], data.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    recordsOf("MeasureThroughputRepeat").length,
    before,
    "the points of the earlier test are reused",
  );
  const files = listFiles(join(data.store, "PlotThroughput")).filter((f) => f.includes("/meta/"));
  assert.deepEqual(files.map((f) => f.split("/").at(-1)).sort(), [
    "throughput_bs_1_4_streams_1_2.html",
    "throughput_bs_1_4_streams_1_2.png",
  ]);
  const png = readFileSync(
    join(
      data.store,
      "PlotThroughput",
      files.find((f) => f.endsWith(".png"))!,
    ),
  );
  assert.equal(png.subarray(1, 4).toString(), "PNG");
  const html = readFileSync(
    join(
      data.store,
      "PlotThroughput",
      files.find((f) => f.endsWith(".html"))!,
    ),
    "utf8",
  );
  for (const text of [
    "Throughput of",
    "Events / s (dashed: ideal)",
    "Latency [ms]",
    "batch size 4",
    "Streams",
  ])
    assert.ok(html.includes(text), `the page shows '${text}'`);
});

test("Report --streams adds the throughput figure and table of each model", async () => {
  const yaml = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
  const r = await mlprof(
    [
      "run",
      "Report",
      "--version",
      "report",
      "--model-files",
      yaml,
      "--batch-sizes",
      "1",
      "--streams",
      "1,2",
      "--repeats",
      "1",
      "--n-calls",
      "20",
    ],
    data.env,
  );
  assert.equal(r.code, 0, r.stderr);
  const page = listFiles(join(data.store, "Report")).find((f) => f.includes("/report/"))!;
  assert.match(page, /report_streams_1_2_[^/]*\.html$/);
  const html = readFileSync(join(data.store, "Report", page), "utf8");
  assert.ok(html.includes("Throughput under concurrent streams (dashed: ideal linear scaling"));
  for (const column of ["events/s (median)", "efficiency", "latency p99 (ms)", "CPU utilisation"])
    assert.ok(html.includes(column), `the throughput table has '${column}'`);
  // the throughput points were measured with the throughput defaults and the runtime's repeats
  const points = listFiles(join(data.store, "MeasureThroughput")).filter((f) => f.includes("/report/"));
  assert.ok(
    points.some((f) =>
      /__warmup_2s__window_5s__mincalls_200__repeats_1\/report\/throughput_bs_1_streams_2\.json$/.test(f),
    ),
    points.join("\n"),
  );
});
