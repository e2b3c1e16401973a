/**
 * CMSSW areas: the cvmfs installation, release names, and the area (scram project + the MLProf packages,
 * built) that cmsRun measures in; the bash scripts that prepare and use them.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { MLP_BASE, projectRevision, softwareDir } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { writeJsonAtomic } from "../util/fs.js";
import { treeHash } from "../util/hash.js";
import { withLock } from "../util/lock.js";
import { runStreaming } from "../util/process.js";
import { renderCmsswTemplate } from "./templates.js";

/** The CMSSW packages copied into the area (MLProf/Utils, MLProf/RuntimeMeasurement). */
export const CMSSW_PACKAGES_DIR = join(MLP_BASE, "plugins");

/** The CMS software area of cvmfs: $MLPROF_CVMFS_CMS, else /cvmfs/cms.cern.ch. */
export function cvmfsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLPROF_CVMFS_CMS || "/cvmfs/cms.cern.ch";
}

/** Parallel jobs of scram b on this machine. */
export function buildJobs(): number {
  return Math.max(1, Math.min(8, cpus().length));
}

/** A hash of every file of the CMSSW packages: an area built from other sources is rebuilt. */
export function packagesHash(dir = join(CMSSW_PACKAGES_DIR, "MLProf")): string {
  return treeHash(dir).slice(0, 16);
}

/** How runBash starts bash: a wrapper of the command (e.g. setpriv), and who learns the started pid. */
export interface RunBashOptions {
  wrap?: (cmd: { file: string; args: string[] }) => { file: string; args: string[] };
  onSpawn?: (pid: number) => void;
}

/** Runs a bash script, streaming its output lines to `onLine`; resolves with the exit code and last lines. */
export async function runBash(
  script: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
  signal?: AbortSignal,
  opts: RunBashOptions = {},
): Promise<{ exitCode: number | undefined; tail: string; canceled: boolean }> {
  const { file, args } = (opts.wrap ?? ((c) => c))({ file: "bash", args: [script] });
  const result = await runStreaming(file, args, {
    env,
    signal,
    onLine: (line) => onLine(line),
    onSpawn: opts.onSpawn,
  });
  return { exitCode: result.exitCode, tail: result.tail.slice(-25).join("\n"), canceled: result.canceled };
}

/** The clear error of machines without CMSSW; returns the cvmfs folder. */
export function requireCvmfs(env: NodeJS.ProcessEnv): string {
  const cvmfs = cvmfsDir(env);
  if (!existsSync(join(cvmfs, "cmsset_default.sh"))) {
    throw new MlprofError(
      `the cmssw executor runs cmsRun from CMSSW on cvmfs, but ${join(cvmfs, "cmsset_default.sh")} does not exist ` +
        "on this machine, so there is no cmsRun here",
      "run on lxplus (or any machine with /cvmfs/cms.cern.ch mounted), submit batch jobs with `mlprof submit`, " +
        "or measure with the engines installed here: --executor local",
    );
  }
  return cvmfs;
}

/** Refuses release and architecture names that cannot be CMSSW's (they become paths and script values). */
export function checkRelease(cmsswVersion: string, scramArch: string): void {
  if (!/^CMSSW_[A-Za-z0-9_]+$/.test(cmsswVersion)) {
    throw new MlprofError(
      `--cmssw-version: expected a release name like CMSSW_14_1_0_pre4, found '${cmsswVersion}'`,
    );
  }
  if (!/^[A-Za-z0-9_]+$/.test(scramArch)) {
    throw new MlprofError(
      `--scram-arch: expected an architecture like el9_amd64_gcc12, found '${scramArch}'`,
    );
  }
}

/** What the area setup script needs. */
export interface SetupScriptParams {
  cmsswVersion: string;
  scramArch: string;
  /** The area is created as <areaParent>/<cmsswVersion>. */
  areaParent: string;
  pluginsDir: string;
  cvmfs: string;
  jobs: number;
}

/** Renders the bash script that prepares a CMSSW area (cmssw-templates/setup_area.sh.njk). */
export function renderSetupScript(p: SetupScriptParams): string {
  return renderCmsswTemplate("setup_area.sh.njk", {
    revision: projectRevision(),
    cmssw_version: p.cmsswVersion,
    scram_arch: p.scramArch,
    area_parent: p.areaParent,
    plugins_dir: p.pluginsDir,
    cvmfs: p.cvmfs,
    jobs: p.jobs,
  });
}

/** Renders the bash script that runs cmsRun on a config in an area (cmssw-templates/run_cmsrun.sh.njk). */
export function renderRunScript(p: {
  cmsswBase: string;
  scramArch: string;
  cvmfs: string;
  workDir: string;
  config: string;
  batchSize: number;
  csvFile: string;
  metaFile: string;
}): string {
  return renderCmsswTemplate("run_cmsrun.sh.njk", {
    revision: projectRevision(),
    cmssw_base: p.cmsswBase,
    scram_arch: p.scramArch,
    cvmfs: p.cvmfs,
    work_dir: p.workDir,
    config: p.config,
    batch_size: p.batchSize,
    csv_file: p.csvFile,
    meta_file: p.metaFile,
  });
}

/**
 * Ensures a CMSSW area for a release and architecture under <software>/cmssw/<arch>/<release>, with the
 * MLProf packages copied in and built: prepared once and reused while the packages are unchanged (a marker
 * holds their hash); a lock keeps two processes from preparing the same area at once. $MLPROF_CMSSW_BASE,
 * when set (batch jobs prepare their own area), is used as is. Returns the area ($CMSSW_BASE).
 */
export async function ensureCmsswArea(
  cmsswVersion: string,
  scramArch: string,
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  if (env.MLPROF_CMSSW_BASE) return env.MLPROF_CMSSW_BASE;
  checkRelease(cmsswVersion, scramArch);
  const cvmfs = requireCvmfs(env);
  const parent = join(softwareDir(env), "cmssw", scramArch);
  const area = join(parent, cmsswVersion);
  const marker = join(parent, `${cmsswVersion}.mlprof.json`);
  const hash = packagesHash();
  const ready = () => {
    try {
      return (
        (JSON.parse(readFileSync(marker, "utf8")) as { packages?: string }).packages === hash &&
        existsSync(join(area, "src"))
      );
    } catch {
      return false;
    }
  };
  if (ready()) return area;
  return withLock(`${area}.lock`, { what: `preparing the CMSSW area ${area}`, progress }, async () => {
    if (ready()) return area;
    mkdirSync(parent, { recursive: true });
    const script = join(parent, `setup_${cmsswVersion}.sh`);
    writeFileSync(
      script,
      renderSetupScript({
        cmsswVersion,
        scramArch,
        areaParent: parent,
        pluginsDir: CMSSW_PACKAGES_DIR,
        cvmfs,
        jobs: buildJobs(),
      }),
    );
    progress(`preparing the CMSSW area ${area} (scram project, scram b)`);
    const result = await runBash(script, env, (line) => {
      if (/^(error|creating|building|the CMSSW area|>> )/.test(line)) progress(line);
    });
    if (result.exitCode !== 0) {
      throw new MlprofError(`preparing the CMSSW area ${area} failed (${script}):\n${result.tail}`);
    }
    writeJsonAtomic(marker, {
      packages: hash,
      release: cmsswVersion,
      scramArch,
      preparedAt: new Date().toISOString(),
    });
    return area;
  });
}
