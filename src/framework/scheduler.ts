import { Listr } from "listr2";
import type { Task } from "./task.js";

/** A task with its depth in the dependency tree (0 = the task that was called). */
export interface TreeNode {
  task: Task;
  depth: number;
}

/** Walks the dependency tree depth first, requirements after their parent, each task once. */
export function walkTree(root: Task, maxDepth = -1): TreeNode[] {
  const seen = new Set<string>();
  const nodes: TreeNode[] = [];
  const visit = (task: Task, depth: number) => {
    if (seen.has(task.id)) return;
    seen.add(task.id);
    nodes.push({ task, depth });
    if (maxDepth < 0 || depth < maxDepth) task.requires().forEach((r) => visit(r, depth + 1));
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

/** How progress is shown: an animated list on a terminal, plain lines otherwise, nothing when quiet. */
export type ProgressMode = "tty" | "plain" | "quiet";

/** Picks the progress mode: $MLPROF_PROGRESS (tty, plain, quiet) or, by default, tty on a terminal. */
export function progressMode(env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const m = env.MLPROF_PROGRESS;
  if (m === "tty" || m === "plain" || m === "quiet") return m;
  return process.stdout.isTTY ? "tty" : "plain";
}

/**
 * Runs the incomplete tasks of the tree one after the other (measurements never overlap), with listr2
 * progress; complete tasks are not run again. The root's log lines are printed with `print` after the
 * progress display ends, also when a task failed. Returns the number of tasks run.
 */
export async function runTree(
  root: Task,
  signal: AbortSignal,
  mode = progressMode(),
  print: (line: string) => void = (line) => console.log(line),
): Promise<number> {
  const pending = pendingTasks(root);
  if (pending.length === 0) return 0;
  const lines: string[] = [];
  const list = new Listr(
    pending.map((task) => ({
      title: task.title(),
      task: async (_ctx: unknown, item: { output: string }) => {
        const log = task === root ? (line: string) => lines.push(line) : undefined;
        await task.run({ signal, progress: (message) => (item.output = message), log });
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
    lines.forEach((line) => print(line));
  }
  return pending.length;
}
