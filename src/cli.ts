/** The `mlprof` command line. */
import chalk from "chalk";
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { COMMANDS } from "./commands/table.js";
import { projectRevision } from "./paths.js";
import { MlprofError, errorMessage } from "./util/errors.js";
import { trace } from "./util/trace.js";

/**
 * Builds the yargs parser of `mlprof`. Only the command that is called (the first word of `argv`) is
 * loaded; the others stand as their summary line, which is all `mlprof --help` shows of them.
 */
export async function buildCli(argv: string[]): Promise<Argv> {
  const cli = yargs(argv)
    .scriptName("mlprof")
    .usage(
      "$0 <command> ...\n\nMeasure what an ML model costs per call, for every batch size, in the engines CMSSW embeds.",
    )
    .epilog("mlprof --version prints MLProf's version and revision.");
  for (const entry of COMMANDS) {
    if (entry.name === argv[0]) {
      const command = await entry.load();
      await entry.checkArgs?.(argv.slice(1));
      trace(`cli: command ${entry.name} loaded`);
      cli.command({ ...command, describe: command.describe ?? entry.summary });
    } else {
      cli.command(
        entry.name,
        entry.summary,
        () => undefined,
        () => undefined,
      );
    }
  }
  return cli
    .demandCommand(1, "name a command")
    .version(false)
    .parserConfiguration({
      // values are converted by the parameters' kinds: "0x2" or "1e3" stay as typed, "True" is law's
      "parse-numbers": false,
      "parse-positional-numbers": false,
      // one spelling per option: no yLog beside y-log in messages
      "camel-case-expansion": false,
    })
    .strict()
    .recommendCommands()
    .help()
    .alias("help", "h")
    .wrap(Math.min(120, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      const text = msg.startsWith("Did you mean") ? `unknown task or command. ${msg}` : msg;
      throw new MlprofError(text, "see mlprof --help, or mlprof run <Task> --help");
    });
}

/** Runs the CLI and maps errors to messages and exit codes. */
export async function main(argv = hideBin(process.argv)): Promise<void> {
  try {
    if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
      console.log(`mlprof ${projectRevision()}`);
      return;
    }
    await (await buildCli(argv)).parseAsync();
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
