import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { render } from "../batch/render.js";
import { jobTable, type BatchSystem, type GeneratedFile, type SubmitFileContext } from "../batch/system.js";
import { MLP_BASE, projectRevision } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import type { Target } from "./manifest.js";
import type { WorkerSpec } from "./options.js";
import { measurementFlags, type Scan } from "./scan.js";

/** One batch job of a scan: its id and measurements. */
export interface JobPlan {
  id: string;
  measurements: number[];
}

/**
 * Groups a scan's measurements into jobs: one per measurement ("none"), or one per release and
 * architecture ("release", so that the CMSSW area is built once per job). Ids are j0000, j0001, ...
 */
export function planJobs(scan: Scan, group: string): JobPlan[] {
  const groups: number[][] = [];
  if (group === "release") {
    const byKey = new Map<string, number[]>();
    for (const m of scan.measurements) {
      const key = `${m.release}/${m.arch}`;
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key)!.push(m.index);
    }
    groups.push(...byKey.values());
  } else {
    groups.push(...scan.measurements.map((m) => [m.index]));
  }
  const width = Math.max(4, String(groups.length - 1).length);
  return groups.map((measurements, i) => ({ id: `j${String(i).padStart(width, "0")}`, measurements }));
}

/** The job script (job.sh) of a scan: shared by all submissions and by both batch systems. */
export function jobScript(
  scan: Scan,
  target: Target,
  worker: WorkerSpec,
  opts: { cmsswConfig: string; cpus: number },
): GeneratedFile {
  const run = scan.values;
  const ctx = {
    scan: scan.name,
    version: scan.version,
    revision: projectRevision(),
    jobDir: target.jobDir,
    payload: run.executor === "cmssw" ? "cmssw" : "standalone",
    stageOut: target.stageOut,
    outputBase: target.outputBase,
    cmsswConfig: opts.cmsswConfig,
    cpus: opts.cpus,
    mlprof: { tarball: worker.mlprofPath === undefined, path: worker.mlprofPath ?? "" },
    node: worker.node,
    workerSetup: worker.setup,
    workerEnv: Object.entries(worker.env),
    run: { executor: run.executor, flags: measurementFlags(run) },
    models: scan.models.map((m) => ({ file: m.workerFile, name: m.name, label: m.label })),
    releases: scan.releases,
    archs: scan.archs,
    meas: {
      model: scan.measurements.map((m) => m.model),
      bs: scan.measurements.map((m) => m.batchSize),
      rel: scan.measurements.map((m) => m.release),
      arch: scan.measurements.map((m) => m.arch),
    },
  };
  return { path: "job.sh", content: render("job.sh.njk", ctx), mode: 0o755 };
}

/** The files of one submission: its job table and its submit file. */
export function submissionFiles(system: BatchSystem, ctx: SubmitFileContext): GeneratedFile[] {
  return [{ path: `jobs_${ctx.n}.txt`, content: jobTable(ctx.rows) }, system.submitFile(ctx)];
}

/** Folders and files left out of mlprof.tar.gz: development tools, other platforms' binaries, data. */
function tarballExcludes(): string[] {
  const pkg = JSON.parse(readFileSync(join(MLP_BASE, "package.json"), "utf8")) as {
    devDependencies?: Record<string, string>;
  };
  const dev = Object.keys(pkg.devDependencies ?? {}).map((d) => `./node_modules/${d}`);
  return [
    "./data",
    "./.git",
    "./test",
    "./node_modules/.cache",
    "./node_modules/onnxruntime-node/bin/napi-v*/darwin",
    "./node_modules/onnxruntime-node/bin/napi-v*/win32",
    "./node_modules/typescript",
    "./node_modules/prettier",
    "./node_modules/eslint",
    ...dev,
  ];
}

/**
 * Packs this MLProf (built dist/, node_modules for Linux, examples, plugins, templates) into
 * `path`, for jobs on workers that do not see it. Reused while the revision is unchanged.
 */
export async function buildTarball(path: string): Promise<void> {
  const stamp = `${path}.revision`;
  if (existsSync(path) && existsSync(stamp) && readFileSync(stamp, "utf8") === projectRevision()) return;
  if (!existsSync(join(MLP_BASE, "dist", "main.js")) && !existsSync(join(MLP_BASE, "dist", "cli.js"))) {
    throw new MlprofError("dist/ is missing: run `npm run build` before packing MLProf for the workers");
  }
  const args = ["-czf", path, ...tarballExcludes().flatMap((e) => ["--exclude", e]), "-C", MLP_BASE, "."];
  const res = await execa("tar", args, { reject: false, timeout: 600_000 });
  if (res.exitCode !== 0)
    throw new MlprofError(`packing MLProf into ${path} failed: ${String(res.stderr).trim()}`);
  writeFileSync(stamp, projectRevision());
}
