/**
 * Reproducibility of a runtime measurement: the same measurement (DNN 10x128 ONNX example, batch size 1,
 * one thread) repeated in fresh processes through mlprof (MergeRuntimes → MeasureRuntime: warm-up, a
 * monotonic ns clock around each call, the median) with the default warm-up (10 calls) and with one second
 * of warm-up, next to a naive timing loop repeated in this process (Date.now() around a loop of the same
 * number of calls, no warm-up, divided by the count), interleaved so that all see the same machine.
 * Reports the coefficient of variation (std / mean) of each method's repeated results.
 * Usage: npm run build && npx tsx scripts/bench-reproducibility.ts [--calls 2000] [--repeats 5]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { summarizeRuntimeCsv } from "../src/report/summaries.js";
import { seededRandom } from "../src/stats/random.js";
import { mean, sampleStd } from "../src/stats/stats.js";
import type { SampleSummary } from "../src/stats/summary.js";

const REPO = resolve(import.meta.dirname, "..");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg("calls", 2000);
const REPEATS = arg("repeats", 5);
const YAML = join(REPO, "examples/dnn/model_onnx_l10u128.yaml");
const GRAPH = join(REPO, "examples/dnn/onnx_graph_l10u128.onnx");

/** One measurement in a fresh mlprof process (its own --version); returns its summary. */
function viaMlprof(data: string, version: string, extra: string[]): SampleSummary {
  const args = ["run", "MergeRuntimes", "--version", version, "--model-file", YAML, "--model-name", "dnn"];
  args.push("--batch-sizes", "1", "--n-calls", String(CALLS), ...extra);
  execFileSync(process.execPath, [join(REPO, "bin/mlprof.js"), ...args], {
    env: { ...process.env, MLP_DATA: data, MLPROF_PROGRESS: "quiet" },
    stdio: "pipe",
  });
  const csv = execFileSync("find", [data, "-path", `*MergeRuntimes*/${version}/runtimes_bs_1.csv`], {
    encoding: "utf8",
  }).trim();
  return summarizeRuntimeCsv(csv, "dnn", [1])[0]!.summary;
}

/** The naive loop: Date.now() around CALLS calls, no warm-up, total / CALLS. */
async function naiveLoop(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<number> {
  const t0 = Date.now();
  for (let i = 0; i < CALLS; i++) await session.run(feeds);
  return (Date.now() - t0) / CALLS;
}

const cv = (xs: number[]) => `${((100 * sampleStd(xs)) / mean(xs)).toFixed(2)} %`;
const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;

const data = mkdtempSync(join(tmpdir(), "mlprof-repro-"));
try {
  const session = await ort.InferenceSession.create(GRAPH, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const rnd = seededRandom(1);
  const feeds = { input: new ort.Tensor("float32", Float32Array.from({ length: 64 }, rnd.normal), [1, 64]) };
  const setups = [
    { name: "mlprof, 10 warm-up calls (default)", extra: [] as string[], medians: [] as number[] },
    { name: "mlprof, 1 s warm-up", extra: ["--warmup-duration", "1"], medians: [] as number[] },
  ];
  const naive: number[] = [];
  console.log(`DNN 10x128 ONNX, batch size 1, 1 thread, ${CALLS} calls, ${REPEATS} repeats (interleaved)`);
  for (let r = 1; r <= REPEATS; r++) {
    setups.forEach((setup, k) => {
      const s = viaMlprof(data, `rep${r}_${k}`, setup.extra);
      setup.medians.push(s.median);
      const warned = s.warnings.map((w) => w.split(":")[0]).join(", ");
      console.log(
        `  repeat ${r}, ${setup.name}: median ${us(s.median)} (95 % CI ${us(s.medianCi.low)} - ${us(s.medianCi.high)})` +
          (warned ? `, ${warned} warning` : ""),
      );
    });
    naive.push(await naiveLoop(session, feeds));
    console.log(`  repeat ${r}, naive loop: ${us(naive.at(-1)!)} per call`);
  }
  console.log(`CV of the ${REPEATS} results (std / mean):`);
  for (const s of setups) {
    console.log(`  ${s.name}, fresh processes, ns clock per call, median: ${cv(s.medians)}`);
  }
  console.log(`  naive loop, one process, Date.now() around the loop, no warm-up, mean: ${cv(naive)}`);
} finally {
  rmSync(data, { recursive: true, force: true });
}
