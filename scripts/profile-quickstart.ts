/**
 * Where the time of one warm quickstart goes: runs `mlprof run PlotRuntimes --version <new> [args]` once to
 * warm up, then --runs times with MLPROF_TRACE=<file> (phase timestamps of the CLI and of every measurement
 * process, src/util/trace.ts) and prints, per phase, the median over the runs (and over the measurement
 * processes of a run, summed per run): Node's start, the CLI's modules, the task tree, each measurement
 * process from the parent's spawn to its exit (Node, modules, engine, model, timed calls, exit) and what the
 * parent does between processes (engine preparation, lock, recording), then merge and plot. A native runner
 * (TensorFlow) writes no trace lines: its load and timed calls come from the measurement records
 * (process.timings). The software cache is the user's (MLP_SOFTWARE); the store is a temporary folder.
 * Usage: npm run build && npx tsx scripts/profile-quickstart.ts [--runs 3] [--repo DIR] [-- mlprof args]
 *   e.g. npx tsx scripts/profile-quickstart.ts -- --model-file examples/dnn/model_onnx_l10u128.yaml --repeats 1
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const extra = dash >= 0 ? argv.slice(dash + 1) : [];
const arg = (name: string, fallback: string) => {
  const i = own.indexOf(`--${name}`);
  return i >= 0 ? own[i + 1]! : fallback;
};
const RUNS = Number(arg("runs", "3"));
const REPO = resolve(arg("repo", join(import.meta.dirname, "..")));
const BIN = join(REPO, "bin", "mlprof.js");
const data = mkdtempSync(join(tmpdir(), "mlprof-profile-"));

interface Line {
  at: number;
  pid: number;
  phase: string;
}

/** Runs one quickstart with tracing on; returns its trace lines (time-ordered) and its wall time in ms. */
function tracedRun(version: string): { lines: Line[]; wallMs: number } {
  const file = join(data, `${version}.trace`);
  const env = { ...process.env, MLP_DATA: data, MLP_STORE: "", MLPROF_PROGRESS: "quiet", MLPROF_TRACE: file };
  const t0 = Date.now();
  execFileSync(process.execPath, [BIN, "run", "PlotRuntimes", "--version", version, ...extra], {
    env,
    stdio: ["ignore", "ignore", "inherit"],
    cwd: REPO,
  });
  const wallMs = Date.now() - t0;
  const lines = readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const [, at, pid, ...phase] = l.split(" ");
      return { at: Number(at), pid: Number(pid), phase: phase.join(" ") };
    })
    .sort((a, b) => a.at - b.at);
  return { lines, wallMs };
}

