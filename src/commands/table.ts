/**
 * The commands of `mlprof`, each loaded only when it is the one called: `mlprof --help` and a command's
 * help load yargs and the command they show, not every engine, batch system and library.
 */
import type { CommandModule } from "yargs";

/** A command: its name, its description (the line in `mlprof --help` and its help's header), and its module. */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CommandModule>;
  /** Checks the words after the command before yargs parses them (also under --help); throws MlprofError. */
  checkArgs?(args: string[]): Promise<void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "run",
    summary: "run a task and, first, the tasks it requires",
    load: async () => (await import("./run.js")).runCommand,
    async checkArgs(args) {
      // a task name is the first word; a leading option (`run --help`) is yargs' to handle
      if (args[0] !== undefined && !args[0].startsWith("-"))
        (await import("./run.js")).requireKnownTask(args[0]);
    },
  },
  {
    name: "setup",
    summary: "install what an engine needs (TensorFlow venv and runner, onnxruntime wheel, XLA AOT runtime)",
    load: async () => (await import("./setup.js")).setupCommand,
  },
  {
    name: "plot",
    summary: "render the merged comparison plot (PlotMultiRuntimes)",
    load: async () => (await import("./run.js")).plotCommand,
  },
  {
    name: "releases",
    summary:
      "print the ONNX Runtime and TensorFlow versions of each CMSSW release series, and what is installed here",
    load: async () => (await import("./releases.js")).releasesCommand,
  },
  {
    name: "submit",
    summary:
      "submit a scan (models x batch sizes x releases x architectures) as batch jobs (HTCondor, Slurm; here or over SSH)",
    load: async () => (await import("./submit.js")).submitCommand,
  },
  {
    name: "collect",
    summary: "poll a submitted scan, move its checked results into the store, resubmit failed jobs",
    load: async () => (await import("./collect.js")).collectCommand,
  },
  {
    name: "cancel",
    summary:
      "remove a submitted scan's queued and running jobs (here or over SSH) and mark them so that collect does not resubmit them",
    load: async () => (await import("./cancel.js")).cancelCommand,
  },
  {
    name: "cleanup",
    summary:
      "remove the staged outputs and logs of a scan's collected jobs (submit host, EOS) and, once nothing is left to collect, its job folder",
    load: async () => (await import("./cancel.js")).cleanupCommand,
  },
];
