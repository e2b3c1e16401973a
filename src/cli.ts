/** The `mlprof` command line. */
import chalk from "chalk";
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { cancelCommand, cleanupCommand } from "./commands/cancel.js";
import { collectCommand } from "./commands/collect.js";
import { declareParams } from "./commands/options.js";
import { releasesCommand } from "./commands/releases.js";
import { submitCommand } from "./commands/submit.js";
import { ENGINES } from "./engines/registry.js";
import type { TaskFamily } from "./framework/family.js";
import { printOutput, printStatus, parseRemoveSpec, removeOutput } from "./framework/interactive.js";
import { param } from "./framework/parameters.js";
import { runTree } from "./framework/scheduler.js";
import { TASKS, taskFamily } from "./tasks/registry.js";
import { MlprofError, errorMessage } from "./util/errors.js";

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
  declareParams(y, family.params, "Task parameters:", true);
  declareParams(y, INTERACTIVE, "law-style flags:");
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

/** The exit status of an interrupt: 128 + the signal's number, as a shell reports it. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** The engines `mlprof setup` can prepare. */
const SETUP_ENGINES = ENGINES.filter((e) => e.setup);

async function runTask(family: TaskFamily, raw: Record<string, unknown>): Promise<void> {
  const task = family.create(raw);
  const print = (line: string) => console.log(line);
  if (raw["print-status"] !== undefined) return printStatus(task, String(raw["print-status"]), print);
  if (raw["print-output"] !== undefined) return printOutput(task, String(raw["print-output"]), print);
  if (raw["remove-output"] !== undefined) {
    const spec = parseRemoveSpec(String(raw["remove-output"]));
    await removeOutput(task, spec, print);
    if (!spec.runAfter) return;
  }
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.exitCode = SIGNAL_EXIT[signal] ?? 130;
    controller.abort();
  };
  // `on`, not `once`: execa's signal-exit re-raises a signal that no other listener handles
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const ran = await runTree(task, controller.signal, undefined, undefined, { wait: raw.wait !== false });
    if (ran === 0) console.log(chalk.green(`${family.name} is already complete`));
    console.log(`${chalk.bold("outputs")} of ${family.name}:`);
    for (const out of task.outputs()) console.log(`  ${out}`);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** `mlprof plot` is PlotMultiRuntimes. */
const PLOT_FAMILY = taskFamily("PlotMultiRuntimes")!;

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
          (t) => taskOptions(t, family),
          (args) => runTask(family, args as Record<string, unknown>),
        );
      }
      return y.demandCommand(1, `name a task: ${TASKS.map((t) => t.name).join(", ")}`).strict();
    })
    .command(
      "setup <engine>",
      `install what an engine needs: ${SETUP_ENGINES.map((e) => `'${e.name}' ${e.setup!.summary}`).join("; ")}`,
      (y) =>
        y.positional("engine", {
          type: "string",
          choices: SETUP_ENGINES.map((e) => e.name),
          describe: "the engine to set up",
        }),
      async (args) => {
        const engine = SETUP_ENGINES.find((e) => e.name === args.engine)!;
        await engine.setup!.run((line) => console.log(line));
      },
    )
    .command(
      "plot",
      "render the merged comparison plot (PlotMultiRuntimes)",
      (t) => taskOptions(t, PLOT_FAMILY),
      (args) => runTask(PLOT_FAMILY, args as Record<string, unknown>),
    )
    .command(releasesCommand)
    .command(submitCommand)
    .command(collectCommand)
    .command(cancelCommand)
    .command(cleanupCommand)
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
    // an interrupt (130, 143) set by the signal handler wins
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : code;
  }
}
