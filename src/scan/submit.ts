import { mkdirSync } from "node:fs";
import { join, posix } from "node:path";
import chalk from "chalk";
import { getBatchSystem } from "../batch/registry.js";
import type { GeneratedFile } from "../batch/system.js";
import { flagRecord } from "../framework/parameters.js";
import { LocalShell, execOrThrow, type Shell } from "../remote/shell.js";
import { MlprofError } from "../util/errors.js";
import { buildTarball, jobScript, planJobs, submissionFiles } from "./jobfiles.js";
import {
  checkSameScan,
  lockScan,
  readManifest,
  scanDir,
  writeManifest,
  type Manifest,
  type ManifestJob,
  type Target,
} from "./manifest.js";
import { submissionSettings, targetFromOptions, workerFromOptions, type SubmitOptions } from "./options.js";
import { formatCounts, plotCommand } from "./report.js";
import { ScanSession, connect } from "./session.js";
import { SCAN_PARAMS, measurementTask, type Scan } from "./scan.js";

type Print = (line: string) => void;

/** A fresh manifest: every job created, nothing submitted. */
function newManifest(scan: Scan, target: Target, group: string): Manifest {
  const now = new Date().toISOString();
  return {
    format: 1,
    scan: {
      name: scan.name,
      version: scan.version,
      hash: scan.hash,
      args: flagRecord(SCAN_PARAMS, scan.values),
    },
    target,
    createdAt: now,
    updatedAt: now,
    submissions: 0,
    jobs: planJobs(scan, group).map((p) => ({
      id: p.id,
      measurements: p.measurements,
      state: "created",
      attempts: [],
    })),
    outputs: scan.measurements.map((m) => measurementTask(scan, m).outputs() as [string, string]),
  };
}

/**
 * `mlprof submit`: writes the job folder (job.sh, job table, submit file, logs/, outputs/), uploads
 * it when the submit host is remote, submits the jobs that are neither done nor still queued, and
 * records everything in the scan's manifest. With dryRun the files are written and listed only.
 */
