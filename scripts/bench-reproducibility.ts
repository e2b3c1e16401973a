/**
 * Reproducibility of a runtime measurement across fresh processes: the between-process spread (CV of the
 * process medians) of one measurement repeated in fresh processes, each a `MeasureRuntime --repeats 1` through
 * the CLI with its defaults (warm-up, a monotonic ns clock around each call), per model, at batch size 1, one
 * thread. With `--against OTHER_CHECKOUT` (a built clone of another revision) the same measurements run through
 * that checkout's CLI too, interleaved process by process, so that before and after see the same machine.
 * Models: the ONNX DNN 10x128, the fused DeepJet-like ONNX model, the TF DNN 10x128 and a TF1-era Keras graph
 * (test fixture); give others as yaml paths.
 * Usage: npm run build && npx tsx scripts/bench-reproducibility.ts [--processes 8] [--calls 2000]
 *        [--against DIR] [model.yaml ...]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { mean, sampleStd } from "../src/stats/stats.js";

const REPO = resolve(import.meta.dirname, "..");
const opt = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const PROCESSES = Number(opt("processes", "8"));
const CALLS = Number(opt("calls", "2000"));
const AGAINST = opt("against", "");
const optionValues = new Set(
  ["processes", "calls", "against"].map((o) => process.argv.indexOf(`--${o}`) + 1),
);
const given = process.argv.slice(2).filter((a, i) => !a.startsWith("--") && !optionValues.has(i + 2));
const MODELS = (
  given.length
    ? given
    : [
        "examples/dnn/model_onnx_l10u128.yaml",
        "examples/btag/model_onnx_deepjet_fused.yaml",
        "examples/dnn/model_tf_l10u128.yaml",
        "test/fixtures/tf/model_tf1_keras.yaml",
      ]
).map((f) => resolve(REPO, f));

const checkouts = [{ name: "this checkout", dir: REPO }];
if (AGAINST) checkouts.push({ name: basename(resolve(AGAINST)), dir: resolve(AGAINST) });

/** The median of the rows of a runtime CSV (lines `batch_size,runtime_ms`; other lines skipped). */
function csvMedian(file: string): number {
  const values = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => /^\d+,[0-9.]/.test(l))
    .map((l) => Number(l.split(",")[1]))
    .sort((a, b) => a - b);
  const n = values.length;
  return n % 2 ? values[(n - 1) / 2]! : 0.5 * (values[n / 2 - 1]! + values[n / 2]!);
}

/** One fresh measurement process through a checkout's CLI; returns its median in ms. */
function measureOnce(checkout: string, data: string, yaml: string, version: string): number {
  const args = ["run", "MeasureRuntime", "--version", version, "--model-file", yaml, "--model-name", "m"];
  args.push("--batch-size", "1", "--n-calls", String(CALLS), "--repeats", "1");
  const out = execFileSync(process.execPath, [join(checkout, "bin/mlprof.js"), ...args], {
    env: { ...process.env, MLP_DATA: data, MLPROF_PROGRESS: "quiet" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const csv = out
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.endsWith("runtime_bs_1.csv"));
  if (!csv) throw new Error(`no CSV in the output of ${checkout}: ${out}`);
  return csvMedian(csv);
}

const cv = (xs: number[]) => (100 * sampleStd(xs)) / mean(xs);
const data = mkdtempSync(join(tmpdir(), "mlprof-repro-"));
const rows: string[][] = [];
try {
  console.log(
    `${PROCESSES} fresh processes per model and checkout, ${CALLS} timed calls, batch size 1, interleaved`,
  );
  for (const yaml of MODELS) {
    const medians = checkouts.map(() => [] as number[]);
    for (let p = 0; p < PROCESSES; p++) {
      // alternate which checkout goes first, so that neither always follows the other
      for (let k = 0; k < checkouts.length; k++) {
        const c = (k + p) % checkouts.length;
        // a data folder per checkout and model: each model's measurements are their own
        const dir = join(data, `${c}-${MODELS.indexOf(yaml)}`);
        medians[c]!.push(measureOnce(checkouts[c]!.dir, dir, yaml, `p${p}`));
      }
    }
    checkouts.forEach((c, k) => {
      const m = medians[k]!;
      rows.push([
        basename(yaml),
        c.name,
        (1000 * mean(m)).toFixed(2),
        `${cv(m).toFixed(2)} %`,
        m.map((x) => (1000 * x).toFixed(1)).join(" "),
      ]);
      console.error(rows.at(-1)!.join("  "));
    });
  }
} finally {
  rmSync(data, { recursive: true, force: true });
}
const header = ["model", "checkout", "mean µs", "CV of medians", "process medians (µs)"];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) =>
  r.map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ");
console.log(line(header));
rows.forEach((r) => console.log(line(r)));
