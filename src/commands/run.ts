/** `mlprof run <Task>` and `mlprof plot` (PlotMultiRuntimes): a task and, first, what it requires. */
import chalk from "chalk";
import type { Argv, CommandModule } from "yargs";
import type { TaskFamily } from "../framework/family.js";
import { printOutput, printStatus, parseRemoveSpec, removeOutput } from "../framework/interactive.js";
import { param } from "../framework/parameters.js";
import { runTree } from "../framework/scheduler.js";
import { TASKS, taskFamily } from "../tasks/registry.js";
import { MlprofError } from "../util/errors.js";
import { withInterrupts } from "../util/interrupt.js";
import { shownValue } from "../util/names.js";
import { nearestNames } from "../util/nearest.js";
import { declareParams } from "./options.js";

/** law's interactive flags, on every task. */
const INTERACTIVE = [
  param.string({
    flag: "print-status",
    description: "print the task tree up to this depth (-1: all) with the outputs' existence, and exit",
  }),
  param.string({
    flag: "print-output",
    description: "print the output paths of the tasks up to this depth, and exit",
  }),
  param.string({
    flag: "remove-output",
    description:
      "remove outputs up to a depth: 'depth[,mode][,y]', mode a (all), i (interactive), d (dry); y: run afterwards",
  }),
];

/** Declares a task's parameters, law's flags and --no-wait. */
function taskOptions(y: Argv, family: TaskFamily): Argv {
  declareParams(y, family.params, "Task parameters:");
  declareParams(y, INTERACTIVE, "law-style flags:");
  const examples = family.examples ?? [];
  if (examples.length > 0)
    y.epilog(`Examples:\n${examples.map(([command, what]) => `  ${what}:\n    ${command}`).join("\n")}`);
  return y
    .option("wait", {
      type: "boolean",
      group: "Run:",
      default: true,
      description:
        "wait when another process makes the same output or measures on this host; --no-wait: refuse instead",
    })
    .strict();
}

/**
 * Refuses law's interactive flags where they contradict each other: more than one of them (each ends the
 * run its own way), or a --remove-output spec naming a part twice or two modes ('0,a,y,y', '0,a,d').
 */
function checkInteractiveFlags(raw: Record<string, unknown>): void {
  const given = INTERACTIVE.filter((p) => raw[p.flag] !== undefined).map((p) => `--${p.flag}`);
  if (given.length > 1) {
    throw new MlprofError(
      `${given.join(" and ")} cannot be combined: each prints or removes and exits on its own`,
      "give one of them (--remove-output with ',y' runs the task afterwards)",
    );
  }
  const spec = raw["remove-output"];
  if (spec === undefined) return;
  const parts = String(spec)
    .split(",")
    .slice(1)
    .map((p) => p.trim());
  const twice = parts.find((p, i) => parts.indexOf(p) !== i);
  const modes = parts.filter((p) => ["a", "i", "d"].includes(p));
  if (twice !== undefined || modes.length > 1) {
    throw new MlprofError(
      `--remove-output: expected 'depth[,a|i|d][,y]' with at most one mode and each part once, found ` +
        `${shownValue(String(spec))} (${twice !== undefined ? `'${twice}' twice` : `modes ${modes.join(" and ")}`})`,
    );
  }
}

async function runTask(family: TaskFamily, raw: Record<string, unknown>): Promise<void> {
  checkInteractiveFlags(raw);
  const task = family.create(raw);
  const print = (line: string) => console.log(line);
  if (raw["print-status"] !== undefined) return printStatus(task, String(raw["print-status"]), print);
  if (raw["print-output"] !== undefined) return printOutput(task, String(raw["print-output"]), print);
  if (raw["remove-output"] !== undefined) {
    const spec = parseRemoveSpec(String(raw["remove-output"]));
    await removeOutput(task, spec, print);
    if (!spec.runAfter) return;
  }
  await withInterrupts(async (signal) => {
    const ran = await runTree(task, signal, undefined, undefined, { wait: raw.wait !== false });
    if (ran === 0) console.log(chalk.green(`${family.name} is already complete`));
    console.log(`${chalk.bold("outputs")} of ${family.name}:`);
    for (const out of task.outputs()) console.log(`  ${out}`);
  });
}

/**
 * Refuses a task name that is not in the registry, with the nearest names: checked before yargs parses, so
 * that `mlprof run NoSuchTask --help` is this error too, not the generic help of `run`.
 */
export function requireKnownTask(name: string): void {
  if (taskFamily(name)) return;
  const names = TASKS.map((t) => t.name);
  const nearest = nearestNames(name, names);
  throw new MlprofError(
    nearest.length === 1
      ? `unknown task '${name}'. Did you mean ${nearest[0]!}?`
      : `unknown task '${name}'; the nearest task names: ${nearest.join(", ")}`,
    `mlprof run --help lists every task: ${names.join(", ")}`,
  );
}

/** `mlprof plot` is PlotMultiRuntimes. */
const PLOT_FAMILY = taskFamily("PlotMultiRuntimes")!;

/** `mlprof run <Task>`: one sub-command per task of the registry. */
export const runCommand: CommandModule = {
  command: "run",
  builder: (y: Argv) => {
    for (const family of TASKS) {
      y.command(
        family.name,
        family.description,
        (t) => taskOptions(t, family),
        (args) => runTask(family, args as Record<string, unknown>),
      );
    }
    return y.demandCommand(1, `name a task: ${TASKS.map((t) => t.name).join(", ")}`).strict();
  },
  handler: () => undefined,
};

/** `mlprof plot`: PlotMultiRuntimes. */
export const plotCommand: CommandModule = {
  command: "plot",
  builder: (t: Argv) => taskOptions(t, PLOT_FAMILY),
  handler: (args) => runTask(PLOT_FAMILY, args as Record<string, unknown>),
};
