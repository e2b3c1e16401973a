/** `mlprof cleanup`: removes what collected jobs left on the submit host and in the stage area. */
import { rmSync } from "node:fs";
import { join, posix } from "node:path";
import { execOrThrow } from "../remote/shell.js";
import { parseXrdUrl, xrdRemoveTree } from "../remote/xrootd.js";
import { MlprofError } from "../util/errors.js";
import { lockScan, scanDir, writeManifest, type Target } from "./manifest.js";
import { openSubmitted, type ScanIdentity } from "./identity.js";
import { QUEUED_STATES, ScanSession, connect } from "./session.js";

type Print = (line: string) => void;

/** What cleanup removed. */
export interface CleanupResult {
  /** Done jobs whose staged outputs and logs were removed. */
  jobs: number;
  /** The whole job folder (and stage area) went: nothing of the scan is left to collect. */
  all: boolean;
}

/**
 * For every done job (its results are in the store): removes its staged outputs (submit host or EOS) and
 * its logs on the submit host. When no job is queued or waiting any more (each done, cancelled or failed
 * for good), removes the whole job folder on the submit host (and its local copy) and the scan's folder
 * of the stage area. The manifest and the store stay.
 */
export async function cleanupScan(
  id: ScanIdentity,
  o: { ssh?: Partial<NonNullable<Target["ssh"]>> },
  print: Print,
): Promise<CleanupResult> {
  const release = await lockScan(id.name, id.version, { doing: "cleaning up", wait: true, progress: print });
  try {
    const { scan, manifest } = openSubmitted(id);
    const t = manifest.target;
    if (o.ssh && t.ssh) t.ssh = { ...t.ssh, ...o.ssh };
    // a job folder is <remote dir>/<scan>/<version> or <store>/Scans/<scan>/<version>/jobs: never anything else
    const base = posix.basename(t.jobDir);
    if (base !== scan.version && base !== "jobs") {
      throw new MlprofError(
        `refusing to clean up ${t.jobDir}: it is not the job folder of scan ${scan.name}/${scan.version}`,
      );
    }
    const shell = await connect(t);
    try {
      const session = new ScanSession(scan, manifest, shell);
      session.markComplete(false);
      const done = manifest.jobs.filter((j) => j.state === "done");
      for (const job of done) {
        await session.stage.clear(job.id);
        const logs = job.attempts.flatMap((a) => session.system.logFiles(a.batchId, job.id));
        if (logs.length)
          await execOrThrow(
            shell,
            ["rm", "-f", ...logs.map((l) => posix.join(t.jobDir, l))],
            `removing the logs of ${job.id}`,
          );
        rmSync(join(scanDir(scan.name, scan.version), "logs", job.id), { recursive: true, force: true });
      }
      const left = manifest.jobs.filter(
        (j) => QUEUED_STATES.has(j.state) || j.state === "created" || (j.state === "failed" && !j.final),
      );
      const all = left.length === 0;
      if (all) {
        await execOrThrow(shell, ["rm", "-rf", t.jobDir], `removing the job folder ${t.jobDir}`);
        if (t.ssh) rmSync(join(scanDir(scan.name, scan.version), "jobs"), { recursive: true, force: true });
        if (t.stageOut === "xrootd") await xrdRemoveTree(parseXrdUrl(t.outputBase));
        print(
          `removed the job folder ${t.jobDir}${t.stageOut === "xrootd" ? ` and ${t.outputBase}` : ""} on ${shell.label}`,
        );
      }
      print(
        `cleaned up ${done.length} collected job(s) of scan ${scan.name}/${scan.version}` +
          (all ? "" : `; ${left.length} job(s) still queued or waiting keep their folders`),
      );
      manifest.cleanedAt = new Date().toISOString();
      writeManifest(manifest);
      return { jobs: done.length, all };
    } finally {
      await shell.close();
    }
  } finally {
    release();
  }
}
