/**
 * Per-call overhead of the local ONNX path, measured in one run on the trivial identity model
 * (test/fixtures/identity.onnx, one float) and on the DNN 10x128 example, batch size 1, one thread:
 *  - "mlprof":   a full MeasureRuntime through the CLI (fresh process, warm-up, the harness's timed loop
 *                around the synchronous native call);
 *  - "raw loop": the public API, `await session.run(feeds)`, in a tight loop in this process (its JavaScript
 *                checks and its setImmediate turn are what mlprof keeps out of the clock);
 *  - "clock":    the bare timing pair (the floor of any timed call);
 *  - "python":   Python onnxruntime `sess.run` in a loop, when a Python with onnxruntime is found
 *                ($MLPROF_BENCH_PYTHON, else python3).
 * Usage: npm run build && npx tsx scripts/bench-onnx-overhead.ts [--calls 20000]
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as ort from "onnxruntime-node";
import { bandStats } from "../src/stats/stats.js";

const REPO = resolve(import.meta.dirname, "..");
const callsArg = process.argv.indexOf("--calls");
const CALLS = callsArg > 0 ? Number(process.argv[callsArg + 1]) : 20000;

const models = [
  {
    name: "identity",
    yaml: join(REPO, "test/fixtures/identity.yaml"),
    onnx: join(REPO, "test/fixtures/identity.onnx"),
    width: 1,
  },
  {
    name: "dnn l10u128",
    yaml: join(REPO, "examples/dnn/model_onnx_l10u128.yaml"),
    onnx: join(REPO, "examples/dnn/onnx_graph_l10u128.onnx"),
    width: 64,
  },
];

function fmt(us: number): string {
  return `${us.toFixed(2).padStart(8)} µs`;
}

async function rawLoop(file: string, width: number): Promise<number> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
  });
  const feeds = { input: new ort.Tensor("float32", new Float32Array(width).fill(0.5), [1, width]) };
  const times = new Float64Array(CALLS);
  for (let i = 0; i < 1000; i++) await session.run(feeds);
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  return bandStats(times).median / 1000;
}

function clockFloor(): number {
  const times = new Float64Array(CALLS);
  for (let i = 0; i < CALLS; i++) {
    const t0 = process.hrtime.bigint();
    times[i] = Number(process.hrtime.bigint() - t0);
  }
  return bandStats(times).median / 1000;
}

function viaMlprof(yaml: string): number {
  const data = mkdtempSync(join(tmpdir(), "mlprof-bench-"));
  try {
    execFileSync(
      process.execPath,
      [
        join(REPO, "bin/mlprof.js"),
        "run",
        "MeasureRuntime",
        "--version",
        "bench",
        "--model-file",
        yaml,
        "--n-calls",
        String(CALLS),
        "--n-warmup",
        "1000",
      ],
      { env: { ...process.env, MLP_DATA: data, MLPROF_PROGRESS: "quiet" }, stdio: "pipe" },
    );
    const out = execFileSync("find", [data, "-name", "runtime_bs_1.csv"], { encoding: "utf8" }).trim();
    const values = readFileSync(out, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("1,"))
      .map((l) => Number(l.slice(2)));
    return bandStats(values).median * 1000;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

function viaPython(file: string, width: number): number | undefined {
  const python = process.env.MLPROF_BENCH_PYTHON || "python3";
  const code = `
import time, numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1
s = ort.InferenceSession(${JSON.stringify(file)}, o, providers=["CPUExecutionProvider"])
x = {"input": np.full((1, ${width}), 0.5, dtype=np.float32)}
for _ in range(1000): s.run(None, x)
t = []
for _ in range(${CALLS}):
    a = time.perf_counter_ns(); s.run(None, x); t.append(time.perf_counter_ns() - a)
print(np.median(t) / 1000)
`;
  const res = spawnSync(python, ["-c", code], { encoding: "utf8" });
  return res.status === 0 ? Number(res.stdout.trim()) : undefined;
}

console.log(`onnxruntime-node, batch size 1, 1 thread, ${CALLS} calls, medians`);
console.log(`clock floor (bare process.hrtime.bigint() pair): ${fmt(clockFloor())}`);
for (const m of models) {
  const raw = await rawLoop(m.onnx, m.width);
  const cli = viaMlprof(m.yaml);
  const py = viaPython(m.onnx, m.width);
  console.log(
    `${m.name.padEnd(12)} mlprof MeasureRuntime ${fmt(cli)} | raw await session.run ${fmt(raw)} | python sess.run ${py === undefined ? "   (no python onnxruntime)" : fmt(py)}`,
  );
}
