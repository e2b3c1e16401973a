/**
 * Calibration of CompareRuntimes on ONNX Runtime, larger than the test: self-comparisons (a model against
 * itself as two versions) and comparisons against a twice-as-deep model, with the defaults (3 processes per
 * side) and, for contrast, with one process per side (verdicts on the calls alone, as before repeats).
 * Prints the rate of "slower"/"faster" verdicts of the self-comparisons (false verdicts) and the rate of
 * "slower" of the deeper model (detection).
 * Usage: npm run build && npx tsx scripts/bench-calibration.ts [--pairs 20] [--slow-pairs 4]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { selfComparisons, slowerComparisons } from "../test/helpers/calibration.js";

const REPO = resolve(import.meta.dirname, "..");
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const PAIRS = arg("pairs", 20);
const SLOW_PAIRS = arg("slow-pairs", 4);
const BATCH_SIZES = [1, 2, 4, 8, 16, 32, 64, 128];
const l10 = join(REPO, "examples/dnn/model_onnx_l10u128.yaml");
const l20 = join(REPO, "examples/dnn/model_onnx_l20u128.yaml");

const dir = mkdtempSync(join(tmpdir(), "mlprof-calibration-"));
const env = { ...process.env, MLP_DATA: dir, MLP_STORE: "", MLPROF_PROGRESS: "quiet" };
const rate = (results: { verdict: string }[], pick: (v: string) => boolean) => {
  const n = results.filter((r) => pick(r.verdict)).length;
  return `${n} of ${results.length} (${((100 * n) / results.length).toFixed(1)} %)`;
};
try {
  for (const [name, extra] of [
    ["3 processes per side (default)", []],
    ["1 process per side", ["--repeats", "1"]],
  ] as const) {
    const self = await selfComparisons(env, l10, PAIRS, BATCH_SIZES, [...extra]);
    const slow = await slowerComparisons(env, l10, l20, SLOW_PAIRS, BATCH_SIZES, [...extra]);
    console.log(`${name}:`);
    console.log(
      `  self-comparisons called a difference: ${rate(self, (v) => v === "slower" || v === "faster")}`,
    );
    console.log(`  20x128 vs 10x128 called slower:        ${rate(slow, (v) => v === "slower")}`);
    // points where a side was invalid (stats/validity.ts: e.g. competition on a busy machine) get no verdict
    console.log(
      `  no verdict (a side invalid):           ${rate([...self, ...slow], (v) => v === "no verdict")}`,
    );
    const ratios = slow.map((r) => r.ratio).sort((a, b) => a - b);
    console.log(`  ratio of the slower model: ${ratios[0]!.toFixed(2)} .. ${ratios.at(-1)!.toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
