/**
 * The C++ measurement core (plugins/MLProf/Utils) and the runner protocol (plugins/runners), driven through
 * check_runner, a runner with a synthetic engine; and the compile-and-cache of native runners.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  copyFileSync,
  mkdirSync,
} from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { execa } from "execa";
import type { DType, InputSpec } from "../../src/model/spec.js";
import type { DumpedTensor, InputKind, MeasureJob, MeasureProcessMeta } from "../../src/measure/job.js";
import { makeInputData } from "../../src/measure/inputs.js";
import { buildKey, buildNative, type NativeBuildSpec } from "../../src/native/build.js";
import { renderRunnerJob, writeRunnerJob } from "../../src/native/jobfile.js";
import { testJob } from "../helpers/job.js";
import { checkRunnerSpec, PLUGINS_DIR } from "../../src/native/sources.js";
import { MlprofError } from "../../src/util/errors.js";
import { busyLoop, lastCpu } from "../helpers/hog.js";

const work = mkdtempSync(join(tmpdir(), "mlprof-native-core-"));
const cacheDir = join(work, "native");
let runner = "";

before(async () => {
  const build = await buildNative(checkRunnerSpec(), { cacheDir });
  runner = build.binary;
});
after(() => rmSync(work, { recursive: true, force: true }));

interface RunResult {
  exitCode: number | undefined;
  rows: string[];
  meta?: MeasureProcessMeta;
  dump?: { inputs: Record<string, DumpedTensor>; outputs: Record<string, DumpedTensor> };
  error?: { phase: string; message: string; known: boolean };
  progress: { type: string; done: number; total: number; phase: string }[];
}

let jobCounter = 0;

/** Runs check_runner on a job (defaults: one float32 input [3], batch size 2, 1 event, 5 calls). */
async function runCheck(
  over: Partial<MeasureJob> = {},
  extra: Record<string, string> = {},
  pinTo?: number,
): Promise<RunResult> {
  const dir = join(work, `job${jobCounter++}`);
  mkdirSync(dir);
  const job = testJob(dir, {}, over);
  const jobFile = join(dir, "job.runner");
  writeRunnerJob(jobFile, job, extra);
  const result =
    pinTo === undefined
      ? await execa(runner, [jobFile], { reject: false })
      : await execa("taskset", ["-c", String(pinTo), runner, jobFile], { reject: false });
  const read = <T>(p: string | undefined): T | undefined =>
    p && existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as T) : undefined;
  return {
    exitCode: result.exitCode,
    rows: existsSync(job.csvPath)
      ? readFileSync(job.csvPath, "utf8")
          .split("\n")
          .filter((l) => l !== "")
      : [],
    meta: read(job.metaPath),
    dump: read(job.dumpPath),
    error: read(job.errorPath),
    progress: String(result.stdout)
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as RunResult["progress"][number]),
  };
}

const DTYPES: DType[] = ["float32", "float64", "int32", "int64", "bool"];
const KINDS: InputKind[] = ["random", "incremental", "zeros", "ones"];

function inputOf(dtype: DType, extra: Partial<InputSpec> = {}): InputSpec {
  return { name: `in_${dtype}`, shape: [4, 5], dtype, batched: true, ...extra };
}

