/** `mlprof submit`: a scan becomes batch jobs on HTCondor or Slurm, here or on a login node over SSH. */
import type { Argv, CommandModule } from "yargs";
import type { Param } from "../framework/parameters.js";
import {
  COLLECT_PARAMS,
  SUBMIT_PARAMS,
  allSubmitParams,
  submitOptions,
  systemParams,
} from "../scan/options.js";
import { SCAN_ID_PARAMS, checkKnownKeys, loadScanFile, scanFlagParams, scanFromRaw } from "../scan/scan.js";
import { checkScanFileValues } from "../scan/scanfile.js";
import { declareParams, givenOptions } from "./options.js";

/** Every key a scan yaml may hold. */
export function scanFileKeys(): Param<unknown>[] {
  return [
    ...Object.values(SCAN_ID_PARAMS),
    ...scanFlagParams(),
    ...allSubmitParams(),
    ...Object.values(COLLECT_PARAMS),
  ];
}

/** Raw option values: the scan yaml's (when --scan names one), overridden by the flags given. */
export function rawScanOptions(
  args: Record<string, unknown>,
  flags: readonly Param<unknown>[],
): Record<string, unknown> {
  const given = givenOptions(flags, args);
  const path = given["scan"] === undefined ? undefined : String(given["scan"]);
  const file = path === undefined ? {} : loadScanFile(path);
  if (path !== undefined) {
    checkKnownKeys(file, scanFileKeys(), path);
    // the file's values as the flags' own: the same conversion and checks, errors naming the file
    const fromFile = Object.fromEntries(Object.entries(file).filter(([k]) => !(k in given)));
    checkScanFileValues(fromFile, scanFileKeys(), path);
  }
  return { ...file, ...given };
}

export const submitCommand: CommandModule = {
  command: "submit",
  builder: (y: Argv) => {
    declareParams(y, Object.values(SCAN_ID_PARAMS), "Scan:");
    declareParams(
      y,
      scanFlagParams(),
      "Scan parameters (as PlotMultiRuntimes; with --streams, as PlotMultiThroughput):",
    );
    declareParams(y, Object.values(SUBMIT_PARAMS), "Batch jobs:");
    for (const { system, params } of systemParams()) declareParams(y, params, `Batch jobs, ${system.name}:`);
    return y
      .example(
        "$0 submit --scan scan.yaml --batch-system htcondor --ssh-host lxplus.cern.ch --remote-dir /afs/...",
        "",
      )
      .strict();
  },
  handler: async (args) => {
    const raw = rawScanOptions(args as Record<string, unknown>, [
      ...Object.values(SCAN_ID_PARAMS),
      ...scanFlagParams(),
      ...allSubmitParams(),
    ]);
    const scan = scanFromRaw(raw);
    // loaded on use: ssh2, nunjucks and listr2 stay out of the other commands' start-up
    const { submitScan } = await import("../scan/submit.js");
    await submitScan(scan, submitOptions(raw), (line) => console.log(line));
  },
};
