/** `mlprof cleanup`: removes what collected jobs left on the submit host and in the stage area. */
import { rmSync } from "node:fs";
import { join, posix } from "node:path";
import { execOrThrow, type Shell } from "../remote/shell.js";
import { parseXrdUrl, xrdRemoveTree } from "../remote/xrootd.js";
import { MlprofError } from "../util/errors.js";
import { isWaiting, lockScan, scanDir, writeManifest, type Target } from "./manifest.js";
import { openSubmitted, type ScanIdentity } from "./identity.js";
import { ScanSession, connect } from "./session.js";

type Print = (line: string) => void;

/** What cleanup removed. */
export interface CleanupResult {
  /** Done jobs whose staged outputs and logs were removed. */
  jobs: number;
  /** The whole job folder (and stage area) went: nothing of the scan is left to collect. */
  all: boolean;
}

/**
 * Checks, before anything is removed, that the manifest's job folder is this scan's own: this store's
 * <store>/Scans/<scan>/<version>/jobs, or <remote dir>/<scan>/<version>, both by their real paths on the
 * submit host (a symbolic link on the way, or a manifest copied from another store that names that
 * store's folder, is refused), and that the staged outputs lie in it (or in the scan's folder on EOS).
 */
async function checkOwnFolders(t: Target, name: string, version: string, shell: Shell): Promise<void> {
  const refuse = (what: string, why: string): never => {
    throw new MlprofError(
      `refusing to clean up ${what}: ${why}`,
      "a manifest copied from another store names that store's folders; clean the scan up from its own store",
    );
  };
  const own = join(scanDir(name, version), "jobs");
  const remoteForm = posix.basename(t.jobDir) === version && posix.basename(posix.dirname(t.jobDir)) === name;
  if (t.ssh ? !remoteForm : !remoteForm && t.jobDir !== own) {
    refuse(
      t.jobDir,
      `it is not the job folder of scan ${name}/${version} (expected ${t.ssh ? "" : `${own} or `}<remote dir>/${name}/${version})`,
    );
  }
  // the folder the job folder must lie in, by its real path: no link may lead it elsewhere
  const anchor = remoteForm ? posix.dirname(posix.dirname(t.jobDir)) : scanDir(name, version);
  const rest = remoteForm ? `${name}/${version}` : "jobs";
  const res = await execOrThrow(
    shell,
    ["realpath", "-m", "--", t.jobDir, anchor],
    `resolving the job folder ${t.jobDir}`,
  );
  const [real = "", realAnchor = ""] = res.split("\n");
  const expected = posix.join(realAnchor, rest);
  if (real !== expected)
    refuse(
      t.jobDir,
      `its real path is ${real}, not ${expected}: a symbolic link leads out of the scan's folder`,
    );
  const outputs = t.stageOut === "xrootd" ? undefined : posix.join(t.jobDir, "outputs");
  if (outputs ? t.outputBase !== outputs : !t.outputBase.endsWith(`/${name}/${version}`)) {
    refuse(
      t.outputBase,
      `the staged outputs are not in the scan's own folder (expected ${outputs ?? `root://<host>//<path>/${name}/${version}`})`,
    );
  }
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
    const shell = await connect(t);
    try {
      await checkOwnFolders(t, scan.name, scan.version, shell);
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
      const left = manifest.jobs.filter(isWaiting);
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
