/** `mlprof collect`: polls a scan's jobs, brings valid results into the store, resubmits failures. */
import type { Argv, CommandModule } from "yargs";
import { parseParams, type Param } from "../framework/parameters.js";
import type { ScanIdentity } from "../scan/identity.js";
import { COLLECT_PARAMS, SSH_PARAMS, sshOverridesFromOptions } from "../scan/options.js";
import { SCAN_ID_PARAMS, scanFlagParams, scanFromRaw } from "../scan/scan.js";
import { MlprofError } from "../util/errors.js";
import { checkName } from "../util/names.js";
import { declareParams } from "./options.js";
import { rawScanOptions } from "./submit.js";
import { withInterrupts } from "../util/interrupt.js";

/**
 * The identity of a submitted scan from raw options: its parameters (a scan yaml or the flags) or
 * --scan-name and --version, both passing the one name check (they become path parts of the scan's lock
 * and manifest). The manifest itself is read later, under the scan's lock.
 */
export function scanIdentity(raw: Record<string, unknown>): ScanIdentity {
  if (raw["model-files"] !== undefined) {
    const scan = scanFromRaw(raw);
    return { name: scan.name, version: scan.version, scan };
  }
  const name = String(raw["scan-name"] ?? "");
  const version = String(raw["version"] ?? "");
  if (!name || !version) {
    throw new MlprofError(
      "name the scan: --scan <file.yaml>, or --scan-name and --version (or its parameters)",
    );
  }
  return { name: checkName("--scan-name", name), version: checkName("--version", version) };
}

/** The SSH settings a command may override (another key, known_hosts file, port or host), checked. */
export function sshOverrides(raw: Record<string, unknown>): Record<string, unknown> {
  return sshOverridesFromOptions(parseParams(SSH_PARAMS, raw));
}

/** The options of a command on a submitted scan: its identity, its parameters and `own`. */
export function scanCommandOptions(y: Argv, own: readonly Param<unknown>[], group: string): Argv {
  declareParams(y, Object.values(SCAN_ID_PARAMS), "Scan:");
  declareParams(y, scanFlagParams(), "Scan parameters (or --scan-name and --version):");
  declareParams(y, own, group);
  return y.strict();
}

/** Raw options of a command on a submitted scan (a scan yaml's, overridden by the flags given). */
export function rawScanCommandOptions(
  args: Record<string, unknown>,
  own: readonly Param<unknown>[],
): Record<string, unknown> {
  return rawScanOptions(args, [...Object.values(SCAN_ID_PARAMS), ...scanFlagParams(), ...own]);
}

export const collectCommand: CommandModule = {
  command: "collect",
  builder: (y: Argv) => scanCommandOptions(y, Object.values(COLLECT_PARAMS), "Collect:"),
  handler: async (args) => {
    const raw = rawScanCommandOptions(args as Record<string, unknown>, Object.values(COLLECT_PARAMS));
    const id = scanIdentity(raw);
    const o = parseParams(COLLECT_PARAMS, raw);
    await withInterrupts(async (signal) => {
      const { collectScan } = await import("../scan/collect.js");
      const result = await collectScan(
        id,
        {
          retries: o.retries,
          watch: o.watch,
          intervalS: o.interval,
          timeoutS: o.timeout,
          pollFails: o.pollFails,
          resubmitCancelled: o.resubmitCancelled,
          ssh: sshOverrides(raw),
          signal,
        },
        (line) => console.log(line),
      );
      if (result.failedForGood > 0 && !process.exitCode) process.exitCode = 1;
    });
  },
};
