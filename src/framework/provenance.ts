/**
 * Outdated outputs: completeness is by path (law's), but an output made from other content or settings than
 * its task asks for now (another model behind the same name, a changed graph or yaml) must never be read as
 * if it were current. A task declares how to check its existing outputs (Task.provenance); a task that
 * declares nothing is outdated when an output it was made from is. The scheduler refuses to run a tree with
 * outdated outputs (one error naming them and the ways out), and --print-status shows them.
 */
import { existsSync } from "node:fs";
import { MlprofError } from "../util/errors.js";
import type { OutputProvenance, Task } from "./task.js";

export type { OutputProvenance } from "./task.js";

/** A task of the tree whose existing outputs are outdated or of unknown provenance. */
export interface ProvenanceFinding {
  task: Task;
  /** Its depth in the tree (0: the task that was called), as --remove-output counts. */
  depth: number;
  state: "outdated" | "unknown";
  reason: string;
  /** Its outputs that exist. */
  files: string[];
}

/**
 * The provenance of a task's existing outputs: its own check, else outdated when an output of a
 * requirement is (it was made from that); undefined when none of its outputs exists or nothing can be
 * said. `memo` (by task id) spares checking a task twice within one walk.
 */
export function outputProvenance(
  task: Task,
  memo: Map<string, OutputProvenance | undefined> = new Map(),
): OutputProvenance | undefined {
  if (memo.has(task.id)) return memo.get(task.id);
  memo.set(task.id, undefined); // a cycle (none in a valid tree) ends here
  const requirements = task.requires().map((r) => ({ r, p: outputProvenance(r, memo) }));
  let result: OutputProvenance | undefined;
  if (task.outputs().some((o) => existsSync(o))) {
    result = task.provenance();
    if (result?.state !== "outdated") {
      const outdated = requirements.find((e) => e.p?.state === "outdated");
      if (outdated)
        result = { state: "outdated", reason: `made from outdated outputs of ${outdated.r.title()}` };
    }
  }
  memo.set(task.id, result);
  return result;
}

/**
 * Every task of the tree (`nodes`: its walk, scheduler.ts walkTree) whose existing outputs are outdated or
 * of unknown provenance, with its depth.
 */
export function provenanceFindings(
  root: Task,
  nodes: readonly { task: Task; depth: number }[],
): ProvenanceFinding[] {
  const memo = new Map<string, OutputProvenance | undefined>();
  outputProvenance(root, memo);
  return nodes.flatMap(({ task, depth }) => {
    const p = memo.get(task.id);
    if (!p || p.state === "current") return [];
    return [
      { task, depth, state: p.state, reason: p.reason, files: task.outputs().filter((o) => existsSync(o)) },
    ];
  });
}

/** The most files one error lists (the rest are counted). */
const LISTED = 20;

/**
 * The one error of outdated outputs: each outdated task with its reason and files, and the ways out —
 * `--remove-output <depth>,a,y` down to the deepest outdated task (it removes every output of the tree up
 * to that depth and runs again), or a new --version.
 */
export function outdatedError(outdated: ProvenanceFinding[]): MlprofError {
  const files = outdated.flatMap((f) => f.files);
  const lines: string[] = [];
  let listed = 0;
  for (const f of outdated) {
    if (listed >= LISTED) break;
    lines.push(`  ${f.task.title()}: ${f.reason}`);
    for (const file of f.files) if (listed++ < LISTED) lines.push(`    ${file}`);
  }
  if (files.length > LISTED) lines.push(`  … and ${files.length - LISTED} more files`);
  const depth = Math.max(...outdated.map((f) => f.depth));
  const n = files.length;
  return new MlprofError(
    `${n} stored output file${n === 1 ? " was" : "s were"} made from other model content or settings than asked for now (outdated); nothing was run:\n${lines.join("\n")}`,
    `remove them and run again with --remove-output ${depth},a,y (it removes the outputs of the tree down to depth ${depth}), or run into a new --version`,
  );
}

/** The warning of outputs of unknown provenance (each task listed with its reason), printed once per run. */
export const UNKNOWN_PROVENANCE_WARNING =
  "stored measurements whose model fingerprint could not be checked (written by an older MLProf, or a record or model that cannot be read: see each) were used as they are; re-measure them with --remove-output or a new --version";
