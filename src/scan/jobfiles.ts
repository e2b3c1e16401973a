import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { execa } from "execa";
import { render } from "../batch/render.js";
import {
  systemJobTable,
  type BatchSystem,
  type GeneratedFile,
  type SubmitFileContext,
} from "../batch/system.js";
import { Model } from "../engines/model.js";
import { getEngine } from "../engines/registry.js";
import { MLP_BASE, projectRevision } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir } from "../util/fs.js";
import type { ManifestModel, Target } from "./manifest.js";
import type { WorkerSpec } from "./options.js";
import { measurementCpus, scanMeasurementFlags, scanTaskName, type Scan } from "./scan.js";

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

/** How mlprof.tar.gz reaches the jobs (--worker-tarball), resolved. */
export type TarballSource = "transfer" | "shared" | "xrootd";

/** MLProf on the workers as the job script sees it: a folder, or the tarball and where it comes from. */
export interface WorkerMlprof {
  tarball: boolean;
  path: string;
  /** With a tarball: how it comes (transfer: in the sandbox; shared: the job folder; xrootd: this URL). */
  source?: TarballSource;
  url?: string;
}

/**
 * The job script (job.sh) of a scan: shared by all submissions and by both batch systems. `cpus` is what a
 * latency job requests; a throughput job requests the most streams × threads of its measurements and runs
 * each on the first streams × threads of its CPUs.
 */
export function jobScript(
  scan: Scan,
  target: Target,
  worker: WorkerSpec,
  opts: { cmsswConfig: string; cpus: number; mlprof: WorkerMlprof; cpuIsolation: string; configs: boolean },
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
    configs: opts.configs,
    cpus: opts.cpus,
    // a node of its own (exclusive): pin the measurements to the first CPUs the job may use
    pinAlways: opts.cpuIsolation === "exclusive",
    mlprof: opts.mlprof,
    node: worker.node,
    workerSetup: worker.setup,
    workerEnv: Object.entries(worker.env),
    run: { executor: run.executor, task: scanTaskName(scan), flags: scanMeasurementFlags(scan) },
    // --model-name on the worker only where the user gave one: other names derive there, as `mlprof run` does
    models: scan.models.map((m) => ({ file: m.workerFile, name: m.givenName, label: m.label })),
    releases: scan.releases,
    archs: scan.archs,
    meas: {
      model: scan.measurements.map((m) => m.model),
      bs: scan.measurements.map((m) => m.batchSize),
      rel: scan.measurements.map((m) => m.release),
      arch: scan.measurements.map((m) => m.arch),
      // a throughput scan: each measurement's streams, and the CPUs it owns (streams × threads)
      streams: scan.kind === "throughput" ? scan.measurements.map((m) => m.streams!) : undefined,
      cpus: scan.kind === "throughput" ? scan.measurements.map((m) => measurementCpus(scan, m)!) : undefined,
    },
  };
  return { path: "job.sh", content: render("job.sh.njk", ctx), mode: 0o755 };
}

/** The files of one submission: its job table and its submit file. */
export function submissionFiles(system: BatchSystem, ctx: SubmitFileContext): GeneratedFile[] {
  return [{ path: `jobs_${ctx.n}.txt`, content: systemJobTable(system, ctx) }, system.submitFile(ctx)];
}

/** The SHA-256 of a file, synchronously (model graph files are small enough). */
export function sha256FileSync(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** The graph file of each model of a scan (the file whose SHA-256 the results record), and its hash. */
export function modelGraphs(scan: Scan): { engine: string; graphFile: string; graphSha256: string }[] {
  return scan.models.map((m) => {
    const spec = new Model(m.file, m.name).spec;
    const graphFile = getEngine(spec.engine).local.modelPath(spec);
    return {
      engine: spec.engine,
      graphFile,
      graphSha256: existsSync(graphFile) && statSync(graphFile).isFile() ? sha256FileSync(graphFile) : "",
    };
  });
}

/** What the manifest records of each model: what its results must show (engine, graph file hash). */
export function manifestModels(scan: Scan): ManifestModel[] {
  return modelGraphs(scan).map((g, i) => ({
    name: scan.models[i]!.name,
    file: scan.models[i]!.file,
    engine: g.engine,
    graphSha256: g.graphSha256,
  }));
}

/** The package-lock entries (node_modules/...) that are not development-only: what the workers need. */
function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(MLP_BASE, "package-lock.json"), "utf8")) as {
    packages?: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages ?? {})
    .filter(([path, p]) => path.startsWith("node_modules/") && !p.dev && !p.devOptional)
    .map(([path]) => path)
    .filter((path) => existsSync(join(MLP_BASE, path)));
}

