import { dirname } from "node:path";
import chalk from "chalk";
import { storeRoot } from "../paths.js";
import { outputLockDir, prepareStore, storeFailure, tidyStore } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { isTmpSibling, removeEmptyDirs, removeStaleTemporaries } from "../util/fs.js";
import { acquireLock, LockBusyError } from "../util/lock.js";
import { formatDuration, progressMode, type ProgressMode } from "../util/progress.js";
import { trace } from "../util/trace.js";
import {
  outdatedError,
  outputProvenance,
  provenanceFindings,
  UNKNOWN_PROVENANCE_WARNING,
} from "./provenance.js";
import type { Task, TaskContext } from "./task.js";

/** A task with its depth in the dependency tree (0 = the task that was called). */
export interface TreeNode {
  task: Task;
  depth: number;
  /** The index of the node's parent in the walk (undefined for the root). */
  parent?: number;
}

/** Walks the dependency tree depth first, requirements after their parent, each task once. */
export function walkTree(root: Task, maxDepth = -1): TreeNode[] {
  const seen = new Set<string>();
  const nodes: TreeNode[] = [];
  const visit = (task: Task, depth: number, parent?: number) => {
    if (seen.has(task.id)) return;
    seen.add(task.id);
    const index = nodes.push({ task, depth, parent }) - 1;
    if (maxDepth < 0 || depth < maxDepth) task.requires().forEach((r) => visit(r, depth + 1, index));
  };
  visit(root, 0);
  return nodes;
}

/**
 * Orders the tasks to run: repeats of measurements (tasks with `interleaving()`, which require nothing)
 * first, round by round — within a round by `order`, then in the tree's order, the direction alternating
 * from round to round (A1 B1 | B2 A2 | A3 B3 ...) — then every other task in its place.
 */
export function interleave(tasks: Task[]): Task[] {
  const repeats = tasks
    .map((task, index) => ({ task, index, key: task.interleaving() }))
    .filter((e): e is { task: Task; index: number; key: { round: number; order: number } } => !!e.key);
  if (repeats.length < 2) return tasks;
  const rounds = [...new Set(repeats.map((e) => e.key.round))].sort((a, b) => a - b);
  const ordered = rounds.flatMap((round, i) => {
    const inRound = repeats
      .filter((e) => e.key.round === round)
      .sort((a, b) => a.key.order - b.key.order || a.index - b.index);
    return i % 2 === 0 ? inRound : inRound.reverse();
  });
  const placed = new Set(ordered.map((e) => e.task));
  return [...ordered.map((e) => e.task), ...tasks.filter((t) => !placed.has(t))];
}

/** The incomplete tasks needed for `root`, in an order where requirements come first. */
export function pendingTasks(root: Task): Task[] {
  const seen = new Set<string>();
  const order: Task[] = [];
  const visit = (task: Task) => {
    if (seen.has(task.id)) return;
    seen.add(task.id);
    if (task.complete()) return;
    task.requires().forEach(visit);
    order.push(task);
  };
  visit(root);
  return interleave(order);
}

export { progressMode, type ProgressMode } from "../util/progress.js";

/** How long a finished task took, for the ETA of the others. */
export interface TaskTime {
  family: string;
  seconds: number;
}

/**
 * The expected time of the tasks still to run (their families), from the finished ones: a task counts
 * the mean time of its family's finished tasks, else the mean of all; undefined while none finished.
 */
export function remainingSeconds(finished: TaskTime[], families: string[]): number | undefined {
  if (finished.length === 0) return undefined;
  const mean = (list: TaskTime[]) => list.reduce((a, t) => a + t.seconds, 0) / list.length;
  const overall = mean(finished);
  return families.reduce((sum, family) => {
    const same = finished.filter((t) => t.family === family);
    return sum + (same.length > 0 ? mean(same) : overall);
  }, 0);
}

/** A finished task's time: tenths of seconds below 10 s (most tasks), else m:ss. */
function taskTime(seconds: number): string {
  return seconds < 10 ? `${seconds.toFixed(1)} s` : formatDuration(seconds);
}

/** Options of runTree. */
export interface RunOptions {
  /** false (--no-wait): refuse instead of waiting when another process holds a task's output or the host's timed work. */
  wait?: boolean;
}

/**
 * Runs one task for runTree, holding the lock of its output: another process making the same output
 * is waited for (or, with `wait: false`, refused), and a task it completed meanwhile is not run again.
 * Temporaries that killed processes left beside the outputs are removed first; a failure leaves no empty
 * folders, and a write the store cannot take (full, read-only) is one error naming the store and the cause.
 * A task whose requirements' outputs became outdated meanwhile is refused (requireCurrentInputs). Returns
 * whether the task ran.
 */
async function runLocked(root: Task, task: Task, ctx: TaskContext): Promise<boolean> {
  const store = storeRoot();
  let release: () => void;
  try {
    release = await acquireLock(outputLockDir(task.family, task.outputs()[0]!), {
      what: task.title(),
      progress: ctx.progress,
      signal: ctx.signal,
      wait: ctx.wait,
      timeoutMs: Infinity,
    });
  } catch (err) {
    throw refusal(err) ?? storeFailure(err) ?? err;
  }
  try {
    if (task.complete()) return false;
    requireCurrentInputs(root, task);
    const dirs = [...new Set(task.outputs().map((o) => dirname(o)))];
    dirs.forEach((dir) => removeStaleTemporaries(dir, isTmpSibling));
    try {
      await task.run(ctx);
    } catch (err) {
      dirs.forEach((dir) => removeEmptyDirs(dir, store));
      throw refusal(err) ?? storeFailure(err) ?? err;
    }
    return true;
  } finally {
    release();
  }
}