/** Phase durations (ms) of one traced run, by name; measurement phases are summed over its processes. */
function breakdown(lines: Line[], version: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (name: string, ms: number) => out.set(name, (out.get(name) ?? 0) + ms);
  const parent = lines.find((l) => l.phase.startsWith("cli:"))!.pid;
  const mine = lines.filter((l) => l.pid === parent);
  const at = (phase: string, from = 0) => mine.slice(from).find((l) => l.phase.startsWith(phase));
  const span = (name: string, a?: Line, b?: Line) => a && b && add(name, b.at - a.at);
  span("CLI: Node starts (bootstrap)", at("process: start"), at("process: node bootstrap done"));
  span("CLI: loads its modules", at("process: node bootstrap done"), at("cli: modules of the CLI loaded"));
  span("CLI: loads the run command, checks the task name", at("cli: modules"), at("cli: command run loaded"));
  span("CLI: parses, builds the task tree", at("cli: command run loaded"), at("scheduler: start"));
  span("scheduler: finds the pending tasks", at("scheduler: start"), at("scheduler: store prepared"));
  span("scheduler: loads listr2", at("scheduler: store prepared"), at("scheduler: listr2 loaded"));
  // each measurement: parent before the spawn, the process, parent after its exit
  mine.forEach((l, i) => {
    if (l.phase !== "task: start MeasureRepeat") return;
    const prepared = at("measure parent: engine prepared", i);
    const locked = at("measure parent: lock held", i);
    const spawn = at("measure parent: spawn", i);
    const exited = at("measure parent: process exited", i);
    const released = at("measure parent: lock released", i);
    const recorded = at("measure parent: measurement recorded", i);
    const end = at("task: end MeasureRepeat", i);
    span("parent: engine preparation (venv, runner, library checks)", l, prepared);
    span("parent: job file, measurement lock", prepared, locked);
    span("parent: host info, spawn", locked, spawn);
    const child = lines.filter(
      (c) => c.pid !== parent && spawn && exited && c.at >= spawn.at && c.at <= exited.at,
    );
    const c = (phase: string) => child.find((x) => x.phase.startsWith(phase));
    if (child.length > 0) {
      span("process: exec until Node's time origin", spawn, c("process: start"));
      span("process: Node bootstrap", c("process: start"), c("process: node bootstrap done"));
      span("process: loads its modules", c("process: node bootstrap done"), c("measure: modules loaded"));
      span(
        "process: loads the engine (onnxruntime-node)",
        c("measure: modules loaded"),
        c("measure: onnxruntime-node loaded"),
      );
      span(
        "process: creates the session, loads the model",
        c("measure: onnxruntime-node loaded"),
        c("measure: session created"),
      );
      span(
        "process: checks the signature, library",
        c("measure: session created"),
        c("measure: model loaded and checked"),
      );
      span(
        "process: warm-up and timed calls",
        c("measure: model loaded and checked"),
        c("measure: timed calls done"),
      );
      span("process: writes its results", c("measure: timed calls done"), c("measure: results written"));
      span("process: exit until the parent sees it", c("measure: results written"), exited);
    } else {
      span("native process: spawn to exit", spawn, exited);
    }
    span("parent: lock release", exited, released);
    span("parent: reads, checks, records the measurement", released, recorded);
    span("parent: ends the task", recorded, end);
  });
  // native runners: their own load and timed calls, from the records
  const repeats = join(data, "store", "MeasureRepeat");
  const records = existsSync(repeats)
    ? readdirSync(repeats, { recursive: true, encoding: "utf8" })
        .filter((f) => f.split("/").at(-2) === version && f.endsWith(".json"))
        .map((f) => join(repeats, f))
    : [];
  for (const f of records) {
    const rec = JSON.parse(readFileSync(f, "utf8")) as { process?: { timings?: Record<string, number> } };
    const t = rec.process?.timings;
    if (t && !child0(lines, parent)) {
      add("  of which: engine and model load (runner's loadMs)", t.loadMs ?? 0);
      add(
        "  of which: first call, warm-up, timed calls",
        (t.firstCallMs ?? 0) + (t.warmupMs ?? 0) + (t.measureMs ?? 0),
      );
    }
  }
  const between = (a: string, b: string) => {
    const s = mine.findIndex((l) => l.phase === `task: start ${a}`);
    const e = mine.findIndex((l) => l.phase === `task: end ${b}`);
    if (s >= 0 && e >= 0) {
      const starts = mine.filter((l) => l.phase === `task: start ${a}`);
      const ends = mine.filter((l) => l.phase === `task: end ${b}`);
      add(`task ${a}${a === b ? "" : `…${b}`}`, ends.at(-1)!.at - starts[0]!.at);
    }
  };
  between("MeasureRuntime", "MeasureRuntime");
  between("MergeRuntimes", "MergeRuntimes");
  between("PlotRuntimes", "PlotRuntimes");
  span("scheduler: tidies, prints", at("scheduler: tasks done"), at("cli: command done"));
  span("CLI: end hooks (closes Chromium)", at("cli: command done"), at("cli: end hooks done"));
  return out;
}

/** Whether a measurement process of the run wrote trace lines (a Node one; a native runner writes none). */
function child0(lines: Line[], parent: number): boolean {
  return lines.some((l) => l.pid !== parent && l.phase.startsWith("measure:"));
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

try {
  tracedRun("profile_warmup");
  const runs: { phases: Map<string, number>; wallMs: number }[] = [];
  const load: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    load.push(loadavg()[0]!);
    const version = `profile_${r + 1}`;
    const { lines, wallMs } = tracedRun(version);
    runs.push({ phases: breakdown(lines, version), wallMs });
  }
  const names = [...new Set(runs.flatMap((r) => [...r.phases.keys()]))];
  console.log(`mlprof run PlotRuntimes ${extra.join(" ")} (${REPO}), median of ${RUNS} warm runs, ms`);
  console.log(`  1-minute load average before the runs: ${load.map((l) => l.toFixed(2)).join(", ")}`);
  let sum = 0;
  for (const name of names) {
    const ms = median(runs.map((r) => r.phases.get(name) ?? 0));
    if (!name.startsWith("  ")) sum += ms;
    console.log(`  ${name.padEnd(64)} ${ms.toFixed(0).padStart(6)}`);
  }
  console.log(`  ${"sum of the phases above".padEnd(64)} ${sum.toFixed(0).padStart(6)}`);
  console.log(
    `  ${"wall time of the command".padEnd(64)} ${median(runs.map((r) => r.wallMs))
      .toFixed(0)
      .padStart(6)}`,
  );
} finally {
  rmSync(data, { recursive: true, force: true });
}