describe("input buffers of the core", () => {
  for (const kind of KINDS) {
    test(`every dtype, kind ${kind}`, async () => {
      const inputs = DTYPES.map((d) => inputOf(d, d.startsWith("int") ? { range: [-3, 4] } : {}));
      const res = await runCheck({ inputs, inputData: kind, batchSize: 10 });
      assert.equal(res.exitCode, 0, JSON.stringify(res.error));
      for (const inp of inputs) {
        const t = res.dump!.inputs[inp.name]!;
        assert.deepEqual(t.shape, [10, 4, 5], inp.name);
        const v = t.data as number[];
        assert.equal(v.length, 200);
        if (kind === "zeros")
          assert.ok(
            v.every((x) => x === 0),
            `${inp.name}: zeros`,
          );
        if (kind === "ones")
          assert.ok(
            v.every((x) => x === 1),
            `${inp.name}: ones are ones`,
          );
        if (kind === "incremental") {
          const expected = v.map((_, i) => (inp.dtype === "bool" ? i % 2 : i));
          assert.deepEqual(v, expected, `${inp.name}: incremental`);
        }
        if (kind === "random") {
          if (inp.dtype.startsWith("float")) {
            const mean = v.reduce((a, b) => a + b, 0) / v.length;
            const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
            assert.ok(
              Math.abs(mean) < 0.3 && sd > 0.75 && sd < 1.25,
              `${inp.name}: normal (mean ${mean}, sd ${sd})`,
            );
          } else if (inp.dtype === "bool") {
            assert.ok(
              v.every((x) => x === 0 || x === 1) && v.includes(0) && v.includes(1),
              `${inp.name}: coin`,
            );
          } else {
            assert.ok(
              v.every((x) => Number.isInteger(x) && x >= -3 && x < 4),
              `${inp.name}: in [-3, 4)`,
            );
            assert.ok(v.includes(-3) && v.includes(3), `${inp.name}: covers the range`);
          }
        }
      }
    });
  }

  test("integers default to [0, 10); constant inputs get their value whatever the kind", async () => {
    const inputs: InputSpec[] = [
      { name: "i", shape: [50], dtype: "int64", batched: true },
      { name: "flag", shape: [], dtype: "bool", batched: false, value: true },
      { name: "c", shape: [2], dtype: "float64", batched: true, value: 2.5 },
      { name: "k", shape: [2], dtype: "int32", batched: true, value: -7 },
    ];
    for (const kind of KINDS) {
      const res = await runCheck({ inputs, inputData: kind, batchSize: 4 });
      assert.equal(res.exitCode, 0, JSON.stringify(res.error));
      const d = res.dump!.inputs;
      assert.deepEqual(d.flag, { shape: [], data: [1] });
      assert.deepEqual(d.c!.data, Array(8).fill(2.5));
      assert.deepEqual(d.k!.data, Array(8).fill(-7));
      if (kind === "random") assert.ok((d.i!.data as number[]).every((x) => x >= 0 && x < 10));
    }
  });

  test("random values are those of the JavaScript generator (src/measure/inputs.ts)", async () => {
    const inputs = DTYPES.map((d) => inputOf(d, d.startsWith("int") ? { range: [0, 1000] } : {}));
    const res = await runCheck({ inputs, inputData: "random", batchSize: 3, nEvents: 2 });
    assert.equal(res.exitCode, 0);
    inputs.forEach((inp, i) => {
      for (const event of [0, 1]) {
        const js = Array.from(makeInputData(inp, 3, "random", 12345 + 1000 * event + i), Number);
        const cc = res.dump!.outputs[`e${event}/${inp.name}`]!.data as number[];
        assert.equal(cc.length, js.length);
        cc.forEach((x, k) =>
          assert.ok(Math.abs(x - js[k]!) <= 1e-6 * Math.max(1, Math.abs(js[k]!)), `${inp.name}[${k}]`),
        );
      }
    });
  });

  test("inputs are drawn anew for every event", async () => {
    const inputs = [inputOf("float32"), inputOf("int64")];
    const res = await runCheck({ inputs, inputData: "random", nEvents: 3 });
    assert.equal(res.exitCode, 0);
    for (const inp of inputs) {
      const events = [0, 1, 2].map((e) => JSON.stringify(res.dump!.outputs[`e${e}/${inp.name}`]!.data));
      assert.equal(new Set(events).size, 3, `${inp.name}: three different draws`);
    }
    // and the seed makes them reproducible
    const again = await runCheck({ inputs, inputData: "random", nEvents: 3 });
    assert.deepEqual(again.dump!.outputs, { ...res.dump!.outputs, sum: again.dump!.outputs.sum });
    const inc = await runCheck({ inputs, inputData: "incremental", nEvents: 2 });
    assert.deepEqual(inc.dump!.outputs["e0/in_float32"], inc.dump!.outputs["e1/in_float32"]);
  });
});

