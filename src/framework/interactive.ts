import { existsSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline/promises";
import chalk from "chalk";
import { storeRoot } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { removeEmptyDirs } from "../util/fs.js";
import type { Task } from "./task.js";
import { walkTree, type TreeNode } from "./scheduler.js";
import { provenanceFindings } from "./provenance.js";

type Print = (line: string) => void;

function parseDepth(flag: string, text: string, allowNegative: boolean): number {
  const depth = Number(text);
  if (!Number.isInteger(depth) || depth < (allowNegative ? -1 : 0)) {
    throw new MlprofError(
      `--${flag}: expected a depth (an integer >= ${allowNegative ? -1 : 0}), found '${text}'`,
    );
  }
  return depth;
}

/**
 * The tree drawing of walked nodes, as law draws it: for each node the prefix of its own line (`├──` for
 * a node with later siblings, `└──` for the last one) and of the lines below it (`│` continuing a parent's
 * later siblings).
 */
export function treePrefixes(nodes: readonly TreeNode[]): { head: string; body: string }[] {
  // col[i]: what the lines of node i's descendants start with, for the columns of i and its ancestors
  const col: string[] = [];
  return nodes.map((node, i) => {
    const later = nodes.slice(i + 1).some((m) => m.parent === node.parent);
    const hasChildren = nodes.some((m) => m.parent === i);
    const above = node.parent === undefined ? "" : col[node.parent]!;
    col[i] = node.parent === undefined ? "" : `${above}${later ? "│   " : "    "}`;
    return {
      head: node.parent === undefined ? "" : `${above}${later ? "├── " : "└── "}`,
      body: `${col[i]}${hasChildren ? "│" : " "}`,
    };
  });
}

/**
 * law's --print-status: the tree up to `depth` (-1: all) with each output and whether it exists, and
 * whether existing ones are outdated (made from other model content or settings, with the reason).
 */
export function printStatus(root: Task, depthText: string, print: Print): void {
  const depth = parseDepth("print-status", depthText, true);
  print(`print task status with max_depth ${depth}`);
  print("");
  const nodes = walkTree(root, depth);
  const prefixes = treePrefixes(nodes);
  const findings = new Map(provenanceFindings(root, nodes).map((f) => [f.task.id, f]));
  nodes.forEach(({ task, depth: d }, i) => {
    const { head, body } = prefixes[i]!;
    const complete = task.complete();
    const found = findings.get(task.id);
    const existent =
      found?.state === "outdated"
        ? chalk.yellow(`existent, outdated (${found.reason})`)
        : found?.state === "unknown"
          ? chalk.green(`existent (${found.reason})`)
          : chalk.green("existent");
    print(`${head}${d} > ${chalk.bold(task.repr())}`);
    for (const out of task.outputs()) {
      print(`${body}  ${out}`);
      print(`${body}    ${existsSync(out) ? existent : chalk.red("absent")}`);
    }
    if (!complete && task.outputs().some(existsSync))
      print(`${body}  ${chalk.yellow("(partially complete)")}`);
  });
}

/** law's --print-output: the output paths of the tasks up to `depth`. */
export function printOutput(root: Task, depthText: string, print: Print): void {
  const depth = parseDepth("print-output", depthText, true);
  for (const { task } of walkTree(root, depth)) task.outputs().forEach((o) => print(o));
}

/** Parsed --remove-output value: depth, mode (a all, i interactive, d dry) and whether to run afterwards. */
export interface RemoveSpec {
  depth: number;
  mode?: "a" | "i" | "d";
  runAfter: boolean;
}

/** Parses "depth[,mode[,y]]" as law does; depth -1 is refused. */
export function parseRemoveSpec(text: string): RemoveSpec {
  const parts = text.split(",").map((p) => p.trim());
  const depthText = parts[0] ?? "";
  if (depthText === "-1")
    throw new MlprofError(
      "--remove-output: depth -1 is not allowed; check the tree with --print-status -1 first",
    );
  const depth = parseDepth("remove-output", depthText, false);
  let mode: RemoveSpec["mode"];
  let runAfter = false;
  for (const p of parts.slice(1)) {
    if (p === "a" || p === "i" || p === "d") mode = p;
    else if (p === "y") runAfter = true;
    else throw new MlprofError(`--remove-output: expected 'depth[,a|i|d][,y]', found '${text}'`);
  }
  return { depth, mode, runAfter };
}

/** Asks on the terminal (removeOutput only asks when stdin is one). */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

/** law's --remove-output: removes (or, in dry mode, lists) the outputs of the tasks up to the depth. */
export async function removeOutput(root: Task, spec: RemoveSpec, print: Print): Promise<void> {
  const store = storeRoot();
  const found = walkTree(root, spec.depth)
    .map(({ task, depth }) => ({ task, depth, existing: task.outputs().filter(existsSync) }))
    .filter((t) => t.existing.length > 0);
  const list = ({ task, depth, existing }: (typeof found)[number]) => {
    print(`would remove (depth ${depth}) ${task.repr()}:`);
    existing.forEach((o) => print(`  ${o}`));
  };
  let mode = spec.mode;
  if ((mode === undefined || mode === "i") && !process.stdin.isTTY) {
    // no terminal to answer on: show what would be removed and how to say it without questions
    const files = found.flatMap((t) => t.existing);
    found.forEach(list);
    throw new MlprofError(
      `--remove-output ${spec.depth}${mode ? `,${mode}` : ""} asks ${mode ? "before each removal" : "for a mode"}, and there is no terminal to answer on: nothing was removed (${files.length} file${files.length === 1 ? "" : "s"} listed above)`,
      `to remove them without questions: --remove-output ${spec.depth},a${spec.runAfter ? ",y" : ""}; to list them only: --remove-output ${spec.depth},d`,
    );
  }
  if (!mode) {
    const answer = await ask("removal mode? [a]ll, [i]nteractive, [d]ry: ");
    if (answer !== "a" && answer !== "i" && answer !== "d")
      throw new MlprofError(`unknown removal mode '${answer}'`);
    mode = answer;
  }
  for (const entry of found) {
    const { task, existing } = entry;
    if (mode === "d") {
      list(entry);
      continue;
    }
    if (mode === "i") {
      print(`${task.repr()}:`);
      existing.forEach((o) => print(`  ${o}`));
      const answer = await ask(
        `remove these ${existing.length} file${existing.length === 1 ? "" : "s"}? [y/N] `,
      );
      if (answer !== "y" && answer !== "yes") continue;
    }
    for (const out of existing) {
      rmSync(out, { force: true });
      print(`removed ${out}`);
      removeEmptyDirs(dirname(out), store);
    }
  }
}