export async function submitScan(scan: Scan, o: SubmitOptions, print: Print): Promise<void> {
  const system = getBatchSystem(o.batchSystem);
  const base = targetFromOptions(o, scan, system);
  const dryRun = o.dryRun;
  const worker = workerFromOptions(o);
  const group = o.group;
  if (scan.values.executor === "cmssw" && group === "none" && scan.measurements.length > 1) {
    print(
      chalk.yellow(
        "note: --group none builds a CMSSW area in every job; --group release builds one per release",
      ),
    );
  }
  const release = await lockScan(scan.name, scan.version);
  let shell: Shell | undefined;
  try {
    const previous = readManifest(scan.name, scan.version);
    if (previous) {
      checkSameScan(previous, scan);
      const busy = previous.jobs.some((j) => ["submitting", "pending", "running", "held"].includes(j.state));
      const moved = (["batchSystem", "jobDir", "stageOut", "outputBase"] as const).filter(
        (k) => previous.target[k] !== base[k],
      );
      if (busy && moved.length > 0) {
        throw new MlprofError(
          `scan ${scan.name}/${scan.version} has jobs queued on ${previous.target.batchSystem} in ${previous.target.jobDir}; ` +
            `they cannot change ${moved.join(", ")}`,
          "collect them first (mlprof collect), or use another --version",
        );
      }
    }
    shell = dryRun && !base.ssh ? new LocalShell() : dryRun ? undefined : await connect(base as Target);
    const settings = await submissionSettings(o, scan, system, shell);
    const tarball = worker.mlprofPath === undefined;
    const target: Target = {
      ...base,
      settings,
      transferInput: tarball && system.transfersInput ? [posix.join(base.jobDir, "mlprof.tar.gz")] : [],
    };
    const manifest: Manifest = previous ?? newManifest(scan, target, group);
    manifest.target = target;
    if (previous && planJobs(scan, group).length !== previous.jobs.length) {
      throw new MlprofError(
        `scan ${scan.name}/${scan.version} was submitted with another --group`,
        "keep --group, or use another --version",
      );
    }
    const session = new ScanSession(scan, manifest, shell ?? new LocalShell());
    session.markComplete(!dryRun);

    const done = manifest.jobs.filter((j) => j.state === "done");
    const queued = manifest.jobs.filter((j) => ["pending", "running", "held"].includes(j.state));
    const interrupted = manifest.jobs.filter((j) => j.state === "submitting");
    for (const j of interrupted) {
      print(
        chalk.yellow(
          `warning: ${j.id} was being submitted when a previous run stopped; if it reached the batch system it runs twice (harmless: the first valid result is kept)`,
        ),
      );
    }
    const toSubmit: ManifestJob[] = manifest.jobs.filter((j) =>
      ["created", "failed", "submitting"].includes(j.state),
    );

    // the job folder: job.sh, the submission's files, logs/ and outputs/
    const files: GeneratedFile[] = [
      jobScript(scan, target, worker, { cmsswConfig: o.cmsswConfig, cpus: settings.requestCpus }),
    ];
    const localDir = target.ssh ? join(scanDir(scan.name, scan.version), "jobs") : target.jobDir;
    if (dryRun) {
      const rows = toSubmit.map((j) => ({ jobId: j.id, items: session.missing(j).join("+") }));
      const ctx = session.submissionContext(manifest.submissions + 1, rows.slice(0, system.maxRows));
      if (rows.length > 0) files.push(...submissionFiles(system, ctx));
      const local = new LocalShell();
      for (const f of files) await local.putFile(join(localDir, f.path), f.content, f.mode);
      print(
        `${chalk.bold("dry run")}: ${toSubmit.length} job(s) of scan ${scan.name}/${scan.version} would be submitted to ${system.name}${target.ssh ? ` on ${target.ssh.host}` : ""}` +
          ` (${done.length} done, ${queued.length} queued)`,
      );
      print(`files written (job folder ${target.jobDir}${target.ssh ? `, local copy ${localDir}` : ""}):`);
      for (const f of files) print(`  ${join(localDir, f.path)}`);
      if (rows.length > system.maxRows)
        print(
          `  (the first of ${Math.ceil(rows.length / system.maxRows)} submissions of at most ${system.maxRows} jobs)`,
        );
      if (tarball) print(`  ${join(localDir, "mlprof.tar.gz")} (packed at submission)`);
      return;
    }
    if (!shell) throw new Error("no shell");

    if (toSubmit.length === 0) {
      print(`nothing to submit for scan ${scan.name}/${scan.version}: ${formatCounts(manifest)}`);
      writeManifest(manifest);
      return;
    }
    mkdirSync(localDir, { recursive: true });
    for (const f of files) await session.putFile(f.path, f.content, f.mode);
    await execOrThrow(
      shell,
      ["mkdir", "-p", posix.join(target.jobDir, "logs"), posix.join(target.jobDir, "outputs")],
      "creating the job folder",
    );
    if (tarball) {
      const local = join(localDir, "mlprof.tar.gz");
      print("packing MLProf for the workers (mlprof.tar.gz) ...");
      await buildTarball(local);
      await shell.putLocalFile(local, posix.join(target.jobDir, "mlprof.tar.gz"));
    }
    writeManifest(manifest);
    await session.submit(toSubmit, (n, count) =>
      print(`submitted ${count} job(s) to ${system.name} on ${shell!.label} (submission ${n})`),
    );
    print(`scan ${scan.name}/${scan.version}: ${formatCounts(manifest)}`);
    if (done.length || queued.length) print(`skipped ${done.length} done and ${queued.length} queued job(s)`);
    print(`manifest: ${join(scanDir(scan.name, scan.version), "manifest.json")}`);
    print(
      `next: mlprof collect --scan-name ${scan.name} --version ${scan.version} --watch, then ${plotCommand(scan)}`,
    );
  } finally {
    await shell?.close();
    release();
  }
}
