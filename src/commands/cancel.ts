/** `mlprof cancel` and `mlprof cleanup`: stop a submitted scan's jobs, remove what collected jobs left. */
import type { Argv, CommandModule } from "yargs";
import { SSH_PARAMS } from "../scan/options.js";
import { rawScanCommandOptions, scanCommandOptions, scanIdentity, sshOverrides } from "./collect.js";

const OWN = Object.values(SSH_PARAMS);

export const cancelCommand: CommandModule = {
  command: "cancel",
  builder: (y: Argv) => scanCommandOptions(y, OWN, "Submit host (overrides of the submission's):"),
  handler: async (args) => {
    const raw = rawScanCommandOptions(args as Record<string, unknown>, OWN);
    const { cancelScan } = await import("../scan/cancel.js");
    await cancelScan(scanIdentity(raw), { ssh: sshOverrides(raw) }, (line) => console.log(line));
  },
};

export const cleanupCommand: CommandModule = {
  command: "cleanup",
  builder: (y: Argv) => scanCommandOptions(y, OWN, "Submit host (overrides of the submission's):"),
  handler: async (args) => {
    const raw = rawScanCommandOptions(args as Record<string, unknown>, OWN);
    const { cleanupScan } = await import("../scan/cleanup.js");
    await cleanupScan(scanIdentity(raw), { ssh: sshOverrides(raw) }, (line) => console.log(line));
  },
};