/**
 * Refuses to run a task whose requirements' outputs became outdated during the run (the model was
 * replaced between two repeats, say): what it reads must be made from what it asks for now.
 */
function requireCurrentInputs(root: Task, task: Task): void {
  const requirements = task.requires();
  if (requirements.length === 0) return;
  if (!requirements.some((r) => outputProvenance(r)?.state === "outdated")) return;
  const outdated = provenanceFindings(root, walkTree(root)).filter((f) => f.state === "outdated");
  if (outdated.length > 0) throw outdatedError(outdated);
}

/** A lock refused with --no-wait, worded for the command line. */
function refusal(err: unknown): MlprofError | undefined {
  if (!(err instanceof LockBusyError)) return undefined;
  return new MlprofError(
    err.message,
    "it ends on its own: run again later, or without --no-wait to wait for it (nothing was written)",
  );
}

/**
 * Refuses a tree with outdated outputs (framework/provenance.ts: one error naming them and the ways out;
 * outputs of unknown provenance are used with one warning). Then runs the incomplete tasks of the tree one
 * after the other (measurements never overlap), with listr2
 * progress; complete tasks are not run again, nor those another process completes while this one waits
 * for it (see runLocked). The store is made ready first (writable, stale temporaries removed). With more
 * than one task the titles count them ("[k/n]") and give the ETA of the rest from the finished ones; a
 * finished task's title carries its time (the last one also that of the whole run). The root's log lines
 * are printed with `print` after the progress display ends, also when a task failed. Returns the number of
 * tasks run.
 */
export async function runTree(
  root: Task,
  signal: AbortSignal,
  mode: ProgressMode = progressMode(),
  print: (line: string) => void = (line) => console.log(line),
  opts: RunOptions = {},
): Promise<number> {
  trace("scheduler: start");
  // outputs made from other model content or settings are never read as current: one error names them
  const findings = provenanceFindings(root, walkTree(root));
  const outdated = findings.filter((f) => f.state === "outdated");
  if (outdated.length > 0) throw outdatedError(outdated);
  trace("scheduler: provenance checked");
  const warnings = new Map<string, string[]>();
  const unknown = findings.filter((f) => f.state === "unknown").map((f) => `${f.task.title()}: ${f.reason}`);
  if (unknown.length > 0) warnings.set(UNKNOWN_PROVENANCE_WARNING, unknown);
  const pending = pendingTasks(root);
  trace(`scheduler: ${pending.length} pending tasks found`);
  if (pending.length === 0) {
    printWarnings(warnings, print);
    return 0;
  }
  prepareStore();
  trace("scheduler: store prepared");
  const lines: string[] = [];
  let ran = 0;
  const { Listr } = await import("listr2");
  trace("scheduler: listr2 loaded");
  const n = pending.length;
  const finished: TaskTime[] = [];
  const startedAll = performance.now();
  const counter = (i: number) => (n > 1 ? `[${i + 1}/${n}] ` : "");
  const eta = (from: number) => {
    const left = remainingSeconds(
      finished,
      pending.slice(from).map((t) => t.family),
    );
    return left === undefined ? "" : ` · ETA ${formatDuration(left)}`;
  };
  const list = new Listr(
    pending.map((task, i) => ({
      title: `${counter(i)}${task.title()}`,
      task: async (
        _ctx: unknown,
        item: { output: string; title: string; skip: (message?: string) => void },
      ) => {
        item.title = `${counter(i)}${task.title()}${eta(i)}`;
        const log = task === root ? (line: string) => lines.push(line) : undefined;
        const progress = (message: string) => (item.output = message);
        // printed once, after the run (not in the progress display too)
        const warn = (text: string, detail?: string) => {
          warnings.set(text, [
            ...(warnings.get(text) ?? []),
            detail ? `${task.title()} (${detail})` : task.title(),
          ]);
        };
        const t0 = performance.now();
        trace(`task: start ${task.family}`);
        const didRun = await runLocked(root, task, { signal, progress, log, warn, wait: opts.wait });
        trace(`task: end ${task.family}`);
        if (didRun) {
          ran++;
          const seconds = (performance.now() - t0) / 1000;
          finished.push({ family: task.family, seconds });
          const all = (performance.now() - startedAll) / 1000;
          const rest = i === n - 1 ? (n > 1 ? ` · all ${n} in ${formatDuration(all)}` : "") : eta(i + 1);
          item.title = `${counter(i)}${task.title()} · ${taskTime(seconds)}${rest}`;
        } else item.skip("completed by another process meanwhile");
      },
    })),
    {
      concurrent: false,
      exitOnError: true,
      registerSignalListeners: false,
      renderer: mode === "tty" ? "default" : mode === "plain" ? "simple" : "silent",
      fallbackRenderer: "simple",
      rendererOptions: { collapseErrors: false },
    },
  );
  try {
    await list.run();
  } finally {
    trace("scheduler: tasks done");
    tidyStore();
    printWarnings(warnings, print);
    lines.forEach((line) => print(line));
  }
  return ran;
}

/** Prints the warnings of a run once, each with the tasks it concerns. */
function printWarnings(warnings: Map<string, string[]>, print: (line: string) => void): void {
  for (const [text, tasks] of warnings) {
    print(`${chalk.yellow("warning:")} ${text}: ${tasks.length === 1 ? tasks[0] : `${tasks.length} tasks`}`);
    if (tasks.length > 1) tasks.forEach((t) => print(`  ${t}`));
  }
}
