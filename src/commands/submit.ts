/** `mlprof submit`: a scan becomes batch jobs on HTCondor or Slurm, here or on a login node over SSH. */
import type { Argv, CommandModule } from "yargs";
import { declareOptions, givenOptions } from "../scan/cli-options.js";
import { COLLECT_PARAMS, SUBMIT_PARAMS, convertOptions } from "../scan/options.js";
import { SCAN_ID_PARAMS, SCAN_PARAMS, checkKnownKeys, loadScanFile, scanFromRaw } from "../scan/scan.js";

/** Every key a scan yaml may hold. */
export const SCAN_FILE_KEYS = [...SCAN_ID_PARAMS, ...SCAN_PARAMS, ...SUBMIT_PARAMS, ...COLLECT_PARAMS];

/** Raw option values: the scan yaml's (when --scan names one), overridden by the flags given. */
export function rawScanOptions(
  args: Record<string, unknown>,
  flags: Parameters<typeof givenOptions>[0],
): Record<string, unknown> {
  const given = givenOptions(flags, args);
  const file = given["scan"] ? loadScanFile(String(given["scan"])) : {};
  if (given["scan"]) checkKnownKeys(file, SCAN_FILE_KEYS, String(given["scan"]));
  return { ...file, ...given };
}

export const submitCommand: CommandModule = {
  command: "submit",
  describe:
    "submit a scan (models x batch sizes x releases x architectures) as batch jobs (HTCondor, Slurm; here or over SSH)",
  builder: (y: Argv) =>
    declareOptions(
      declareOptions(
        declareOptions(y, SCAN_ID_PARAMS, "Scan:"),
        SCAN_PARAMS,
        "Scan parameters (as PlotMultiRuntimes):",
      ),
      SUBMIT_PARAMS,
      "Batch jobs:",
    )
      .example(
        "$0 submit --scan scan.yaml --batch-system htcondor --ssh-host lxplus.cern.ch --remote-dir /afs/...",
        "",
      )
      .strict(),
  handler: async (args) => {
    const raw = rawScanOptions(args as Record<string, unknown>, [
      ...SCAN_ID_PARAMS,
      ...SCAN_PARAMS,
      ...SUBMIT_PARAMS,
    ]);
    const scan = scanFromRaw(raw);
    // loaded on use: ssh2, nunjucks and listr2 stay out of the other commands' start-up
    const { submitScan } = await import("../scan/submit.js");
    await submitScan(scan, convertOptions(SUBMIT_PARAMS, raw), (line) => console.log(line));
  },
};
