/** The `mlprof` command line. */
import chalk from "chalk";
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { MLP_BASE } from "./paths.js";
import { printOutput, printStatus, parseRemoveSpec, removeOutput } from "./tasks/interactive.js";
import { convertArgs, type ParamDef } from "./tasks/params.js";
import { TASKS, type TaskFamily } from "./tasks/registry.js";
import { runTree } from "./tasks/scheduler.js";
import { MlprofError, errorMessage } from "./util/errors.js";
import { collectCommand } from "./commands/collect.js";
import { submitCommand } from "./commands/submit.js";
import { relative } from "node:path";

const INTERACTIVE: ParamDef[] = [
  {
    name: "print-status",
    type: "string",
    description: "print the task tree up to this depth (-1: all) with the outputs' existence, and exit",
  },
  {
    name: "print-output",
    type: "string",
    description: "print the output paths of the tasks up to this depth, and exit",
  },
  {
    name: "remove-output",
    type: "string",
    description:
      "remove outputs up to a depth: 'depth[,mode][,y]', mode a (all), i (interactive), d (dry); y: run afterwards",
  },
];

function showDefault(def: ParamDef): string | undefined {
  if (def.default === undefined || def.default === "") return undefined;
  if (typeof def.default === "string" && def.default.startsWith(MLP_BASE))
    return relative(MLP_BASE, def.default);
  return Array.isArray(def.default) ? def.default.join(",") : String(def.default);
}

function addOptions(y: Argv, params: ParamDef[], group: string): Argv {
  for (const def of params) {
    y.option(def.name, {
      type: "string",
      group,
      description: def.description,
      defaultDescription: showDefault(def),
      choices: undefined,
      demandOption: def.required ? `--${def.name} is required` : undefined,
      requiresArg: def.type !== "bool",
    });
  }
  return y;
}

async function runTask(family: TaskFamily, raw: Record<string, unknown>): Promise<void> {
  const task = family.create(convertArgs(family.params, raw));
  const print = (line: string) => console.log(line);
  if (raw["print-status"] !== undefined) return printStatus(task, String(raw["print-status"]), print);
  if (raw["print-output"] !== undefined) return printOutput(task, String(raw["print-output"]), print);
  if (raw["remove-output"] !== undefined) {
    const spec = parseRemoveSpec(String(raw["remove-output"]));
    await removeOutput(task, spec, print);
    if (!spec.runAfter) return;
  }
  const controller = new AbortController();
  const onSignal = () => {
    process.exitCode = 130;
    controller.abort();
  };
  // `on`, not `once`: execa's signal-exit re-raises a signal that no other listener handles
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const ran = await runTree(task, controller.signal);
    if (ran === 0) console.log(chalk.green(`${family.name} is already complete`));
    console.log(`${chalk.bold("outputs")} of ${family.name}:`);
    for (const out of task.outputs()) console.log(`  ${out}`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** Builds the yargs parser of `mlprof`. */
export function buildCli(argv: string[]): Argv {
  const cli = yargs(argv)
    .scriptName("mlprof")
    .usage(
      "$0 <command> ...\n\nMeasure what an ML model costs per call, for every batch size, in the engines CMSSW embeds.",
    )
    .command("run", "run a task and, first, the tasks it requires", (y) => {
      for (const family of TASKS) {
        y.command(
          family.name,
          family.description,
          (t) =>
            addOptions(
              addOptions(t, family.params, "Task parameters:"),
              INTERACTIVE,
              "law-style flags:",
            ).strict(),
          (args) => runTask(family, args as Record<string, unknown>),
        );
      }
      return y.demandCommand(1, `name a task: ${TASKS.map((t) => t.name).join(", ")}`).strict();
    })
    .command(
      "setup <engine>",
      "install what an engine needs: 'tf' creates the TensorFlow venv and builds the native runner",
      (y) => y.positional("engine", { type: "string", choices: ["tf"], describe: "the engine to set up" }),
      async () => (await import("./engines/tf/setup.js")).setupTf((line) => console.log(line)),
    )
    .command(
      "plot",
      "render the merged comparison plot (PlotMultiRuntimes)",
      (t) =>
        addOptions(
          addOptions(t, TASKS[3]!.params, "Task parameters:"),
          INTERACTIVE,
          "law-style flags:",
        ).strict(),
      (args) => runTask(TASKS[3]!, args as Record<string, unknown>),
    )
    .command(submitCommand)
    .command(collectCommand)
    .demandCommand(1, "name a command")
    .version(false)
    .strict()
    .recommendCommands()
    .help()
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      const text = msg.startsWith("Did you mean") ? `unknown task or command. ${msg}` : msg;
      throw new MlprofError(text, "see mlprof --help, or mlprof run <Task> --help");
    });
  return cli;
}

/** Runs the CLI and maps errors to messages and exit codes. */
export async function main(argv = hideBin(process.argv)): Promise<void> {
  try {
    await buildCli(argv).parseAsync();
  } catch (err) {
    let code = 1;
    if (err instanceof MlprofError) {
      console.error(`${chalk.red("error:")} ${err.message}`);
      if (err.hint) console.error(`${chalk.yellow("hint:")} ${err.hint}`);
      code = err.exitCode;
    } else {
      console.error(`${chalk.red("error:")} ${errorMessage(err)}`);
      if (process.env.MLPROF_DEBUG) console.error(err);
    }
    // an interrupt (130) set by the signal handler wins
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : code;
  }
}