/** Files of the scan's models inside MLProf (their yaml and every path their engine section names). */
function modelPaths(scan: Scan): string[] {
  const inside = (p: string) => {
    const rel = relative(MLP_BASE, p);
    return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel.split(sep).join("/") : undefined;
  };
  const out = new Set<string>();
  for (const m of scan.models) {
    const spec = new Model(m.file, m.name).spec;
    const paths = [spec.yamlPath, ...Object.values(spec.section as Record<string, unknown>)].filter(
      (v): v is string => typeof v === "string" && isAbsolute(v) && existsSync(v),
    );
    for (const p of paths) {
      const rel = inside(p);
      if (rel) out.add(rel);
    }
  }
  return [...out];
}

/** The node platform folders of the workers' architectures (amd64 → x64, aarch64 → arm64). */
function workerPlatforms(scan: Scan): string[] {
  const archs = new Set(scan.archs.map((a) => (/aarch64|arm64/.test(a) ? "arm64" : "x64")));
  return [...archs];
}

/**
 * What mlprof.tar.gz holds: the built dist/, bin/, package files, templates, the CMSSW packages, the
 * release table, the production dependencies (package-lock entries that are not dev-only) without other
 * platforms' native binaries, and the scan's model files inside MLProf — not the development tools, tests,
 * examples of other models or data.
 */
export function tarballContents(scan: Scan): { paths: string[]; excludes: string[] } {
  const base = [
    "bin",
    "dist",
    "package.json",
    "package-lock.json",
    "cmssw-releases.yaml",
    "cmssw-templates",
    "condor-templates",
    "plugins",
    "src/engines/tfaot/signatures.py",
  ].filter((p) => existsSync(join(MLP_BASE, p)));
  const platforms = workerPlatforms(scan);
  const excludes = [
    "node_modules/.cache",
    "*/bin/napi-v*/darwin",
    "*/bin/napi-v*/win32",
    ...["x64", "arm64"].filter((a) => !platforms.includes(a)).map((a) => `*/bin/napi-v*/linux/${a}`),
  ];
  // a package inside another is packed with its parent
  const packages = productionPackages().sort();
  const top = packages.filter((p, i) => !packages.slice(0, i).some((q) => p.startsWith(`${q}/`)));
  return { paths: [...base, ...top, ...modelPaths(scan)], excludes };
}

/**
 * Packs what the workers need of this MLProf (tarballContents) into `path`, for jobs on workers that do
 * not see it. Reused while the revision and the contents are unchanged.
 */
export async function buildTarball(path: string, scan: Scan): Promise<void> {
  if (!existsSync(join(MLP_BASE, "dist", "main.js")) && !existsSync(join(MLP_BASE, "dist", "cli.js"))) {
    throw new MlprofError("dist/ is missing: run `npm run build` before packing MLProf for the workers");
  }
  const { paths, excludes } = tarballContents(scan);
  const key = createHash("sha256")
    .update(JSON.stringify([projectRevision(), paths, excludes]))
    .digest("hex");
  const stamp = `${path}.key`;
  if (existsSync(path) && existsSync(stamp) && readFileSync(stamp, "utf8") === key) return;
  const list = join(makeTempDir("tarball"), "files.txt");
  writeFileSync(list, paths.join("\n") + "\n");
  const args = [
    "-czf",
    path,
    ...excludes.flatMap((e) => ["--exclude", e]),
    "-C",
    MLP_BASE,
    "--files-from",
    list,
  ];
  const res = await execa("tar", args, { reject: false, timeout: 600_000 });
  if (res.exitCode !== 0)
    throw new MlprofError(`packing MLProf into ${path} failed: ${String(res.stderr).trim()}`);
  writeFileSync(stamp, key);
}
