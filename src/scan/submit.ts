import { existsSync, mkdirSync } from "node:fs";
import { join, posix } from "node:path";
import chalk from "chalk";
import { getBatchSystem } from "../batch/registry.js";
import type { BatchSystem, CpuIsolation, GeneratedFile } from "../batch/system.js";
import { CMSSW_TEMPLATE_DIR } from "../cmssw/templates.js";
import { LocalShell, execOrThrow, type Shell } from "../remote/shell.js";
import { xrdPutFile } from "../remote/xrootd.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { cmsswConfigFiles } from "./configs.js";
import {
  buildTarball,
  jobScript,
  manifestModels,
  planJobs,
  submissionFiles,
  type TarballSource,
  type WorkerMlprof,
} from "./jobfiles.js";
import {
  checkSameScan,
  inState,
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
import { progressLine } from "./scan-progress.js";
import { ScanSession, connect } from "./session.js";
import { measurementTask, scanFlagRecord, type Scan } from "./scan.js";

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
      args: scanFlagRecord(scan),
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
    models: manifestModels(scan),
  };
}

/** How mlprof.tar.gz reaches the jobs: --worker-tarball, or from the stage-out and the system (auto). */
function tarballSource(o: SubmitOptions, system: BatchSystem, stageOut: string): TarballSource {
  const given = o.workerTarball;
  if (given === "transfer" && !system.transfersInput) {
    throw new MlprofError(
      `--worker-tarball transfer: ${system.name} sends no files with its jobs; use shared (the job folder the workers see) or xrootd`,
    );
  }
  if (given === "xrootd" && stageOut !== "xrootd") {
    throw new MlprofError(
      "--worker-tarball xrootd puts the tarball beside the outputs: it needs --stage-out xrootd",
    );
  }
  if (given !== "auto") return given as TarballSource;
  if (stageOut === "xrootd") return "xrootd";
  return system.transfersInput && stageOut === "transfer" ? "transfer" : "shared";
}

/**
 * The submit host of a dry run: none over SSH unless the system's settings need it (the grid proxy's
 * lifetime), so that the dry run renders what a real submission would.
 */
async function dryRunShell(
  o: SubmitOptions,
  system: BatchSystem,
  base: Omit<Target, "settings" | "transferInput">,
): Promise<Shell | undefined> {
  if (!base.ssh) return new LocalShell();
  const why = system.needsSubmitHost?.(o.raw);
  if (!why) return undefined;
  try {
    return await connect(base as Target);
  } catch (err) {
    throw new MlprofError(
      `a dry run over SSH connects to ${base.ssh.host} ${why}: ${errorMessage(err)}`,
      "pass --x509-proxy no (or yes after checking the proxy yourself) for a dry run that connects nowhere",
    );
  }
}