describe("timed loop, CSV and metadata", () => {
  test("rows = n_events x n_calls, positive timings with 6 decimals, metadata and progress", async () => {
    const res = await runCheck({ nEvents: 3, nCalls: 7, batchSize: 4 }, { spin_ns: "20000" });
    assert.equal(res.exitCode, 0, JSON.stringify(res.error));
    assert.equal(res.rows.length, 21);
    for (const row of res.rows) {
      assert.match(row, /^4,\d+\.\d{6}$/);
      assert.ok(Number(row.split(",")[1]) >= 0.02, `the 20 µs spin is inside the clock: ${row}`);
    }
    const meta = res.meta!;
    assert.equal(meta.rows, 21);
    assert.equal(meta.engine.name, "check");
    assert.deepEqual(meta.threads, { intraOp: 1, interOp: 1 });
    assert.match(meta.clock, /steady_clock/);
    assert.ok(meta.timings.measureMs >= 21 * 0.02 && meta.timings.warmupMs > 0 && meta.timings.loadMs >= 0);
    for (const k of [
      "rssBeforeLoadKb",
      "rssAfterLoadKb",
      "rssAfterWarmupKb",
      "rssAfterTimingKb",
      "peakRssKb",
    ] as const) {
      assert.ok(meta.memory[k] > 0, `${k} > 0`);
    }
    assert.ok(meta.memory.peakRssKb >= meta.memory.rssAfterTimingKb);
    assert.ok(meta.pid > 0);
    assert.deepEqual(
      res.progress.map((p) => [p.done, p.total, p.phase]),
      [
        [7, 21, "timed calls"],
        [14, 21, "timed calls"],
        [21, 21, "timed calls"],
      ],
    );
  });

  test("competition over the timed windows: recorded by the core; a busy loop on the runner's CPU shows as wait", async () => {
    // 2 events x 100 calls of a 2 ms spin: 400 ms of timed calls
    const job = { nEvents: 2, nCalls: 100, nWarmup: 1 };
    const cpu = lastCpu();
    const quiet = await runCheck(job, { spin_ns: "2000000" }, cpu);
    assert.equal(quiet.exitCode, 0, JSON.stringify(quiet.error));
    const q = quiet.meta!.competition!;
    assert.ok(q.windowMs >= 400 && q.windowMs <= quiet.meta!.timings.measureMs, `window ${q.windowMs} ms`);
    for (const k of [
      "runQueueWaitMs",
      "involuntarySwitches",
      "stealMs",
      "minorFaults",
      "majorFaults",
    ] as const) {
      assert.ok(Number.isFinite(q[k]) && q[k] >= 0, `${k}: ${q[k]}`);
    }
    assert.equal(q.hostCpus, cpus().length);
    const hog = busyLoop(cpu);
    try {
      const busy = await runCheck(job, { spin_ns: "2000000" }, cpu);
      assert.equal(busy.exitCode, 0, JSON.stringify(busy.error));
      const b = busy.meta!.competition!;
      assert.ok(b.runQueueWaitMs > 0.25 * b.windowMs, `waited ${b.runQueueWaitMs} ms of ${b.windowMs} ms`);
      assert.ok(b.involuntarySwitches >= 10, `${b.involuntarySwitches} involuntary switches`);
    } finally {
      hog.kill("SIGKILL");
    }
  });

  test("the first call after loading is timed on its own (cold start), not as a timed call", async () => {
    const res = await runCheck({ nCalls: 4, nWarmup: 1 }, { spin_ns: "200000" });
    assert.equal(res.exitCode, 0);
    assert.equal(res.rows.length, 4);
    assert.ok(res.meta!.timings.firstCallMs! >= 0.2, `first call ${res.meta!.timings.firstCallMs} ms`);
  });

  test("until stable: windows of n-calls until the last three medians agree; the last three are the rows", async () => {
    const stable = await runCheck(
      { nCalls: 5, nEvents: 2, untilStable: true, stability: 0.5, maxDurationMs: 10000 },
      { spin_ns: "100000" },
    );
    assert.equal(stable.exitCode, 0);
    assert.equal(stable.rows.length, 2 * 3 * 5, "three windows of five calls per event");
    const s = stable.meta!.stability!;
    assert.equal(s.windowCalls, 5);
    assert.equal(s.threshold, 0.5);
    assert.equal(s.events.length, 2);
    for (const e of s.events) {
      assert.equal(e.stable, true);
      assert.ok(e.windowMediansMs.length >= 3);
      assert.equal(e.discardedCalls, (e.windowMediansMs.length - 3) * 5);
    }
    // an engine that keeps slowing down never gives three agreeing windows: the time bound stops it, not stable
    const unstable = await runCheck(
      { nCalls: 5, untilStable: true, stability: 0.01, maxDurationMs: 30 },
      { spin_ns: "100000", spin_growth_ns: "2000" },
    );
    assert.equal(unstable.exitCode, 0);
    assert.equal(unstable.rows.length, 3 * 5);
    const e = unstable.meta!.stability!.events[0]!;
    assert.equal(e.stable, false);
    assert.ok(e.windowMediansMs.length > 3, "more windows than three were measured until the bound");
  });

  test("warm-up and minimum durations extend the loops", async () => {
    const res = await runCheck(
      { nCalls: 3, nWarmup: 0, warmupMs: 20, minDurationMs: 30 },
      { spin_ns: "100000" },
    );
    assert.equal(res.exitCode, 0);
    // 3 calls of 0.1 ms cannot fill 30 ms: the loop goes on (how far depends on the machine's load)
    assert.ok(res.rows.length > 3, `${res.rows.length} rows`);
    assert.ok(res.meta!.timings.measureMs >= 30, `measured for ${res.meta!.timings.measureMs} ms`);
    assert.ok(res.meta!.timings.warmupMs >= 20, `warmed up for ${res.meta!.timings.warmupMs} ms`);
    assert.equal(res.meta!.rows, res.rows.length);
  });

  test("failures write the error file with the phase and exit with code 3", async () => {
    for (const [fail, phase] of [
      ["load", "load"],
      ["prepare", "prepare inputs"],
      ["call", "first call"],
      ["later-call", "warm-up"],
    ]) {
      const res = await runCheck({}, { fail: fail! });
      assert.equal(res.exitCode, 3, fail);
      assert.equal(res.error!.phase, phase);
      assert.equal(res.error!.known, true);
      assert.match(res.error!.message, /synthetic failure/);
      assert.equal(res.meta, undefined);
    }
    const noWarmup = await runCheck({ nWarmup: 0 }, { fail: "later-call" });
    assert.equal(noWarmup.error!.phase, "timed calls");
  });

  test("a malformed job file is a usage error (exit code 2)", async () => {
    const bad = join(work, "bad.runner");
    writeFileSync(bad, "mlprof-runner-job 1\nbatch_size=two\n");
    const res = await execa(runner, [bad], { reject: false });
    assert.equal(res.exitCode, 2);
    assert.match(String(res.stderr), /line 2: expected an integer, found 'two'/);
  });

  test("job files refuse names the line format cannot carry", () => {
    const job = { inputs: [{ name: "a\nb", shape: [], dtype: "float32", batched: true }], outputs: [] };
    assert.throws(() => renderRunnerJob(job as unknown as MeasureJob), /line break or tab/);
  });
});

