/**
 * Fidelity of the tool's ONNX throughput against an independent loop: the tool's MeasureThroughputRepeat
 * process (S Python threads on one onnxruntime session, events/s from the fit of completed calls against
 * time) and scripts/reference/onnx_streams_loop.py (S Python threads on one session, calls completed inside a
 * fixed window), on the same model, batch size, streams and threads, interleaved (tool, reference, reference,
 * tool, ...), each a fresh process. Prints per model, batch size and streams the median events/s of each side
 * over the rounds, their spread (min-max) and the ratio tool / reference (goal: within ±5 %). Both sides hold
 * the host-wide measurement lock while they run.
 * Usage: npm run build && npx tsx scripts/bench-throughput.ts [--repeats 3] [--window 3] [--warmup 1]
 *        [--batch-sizes 1,16] [--streams 1,2] [model.yaml ...]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { onnxruntimeVenv } from "../src/engines/onnx/library.js";
import { bundledPackage } from "../src/engines/onnx/packages.js";
import { loadModelFile } from "../src/engines/modelfile.js";
import { ensureVenv } from "../src/pyenv/venv.js";
import { medianOf } from "../src/stats/stats.js";
import { withMeasurementLock } from "../src/util/lock.js";

const REPO = resolve(import.meta.dirname, "..");
const opt = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const OPTIONS = ["repeats", "window", "warmup", "batch-sizes", "streams"];
const REPEATS = Number(opt("repeats", "3"));
const WINDOW = Number(opt("window", "3"));
const WARMUP = Number(opt("warmup", "1"));
const BATCH_SIZES = opt("batch-sizes", "1,16").split(",").map(Number);
const STREAMS = opt("streams", "1,2").split(",").map(Number);
const values = new Set(OPTIONS.map((o) => process.argv.indexOf(`--${o}`) + 1));
const given = process.argv.slice(2).filter((a, i) => !a.startsWith("--") && !values.has(i + 2));
const MODELS = given.length
  ? given.map((f) => resolve(f))
  : [
      "examples/dnn/model_onnx_l10u128.yaml",
      "examples/cnn/model_onnx_i32c1v3l10u128.yaml",
      "examples/btag/model_onnx_deepjet_fused.yaml",
    ].map((f) => join(REPO, f));

const log = (line: string) => process.stderr.write(`${line}\n`);
const work = mkdtempSync(join(tmpdir(), "mlprof-bench-throughput-"));
const python = (await ensureVenv(onnxruntimeVenv(bundledPackage().version), log)).python;

/** One fresh tool process: events/s of its record. */
function tool(yaml: string, batch: number, streams: number, round: number): number {
  const args = [
    join(REPO, "bin", "mlprof.js"),
    "run",
    "MeasureThroughputRepeat",
    "--version",
    `bench${round}`,
    "--model-file",
    yaml,
    "--batch-size",
    String(batch),
    "--streams",
    String(streams),
    "--warmup-duration",
    String(WARMUP),
    "--min-duration",
    String(WINDOW),
    "--min-calls",
    "10",
  ];
  const env = { ...process.env, MLP_STORE: join(work, "store"), MLPROF_PROGRESS: "plain" };
  execFileSync(process.execPath, args, { env, stdio: "ignore" });
  const out = execFileSync(process.execPath, [...args, "--print-output", "0"], { env, encoding: "utf8" });
  const json = out
    .split("\n")
    .find((l) => l.trim().endsWith(".json"))!
    .trim();
  return (JSON.parse(readFileSync(json, "utf8")) as { result: { eventsPerSecond: number } }).result
    .eventsPerSecond;
}

/**
 * One fresh reference process: events/s. It holds the host-wide lock of timed work, as the tool's process
 * does, so that neither runs beside the other's (or anyone's) measurement.
 */
async function reference(graph: string, batch: number, streams: number): Promise<number> {
  return withMeasurementLock({ what: "bench-throughput reference loop", progress: log }, () =>
    Promise.resolve(referenceProcess(graph, batch, streams)),
  );
}

function referenceProcess(graph: string, batch: number, streams: number): number {
  const script = join(REPO, "scripts", "reference", "onnx_streams_loop.py");
  const out = execFileSync(
    python,
    [script, graph, String(batch), String(streams), "1", String(WARMUP), String(WINDOW)],
    {
      encoding: "utf8",
    },
  );
  return (JSON.parse(out.trim().split("\n").at(-1)!) as { events_per_s: number }).events_per_s;
}

const rows: string[] = [];
try {
  let round = 0;
  for (const yaml of MODELS) {
    const spec = loadModelFile(yaml);
    const graph = (spec.section as { file: string }).file;
    for (const batch of BATCH_SIZES) {
      for (const streams of STREAMS) {
        const t: number[] = [];
        const r: number[] = [];
        for (let k = 0; k < REPEATS; k++) {
          round++;
          // interleaved, the order alternating per round: tool, reference, reference, tool, ...
          if (k % 2 === 0) {
            t.push(tool(yaml, batch, streams, round));
            r.push(await reference(graph, batch, streams));
          } else {
            r.push(await reference(graph, batch, streams));
            t.push(tool(yaml, batch, streams, round));
          }
        }
        const mt = medianOf(t);
        const mr = medianOf(r);
        const line = [
          spec.name ?? yaml,
          batch,
          streams,
          `${mt.toFixed(0)} (${Math.min(...t).toFixed(0)}-${Math.max(...t).toFixed(0)})`,
          `${mr.toFixed(0)} (${Math.min(...r).toFixed(0)}-${Math.max(...r).toFixed(0)})`,
          `${((mt / mr - 1) * 100).toFixed(1)} %`,
        ].join(" | ");
        log(line);
        rows.push(`| ${line} |`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`load average at the end: ${load} (figures under load are noisy)`);
console.log(
  "| model | batch size | streams | tool events/s (min-max) | reference events/s (min-max) | tool / reference − 1 |",
);
console.log("| --- | --- | --- | --- | --- | --- |");
for (const row of rows) console.log(row);
