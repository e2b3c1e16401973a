/** `mlprof collect`: polls a scan's jobs, brings valid results into the store, resubmits failures. */
import type { Argv, CommandModule } from "yargs";
import { parseParams } from "../framework/parameters.js";
import { checkSameScan, manifestPath, readManifest } from "../scan/manifest.js";
import { COLLECT_PARAMS } from "../scan/options.js";
import { SCAN_ID_PARAMS, SCAN_PARAMS, scanFromRaw, scanFromStored } from "../scan/scan.js";
import { MlprofError } from "../util/errors.js";
import { declareParams } from "./options.js";
import { rawScanOptions } from "./submit.js";

export const collectCommand: CommandModule = {
  command: "collect",
  describe: "poll a submitted scan, move its checked results into the store, resubmit failed jobs",
  builder: (y: Argv) => {
    declareParams(y, Object.values(SCAN_ID_PARAMS), "Scan:");
    declareParams(y, Object.values(SCAN_PARAMS), "Scan parameters (or --scan-name and --version):");
    declareParams(y, Object.values(COLLECT_PARAMS), "Collect:");
    return y.strict();
  },
  handler: async (args) => {
    const raw = rawScanOptions(args as Record<string, unknown>, [
      ...Object.values(SCAN_ID_PARAMS),
      ...Object.values(SCAN_PARAMS),
      ...Object.values(COLLECT_PARAMS),
    ]);
    const name = String(raw["scan-name"] ?? "");
    const version = String(raw["version"] ?? "");
    let scan;
    let manifest;
    if (raw["model-files"] !== undefined) {
      scan = scanFromRaw(raw);
      manifest = readManifest(scan.name, scan.version);
      if (manifest) checkSameScan(manifest, scan);
    } else {
      if (!name || !version) {
        throw new MlprofError(
          "name the scan: --scan <file.yaml>, or --scan-name and --version (or its parameters)",
        );
      }
      manifest = readManifest(name, version);
      if (manifest) scan = scanFromStored(manifest.scan.args, name);
    }
    if (!manifest || !scan) {
      const n = scan?.name ?? name;
      const v = scan?.version ?? version;
      throw new MlprofError(
        `scan ${n}/${v} was never submitted (no ${manifestPath(n, v)})`,
        "submit it first: mlprof submit ...",
      );
    }
    const o = parseParams(COLLECT_PARAMS, raw);
    const ssh: Record<string, unknown> = {};
    if (o.sshKey) ssh["keyFile"] = o.sshKey;
    if (o.sshKnownHosts.length) ssh["knownHosts"] = o.sshKnownHosts;
    if (o.sshPort) ssh["port"] = o.sshPort;
    if (o.sshHost) ssh["host"] = o.sshHost.replace(/^.*@/, "").replace(/:\d+$/, "");
    const controller = new AbortController();
    const onSignal = () => {
      process.exitCode = 130;
      controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      const { collectScan } = await import("../scan/collect.js");
      const result = await collectScan(
        scan,
        manifest,
        {
          retries: o.retries,
          watch: o.watch,
          intervalS: o.interval,
          timeoutS: o.timeout,
          ssh,
          signal: controller.signal,
        },
        (line) => console.log(line),
      );
      if (result.failedForGood > 0 && !process.exitCode) process.exitCode = 1;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
