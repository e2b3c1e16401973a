/**
 * Speed of the tool itself, as a user meets it: `mlprof --help`, a task's help, the warm quickstart
 * (`mlprof run PlotRuntimes --version <new>`: the software is installed, the measurements and the plot
 * are new; TensorFlow DNN, 3 batch sizes × 3 repeats), the same with the ONNX DNN (3 repeats, and 1 repeat
 * next to a hand-rolled Python script doing the same measurement work and a matplotlib PDF:
 * scripts/reference/quickstart_onnx.py), the plot alone (its outputs removed, the merged measurements kept)
 * and a plot task that is complete. Each command runs as a whole process, --runs times after one warm-up,
 * the commands interleaved; prints the minimum, median and maximum wall time. --repo runs another checkout
 * (built). --against runs a second checkout interleaved with the first, command by command, and prints the
 * median of the pairwise ratios (repo / against) with their range: a before/after that holds while the
 * machine's load drifts. Each checkout takes its own lock of timed work (MLPROF_LOCK_DIR), so that no wait
 * behind another program's measurements counts. The hand-rolled script needs a Python with onnxruntime and matplotlib: --python
 * (default python3); it is left out, with a note, where that Python lacks them.
 * Usage: npm run build && npx tsx scripts/bench-cli.ts [--runs 7] [--repo DIR] [--against DIR] [--python PY]
 *        [--only name,name]  (names: help, task-help, quickstart, onnx, onnx-1, python, plot, complete)
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const RUNS = Number(arg("runs", "7"));
const HERE = join(import.meta.dirname, "..");
const REPOS = [resolve(arg("repo", HERE)), ...(arg("against", "") ? [resolve(arg("against", ""))] : [])];
const PYTHON = arg("python", "python3");
const ONLY = arg("only", "").split(",").filter(Boolean);
const ONNX_MODEL = join(HERE, "examples", "dnn", "model_onnx_l10u128.yaml");
const REFERENCE = join(HERE, "scripts", "reference", "quickstart_onnx.py");
const data = REPOS.map(() => mkdtempSync(join(tmpdir(), "mlprof-bench-cli-")));
// each checkout its own lock of timed work: a run never waits behind another program's measurements on a
// shared machine (the wait would count as the tool's time)
const locks = REPOS.map((_, r) => join(data[r]!, "locks"));

/** Runs a command and returns its wall time in seconds (a failure is reported, not fatal). */
function time(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  try {
    execFileSync(file, args, { env, stdio: "ignore" });
  } catch {
    process.stderr.write(`(${file} ${args.join(" ")} exited non-zero)\n`);
  }
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Whether the Python of the hand-rolled script has onnxruntime and matplotlib. */
function pythonReady(): boolean {
  try {
    execFileSync(PYTHON, ["-c", "import onnxruntime, matplotlib"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

interface Case {
  key: string;
  name: string;
  /** The command of run `n` for checkout `r`: file and arguments. */
  command(r: number, n: number): [string, string[]];
}

const mlprof = (r: number, args: string[]): [string, string[]] => [
  process.execPath,
  [join(REPOS[r]!, "bin", "mlprof.js"), ...args],
];
const allCases: Case[] = [
  { key: "help", name: "mlprof --help", command: (r) => mlprof(r, ["--help"]) },
  {
    key: "task-help",
    name: "mlprof run PlotRuntimes --help",
    command: (r) => mlprof(r, ["run", "PlotRuntimes", "--help"]),
  },
  {
    key: "quickstart",
    name: "warm quickstart (TF, new version)",
    command: (r, n) => mlprof(r, ["run", "PlotRuntimes", "--version", `bench_${n}`]),
  },
  {
    key: "onnx",
    name: "ONNX quickstart (new version)",
    command: (r, n) =>
      mlprof(r, ["run", "PlotRuntimes", "--version", `bench_onnx_${n}`, "--model-file", ONNX_MODEL]),
  },
  {
    key: "onnx-1",
    name: "ONNX quickstart --repeats 1",
    command: (r, n) =>
      mlprof(r, [
        "run",
        "PlotRuntimes",
        "--version",
        `bench_onnx1_${n}`,
        "--model-file",
        ONNX_MODEL,
        "--repeats",
        "1",
      ]),
  },
  {
    key: "python",
    name: "hand-rolled Python (same work, matplotlib PDF)",
    command: (r, n) => [
      PYTHON,
      [REFERENCE, join(HERE, "examples", "dnn", "onnx_graph_l10u128.onnx"), join(data[r]!, `python_${n}`)],
    ],
  },
  {
    key: "plot",
    name: "the plot alone (--remove-output 0,a,y)",
    command: (r) => mlprof(r, ["run", "PlotRuntimes", "--version", "bench_0", "--remove-output", "0,a,y"]),
  },
  {
    key: "complete",
    name: "a complete plot task",
    command: (r) => mlprof(r, ["run", "PlotRuntimes", "--version", "bench_0"]),
  },
];

let cases = allCases.filter((c) => ONLY.length === 0 || ONLY.includes(c.key));
if (cases.some((c) => c.key === "python") && !pythonReady()) {
  console.log(
    `(the hand-rolled script is left out: ${PYTHON} lacks onnxruntime or matplotlib; see --python)`,
  );
  cases = cases.filter((c) => c.key !== "python");
}
// the software cache of this checkout (or $MLP_SOFTWARE), shared by both checkouts: warm, not rebuilt
const software = process.env.MLP_SOFTWARE || join(HERE, "data", "software");
const envOf = (r: number) => ({
  ...process.env,
  MLP_DATA: data[r]!,
  MLP_SOFTWARE: software,
  MLPROF_LOCK_DIR: locks[r]!,
  MLP_STORE: "",
  MLPROF_PROGRESS: "quiet",
  FORCE_COLOR: "0",
});
const run = (c: Case, r: number, n: number) => {
  const [file, args] = c.command(r, n);
  return time(file, args, envOf(r));
};
const stats = (v: number[]) => {
  const t = [...v].sort((a, b) => a - b);
  return { min: t[0]!, median: t[Math.floor(t.length / 2)]!, max: t.at(-1)! };
};
const fmt = (s: { min: number; median: number; max: number }, digits = 2) =>
  `${s.min.toFixed(digits)} / ${s.median.toFixed(digits)} / ${s.max.toFixed(digits)}`;

try {
  // warm-up: installs nothing new (the software cache is warm) but fills the OS caches; version 0 is the
  // one the plot-alone and complete-task cases use
  for (const c of cases) REPOS.forEach((_, r) => run(c, r, 0));
  const times = cases.map(() => REPOS.map(() => [] as number[]));
  const load: number[] = [];
  for (let n = 1; n <= RUNS; n++) {
    load.push(loadavg()[0]!);
    // A B, then B A: neither checkout always runs first
    const order = n % 2 ? REPOS.map((_, r) => r) : REPOS.map((_, r) => r).reverse();
    cases.forEach((c, i) => order.forEach((r) => times[i]![r]!.push(run(c, r, n))));
  }
  console.log(
    `${RUNS} runs each, interleaved, wall seconds (min / median / max); 1-minute load average at the ` +
      `start of each round: ${load.map((l) => l.toFixed(1)).join(", ")}`,
  );
  REPOS.forEach((repo, r) => {
    console.log(`${repo}:`);
    cases.forEach((c, i) => console.log(`  ${c.name.padEnd(50)} ${fmt(stats(times[i]![r]!))}`));
  });
  if (REPOS.length === 2) {
    console.log(`pairwise ratios ${REPOS[0]} / ${REPOS[1]} (min / median / max):`);
    cases.forEach((c, i) => {
      const ratios = times[i]![0]!.map((t, n) => t / times[i]![1]![n]!);
      console.log(`  ${c.name.padEnd(50)} ${fmt(stats(ratios), 3)}`);
    });
  }
  const python = cases.findIndex((c) => c.key === "python");
  const onnx1 = cases.findIndex((c) => c.key === "onnx-1");
  if (python >= 0 && onnx1 >= 0) {
    REPOS.forEach((repo, r) => {
      const ratios = times[onnx1]![r]!.map((t, n) => t / times[python]![r]![n]!);
      console.log(
        `ONNX --repeats 1 / hand-rolled Python, ${repo} (min / median / max): ${fmt(stats(ratios), 2)}`,
      );
    });
  }
} finally {
  data.forEach((d) => rmSync(d, { recursive: true, force: true }));
}