/**
 * `mlprof submit`: writes the job folder (job.sh, job table, submit file, the cmsRun configs of the cmssw
 * payload, logs/, outputs/), uploads it when the submit host is remote, submits the jobs that are neither
 * done nor still queued (at most --parallel-jobs at once; collect submits the rest as slots free), and
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
  if (
    o.raw["cpu-isolation"] !== undefined &&
    !system.cpuIsolations.includes(o.cpuIsolation as CpuIsolation)
  ) {
    print(
      chalk.yellow(
        `note: ${system.name} cannot give a job ${o.cpuIsolation === "exclusive" ? "a node" : "whole cores"} of its own (--cpu-isolation ${o.cpuIsolation}): ` +
          "each job requests --request-cpus and pins itself where the system binds its CPUs; collect warns when jobs of the scan shared a node",
      ),
    );
  }
  if (o.cmsswConfig && !existsSync(join(CMSSW_TEMPLATE_DIR, o.cmsswConfig))) {
    throw new MlprofError(
      `--cmssw-config: expected a template of ${CMSSW_TEMPLATE_DIR}, found '${o.cmsswConfig}'`,
    );
  }
  const release = await lockScan(scan.name, scan.version, {
    doing: "submitting",
    wait: true,
    progress: print,
  });
  let shell: Shell | undefined;
  try {
    const previous = readManifest(scan.name, scan.version);
    if (previous) {
      checkSameScan(previous, scan);
      const busy = previous.jobs.some((j) => inState(j, "queued"));
      const moved = (["batchSystem", "jobDir", "stageOut", "outputBase"] as const).filter(
        (k) => previous.target[k] !== base[k],
      );
      if (busy && moved.length > 0) {
        throw new MlprofError(
          `scan ${scan.name}/${scan.version} has jobs queued on ${previous.target.batchSystem} in ${previous.target.jobDir}; ` +
            `they cannot change ${moved.join(", ")}`,
          "collect them first (mlprof collect), cancel them (mlprof cancel), or use another --version",
        );
      }
    }
    shell = dryRun ? await dryRunShell(o, system, base) : await connect(base as Target);
    const settings = await submissionSettings(o, scan, system, shell, base.batchEnv);
    // the schedd recorded at the first submission stays the one of the scan
    if (previous?.target.settings["schedd"] && !settings["schedd"])
      settings["schedd"] = previous.target.settings["schedd"];
    const tarball = worker.mlprofPath === undefined;
    const source = tarball ? tarballSource(o, system, base.stageOut) : undefined;
    const tarballUrl = source === "xrootd" ? `${base.outputBase}/_mlprof/mlprof.tar.gz` : undefined;
    const target: Target = {
      ...base,
      settings,
      transferInput: source === "transfer" ? [posix.join(base.jobDir, "mlprof.tar.gz")] : [],
    };
    const manifest: Manifest = previous ?? newManifest(scan, target, group);
    manifest.target = target;
    manifest.models = manifestModels(scan);
    if (previous && planJobs(scan, group).length !== previous.jobs.length) {
      throw new MlprofError(
        `scan ${scan.name}/${scan.version} was submitted with another --group`,
        "keep --group, or use another --version",
      );
    }
    const session = new ScanSession(scan, manifest, shell ?? new LocalShell());
    // a submission a stopped run left unrecorded: found in the batch system, or submitted again (once)
    if (!dryRun) for (const line of await session.settleInterrupted()) print(chalk.yellow(`note: ${line}`));
    session.markComplete(!dryRun);

    const done = manifest.jobs.filter((j) => j.state === "done");
    const queued = manifest.jobs.filter((j) => inState(j, "active"));
    // cancelled jobs too: submitting again is the explicit way to run them
    const open: ManifestJob[] = manifest.jobs.filter((j) => inState(j, "submittable"));
    const cap = session.capacity();
    const toSubmit = cap === Infinity ? open : open.slice(0, cap);
    const waiting = open.length - toSubmit.length;

    // the job folder: job.sh, the cmsRun configs, the submission's files, logs/ and outputs/
    const mlprof: WorkerMlprof = {
      tarball,
      path: worker.mlprofPath ?? "",
      source,
      url: tarballUrl,
    };
    const configs = scan.kind === "latency" && scan.values.executor === "cmssw";
    const files: GeneratedFile[] = [
      jobScript(scan, target, worker, {
        cmsswConfig: o.cmsswConfig,
        cpus: settings.requestCpus,
        mlprof,
        cpuIsolation: settings.cpuIsolation,
        configs,
      }),
    ];
    const configFiles =
      configs && scan.kind === "latency"
        ? cmsswConfigFiles(
            scan,
            open,
            manifest.models.map((m) => m.graphSha256),
            o.cmsswConfig || undefined,
          )
        : [];
    const localDir = target.ssh ? join(scanDir(scan.name, scan.version), "jobs") : target.jobDir;
    const throttleNote = waiting
      ? ` (--parallel-jobs ${settings.parallelJobs}: ${waiting} more wait; mlprof collect --watch submits them as slots free)`
      : "";
    if (dryRun) {
      // every submission a real one would make: one per memory and CPU request, of at most maxRows jobs
      const groups = session.submissionGroups(toSubmit);
      groups.forEach((g, k) => {
        const ctx = session.submissionContext(manifest.submissions + 1 + k, session.rows(g.jobs), g.settings);
        files.push(...submissionFiles(system, ctx));
      });
      const local = new LocalShell();
      for (const f of [...files, ...configFiles])
        await local.putFile(join(localDir, f.path), f.content, f.mode);
      print(
        `${chalk.bold("dry run")}: ${toSubmit.length} job(s) of scan ${scan.name}/${scan.version} would be submitted to ${system.name}${target.ssh ? ` on ${target.ssh.host}` : ""}` +
          ` (${done.length} done, ${queued.length} queued)${throttleNote}`,
      );
      print(`files written (job folder ${target.jobDir}${target.ssh ? `, local copy ${localDir}` : ""}):`);
      for (const f of files) print(`  ${join(localDir, f.path)}`);
      if (configFiles.length)
        print(`  ${join(localDir, "configs")} (${configFiles.length} cmsRun configs, one per measurement)`);
      if (groups.length > 1) {
        print(
          `  (${groups.length} submissions: one per memory and CPU request, of at most ${system.maxRows} jobs each)`,
        );
        groups.forEach((g, k) =>
          print(
            `    submission ${manifest.submissions + 1 + k}: ${g.jobs.length} job(s) of ${g.settings.requestCpus} CPU(s) and ${g.settings.requestMemoryMb} MB`,
          ),
        );
      }
      if (tarball)
        print(
          `  ${join(localDir, "mlprof.tar.gz")} (packed at submission${tarballUrl ? `, copied to ${tarballUrl}` : ""})`,
        );
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
    if (configFiles.length) await session.putFiles(configFiles, "the cmsRun configs");
    await execOrThrow(
      shell,
      ["mkdir", "-p", posix.join(target.jobDir, "logs"), posix.join(target.jobDir, "outputs")],
      "creating the job folder",
    );
    if (tarball) {
      const local = join(localDir, "mlprof.tar.gz");
      print("packing MLProf for the workers (mlprof.tar.gz) ...");
      await buildTarball(local, scan);
      if (tarballUrl) {
        // once per submission beside the outputs: the jobs fetch it from EOS, not through the schedd
        await xrdPutFile(local, tarballUrl);
      } else {
        await shell.putLocalFile(local, posix.join(target.jobDir, "mlprof.tar.gz"));
      }
    }
    writeManifest(manifest);
    await session.submit(toSubmit, (n, count) =>
      print(`submitted ${count} job(s) to ${system.name} on ${shell!.label} (submission ${n})`),
    );
    print(`${progressLine(manifest, formatCounts(manifest))}${throttleNote}`);
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