describe("compile-and-cache of native runners", () => {
  test("the core and check_runner compile without warnings (-Wall -Wextra)", async () => {
    const fresh = join(work, "fresh-cache");
    const build = await buildNative(checkRunnerSpec(), { cacheDir: fresh });
    assert.equal(build.cached, false);
    assert.equal(build.warnings, "");
    const again = await buildNative(checkRunnerSpec(), { cacheDir: fresh });
    assert.equal(again.cached, true);
    assert.equal(again.binary, build.binary);
    assert.ok(again.seconds < 2, `a cached build takes ${again.seconds} s`);
  });

  test("the key changes with any source, flag or identity, and a change rebuilds", async () => {
    const src = join(work, "src");
    mkdirSync(join(src, "runners"), { recursive: true });
    const files = ["runners/check_runner.cc", "runners/RunnerSupport.cc", "runners/RunnerSupport.h"];
    for (const f of files) copyFileSync(join(PLUGINS_DIR, f), join(src, f));
    // check_runner.cc includes "RunnerSupport.h" from its own folder: the copy
    const spec: NativeBuildSpec = {
      ...checkRunnerSpec(),
      sources: [
        join(src, files[0]!),
        join(src, files[1]!),
        join(PLUGINS_DIR, "MLProf/Utils/src/MeasureCore.cc"),
      ],
      headers: [join(src, files[2]!), join(PLUGINS_DIR, "MLProf/Utils/interface/MeasureCore.h")],
    };
    const key = buildKey(spec);
    assert.notEqual(buildKey({ ...spec, identity: "tensorflow 2.22.0" }), key);
    assert.notEqual(buildKey({ ...spec, cxxflags: ["-std=c++17", "-O3"] }), key);
    const first = await buildNative(spec, { cacheDir: join(work, "change-cache") });
    writeFileSync(join(src, files[2]!), readFileSync(join(src, files[2]!), "utf8") + "\n// changed\n");
    assert.notEqual(buildKey(spec), key);
    const second = await buildNative(spec, { cacheDir: join(work, "change-cache") });
    assert.equal(second.cached, false);
    assert.notEqual(second.binary, first.binary);
  });

  test("two builds of the same runner at once: one builds, the other waits for the lock and reuses it", async () => {
    const shared = join(work, "lock-cache");
    const waits: string[] = [];
    const [a, b] = await Promise.all([
      buildNative(checkRunnerSpec(), { cacheDir: shared, progress: (m) => waits.push(m) }),
      buildNative(checkRunnerSpec(), { cacheDir: shared, progress: (m) => waits.push(m) }),
    ]);
    assert.deepEqual([a.cached, b.cached].sort(), [false, true]);
    assert.equal(a.binary, b.binary);
    assert.ok(
      waits.some((m) => /^waiting for process/.test(m)),
      waits.join("\n"),
    );
  });

  test("a missing compiler is a clear error", async () => {
    const env = { ...process.env, PATH: "/nonexistent", CXX: "" };
    await assert.rejects(
      buildNative(checkRunnerSpec(), { cacheDir: join(work, "no-gxx"), env }),
      (err: unknown) =>
        err instanceof MlprofError &&
        /the C\+\+ compiler 'g\+\+' was not found/.test(err.message) &&
        /apt-get install g\+\+/.test(err.hint ?? ""),
    );
  });

  test("a compile error is reported with the compiler's message", async () => {
    const broken = join(work, "broken.cc");
    writeFileSync(broken, "int main() { return undefined_symbol; }\n");
    await assert.rejects(
      buildNative(
        { name: "broken", sources: [broken], headers: [], includeDirs: [] },
        { cacheDir: join(work, "broken") },
      ),
      /building broken failed[\s\S]*undefined_symbol/,
    );
  });
});
