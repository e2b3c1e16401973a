/**
 * Speed of the tool itself, as a user meets it: `mlprof --help`, a task's help, the warm quickstart
 * (`mlprof run PlotRuntimes --version <new>`: the software is installed, the measurements and the plot
 * are new), the plot alone (its outputs removed, the merged measurements kept) and a plot task that is
 * complete. Each command runs as a whole process, --runs times after one warm-up, interleaved; prints the
 * minimum, median and maximum wall time. --repo runs another checkout (e.g. an older revision, built), for
 * before/after figures.
 * Usage: npm run build && npx tsx scripts/bench-cli.ts [--runs 7] [--repo DIR]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const RUNS = Number(arg("runs", "7"));
const REPO = resolve(arg("repo", join(import.meta.dirname, "..")));
const BIN = join(REPO, "bin", "mlprof.js");
const data = mkdtempSync(join(tmpdir(), "mlprof-bench-cli-"));
const env = { ...process.env, MLP_DATA: data, MLP_STORE: "", MLPROF_PROGRESS: "quiet", FORCE_COLOR: "0" };

/** Runs mlprof with these arguments and returns the wall time in seconds (a failure is reported, not fatal). */
function time(args: string[]): number {
  const t0 = process.hrtime.bigint();
  try {
    execFileSync(process.execPath, [BIN, ...args], { env, stdio: "ignore" });
  } catch {
    process.stderr.write(`(mlprof ${args.join(" ")} exited non-zero)\n`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

let version = 0;
const cases: [string, () => string[]][] = [
  ["mlprof --help", () => ["--help"]],
  ["mlprof run PlotRuntimes --help", () => ["run", "PlotRuntimes", "--help"]],
  ["warm quickstart (new version)", () => ["run", "PlotRuntimes", "--version", `bench_${++version}`]],
  [
    "the plot alone (--remove-output 0,a,y)",
    () => ["run", "PlotRuntimes", "--version", "bench_1", "--remove-output", "0,a,y"],
  ],
  ["a complete plot task", () => ["run", "PlotRuntimes", "--version", "bench_1"]],
];

try {
  // warm-up: installs nothing new (the software cache is warm) but fills the OS caches
  for (const [, args] of cases) time(args());
  const times = cases.map(() => [] as number[]);
  for (let r = 0; r < RUNS; r++) cases.forEach(([, args], i) => times[i]!.push(time(args())));
  console.log(`${REPO}: ${RUNS} runs each, wall seconds (min / median / max)`);
  cases.forEach(([name], i) => {
    const t = [...times[i]!].sort((a, b) => a - b);
    const median = t[Math.floor(t.length / 2)]!;
    console.log(`  ${name.padEnd(42)} ${t[0]!.toFixed(2)} / ${median.toFixed(2)} / ${t.at(-1)!.toFixed(2)}`);
  });
} finally {
  rmSync(data, { recursive: true, force: true });
}
