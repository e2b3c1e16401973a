import { existsSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline/promises";
import chalk from "chalk";
import { storeRoot } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { removeEmptyDirs } from "../util/fs.js";
import type { Task } from "./task.js";
import { walkTree } from "./scheduler.js";

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

function indent(depth: number): string {
  return depth === 0 ? "" : "│   ".repeat(depth - 1) + "└── ";
}

/** law's --print-status: the tree up to `depth` (-1: all) with each output and whether it exists. */
export function printStatus(root: Task, depthText: string, print: Print): void {
  const depth = parseDepth("print-status", depthText, true);
  print(`print task status with max_depth ${depth}`);
  print("");
  for (const { task, depth: d } of walkTree(root, depth)) {
    const complete = task.complete();
    print(`${indent(d)}${d} > ${chalk.bold(task.repr())}`);
    for (const out of task.outputs()) {
      const pad = "│   ".repeat(d) + "    ";
      print(`${pad}${out}`);
      print(`${pad}  ${existsSync(out) ? chalk.green("existent") : chalk.red("absent")}`);
    }
    if (!complete && task.outputs().some(existsSync))
      print(`${"│   ".repeat(d)}    ${chalk.yellow("(partially complete)")}`);
  }
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

async function ask(question: string): Promise<string> {
  if (!process.stdin.isTTY)
    throw new MlprofError(
      `${question} needs an answer on a terminal; give the mode in the flag (e.g. --remove-output 0,a)`,
    );
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

/** law's --remove-output: removes (or, in dry mode, lists) the outputs of the tasks up to the depth. */
export async function removeOutput(root: Task, spec: RemoveSpec, print: Print): Promise<void> {
  let mode = spec.mode;
  if (!mode) {
    const answer = await ask("removal mode? [a]ll, [i]nteractive, [d]ry: ");
    if (answer !== "a" && answer !== "i" && answer !== "d")
      throw new MlprofError(`unknown removal mode '${answer}'`);
    mode = answer;
  }
  const store = storeRoot();
  for (const { task, depth } of walkTree(root, spec.depth)) {
    const existing = task.outputs().filter(existsSync);
    if (existing.length === 0) continue;
    if (mode === "d") {
      print(`would remove (depth ${depth}) ${task.repr()}:`);
      existing.forEach((o) => print(`  ${o}`));
      continue;
    }
    if (mode === "i") {
      const answer = await ask(`remove the outputs of ${task.repr()}? [y/N] `);
      if (answer !== "y" && answer !== "yes") continue;
    }
    for (const out of existing) {
      rmSync(out, { force: true });
      print(`removed ${out}`);
      removeEmptyDirs(dirname(out), store);
    }
  }
}
