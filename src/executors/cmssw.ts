import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { execa } from "execa";
import nunjucks from "nunjucks";
import type { InputSpec } from "../model/modelfile.js";
import { csvMetaLines, readRuntimeCsv } from "../measure/csv.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS, type MeasureProcessMeta } from "../measure/job.js";
import { withLock } from "../native/lock.js";
import { MLP_BASE, projectRevision, softwareDir, storeRoot } from "../paths.js";
import { shq } from "../remote/quote.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs, writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { sha256File } from "../util/hash.js";
import type { Executor } from "./index.js";
import { INPUT_SEED, type MeasurementRequest } from "./local.js";

/** Folder of the Nunjucks templates of cmsRun configs and CMSSW scripts. */
export const CMSSW_TEMPLATE_DIR = join(MLP_BASE, "cmssw-templates");
/** The CMSSW packages copied into the area (MLProf/Utils, MLProf/RuntimeMeasurement). */
export const CMSSW_PACKAGES_DIR = join(MLP_BASE, "plugins");
/** The plugin and module label of each engine's cmsRun config. */
export const CMSSW_PLUGINS = {
  tf: { plugin: "TFInference", module: "tfInference", template: "tf_cfg.py.njk" },
  onnx: { plugin: "ONNXInference", module: "onnxInference", template: "onnx_cfg.py.njk" },
} as const;
export type CmsswEngine = keyof typeof CMSSW_PLUGINS;

/** The CMS software area of cvmfs: $MLPROF_CVMFS_CMS, else /cvmfs/cms.cern.ch. */
export function cvmfsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.MLPROF_CVMFS_CMS || "/cvmfs/cms.cern.ch";
}

/** A Python float literal of a number (always with a decimal point or exponent, as cms.double wants). */
export function pyFloat(value: unknown): string {
  const text = pyLiteral(Number(value));
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** A Python literal of a value (strings as JSON string literals, which Python reads alike). */
export function pyLiteral(value: unknown): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new MlprofError(`cannot write ${value} into a cmsRun config`);
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(", ")}]`;
  throw new MlprofError(`cannot write ${String(value)} into a cmsRun config`);
}

let templateEnv: nunjucks.Environment | undefined;

/**
 * The template environment of cmssw-templates/: no escaping, undefined variables are errors; filters
 * `py` (a Python literal), `pyargs` (list items as comma-separated literals), `pyfloat` and `pyfloats`
 * (the same as float literals), `shq` (shell quoting) and
 * `comment` (a single line for comments).
 */
function templates(): nunjucks.Environment {
  if (templateEnv) return templateEnv;
  templateEnv = new nunjucks.Environment(new nunjucks.FileSystemLoader(CMSSW_TEMPLATE_DIR), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  templateEnv.addFilter("py", pyLiteral);
  templateEnv.addFilter("pyargs", (v: unknown[]) => v.map(pyLiteral).join(", "));
  templateEnv.addFilter("pyfloat", pyFloat);
  templateEnv.addFilter("pyfloats", (v: unknown[]) => v.map(pyFloat).join(", "));
  templateEnv.addFilter("shq", (v: unknown) => shq(String(v)));
  templateEnv.addFilter("comment", (v: unknown) => String(v).replace(/[\r\n]+/g, " "));
  return templateEnv;
}

/** Everything a cmsRun config carries. */
export interface CmsswConfigParams {
  engine: CmsswEngine;
  modelName: string;
  modelFile: string;
  graphPath: string;
  inputs: InputSpec[];
  outputs: string[];
  batchSize: number;
  nEvents: number;
  nCalls: number;
  nWarmup: number;
  warmupMs: number;
  minDurationMs: number;
  /** An input kind, or the path of a ROOT file the events are read from (inputs are then random). */
  inputData: string;
  seed: number;
  threads: number;
  interOpThreads: number;
  csvFile: string;
  metaFile: string;
}

/** The template context of a cmsRun config: the plugin's parallel input lists, counts and files. */
export function configContext(p: CmsswConfigParams): Record<string, unknown> {
  const { plugin, module, template } = CMSSW_PLUGINS[p.engine];
  const isKind = (INPUT_KINDS as readonly string[]).includes(p.inputData);
  return {
    revision: projectRevision(),
    template,
    plugin,
    module,
    model_name: p.modelName,
    model_file: p.modelFile,
    graph_path: p.graphPath,
    input_names: p.inputs.map((i) => i.name),
    input_dtypes: p.inputs.map((i) => i.dtype),
    input_ranks: p.inputs.map((i) => i.shape.length),
    flat_input_sizes: p.inputs.flatMap((i) => i.shape),
    input_batched: p.inputs.map((i) => (i.batched ? 1 : 0)),
    input_has_value: p.inputs.map((i) => (i.value === undefined ? 0 : 1)),
    input_values: p.inputs.map((i) => Number(i.value ?? 0)),
    input_range_lows: p.inputs.map((i) => i.range?.[0] ?? 0),
    input_range_highs: p.inputs.map((i) => i.range?.[1] ?? 10),
    output_names: p.outputs,
    input_type: isKind ? p.inputData : "random",
    input_files: isKind ? [] : [p.inputData.startsWith("/") ? `file:${p.inputData}` : p.inputData],
    batch_size: p.batchSize,
    n_events: p.nEvents,
    n_calls: p.nCalls,
    n_warmup: p.nWarmup,
    warmup_ms: p.warmupMs,
    min_duration_ms: p.minDurationMs,
    seed: p.seed,
    threads: p.threads,
    inter_op_threads: p.interOpThreads,
    csv_file: p.csvFile,
    meta_file: p.metaFile,
  };
}

/** Renders the cmsRun config of a measurement (cmssw-templates/<engine>_cfg.py.njk, or `template`). */
export function renderCmsswConfig(p: CmsswConfigParams, template?: string): string {
  return templates().render(template ?? CMSSW_PLUGINS[p.engine].template, configContext(p));
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
  return templates().render("setup_area.sh.njk", {
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
  return templates().render("run_cmsrun.sh.njk", {
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

/** A hash of every file of the CMSSW packages: an area built from other sources is rebuilt. */
export function packagesHash(dir = join(CMSSW_PACKAGES_DIR, "MLProf")): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else
        hash
          .update(`${relative(dir, p)}\0`)
          .update(readFileSync(p))
          .update("\0");
    }
  };
  walk(dir);
  return hash.digest("hex").slice(0, 16);
}

/** Runs a bash script, streaming its output lines to `onLine`; resolves with the exit code and last lines. */
async function runBash(
  script: string,
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ exitCode: number | undefined; tail: string; canceled: boolean }> {
  const lines: string[] = [];
  const child = execa("bash", [script], {
    env,
    extendEnv: false,
    reject: false,
    all: true,
    buffer: false,
    stdin: "ignore",
    cancelSignal: signal,
    forceKillAfterDelay: 5000,
  });
  let pending = "";
  child.all?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl).trimEnd();
      pending = pending.slice(nl + 1);
      lines.push(line);
      if (lines.length > 60) lines.shift();
      onLine(line);
    }
  });
  const result = await child;
  if (pending.trim()) lines.push(pending.trimEnd());
  return {
    exitCode: result.exitCode,
    tail: lines.slice(-25).join("\n"),
    canceled: Boolean(result.isCanceled),
  };
}

/** The clear error of machines without CMSSW. */
function requireCvmfs(env: NodeJS.ProcessEnv): string {
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
        jobs: Math.max(1, Math.min(8, cpus().length)),
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

/**
 * Runs one measurement with the cmssw executor: prepares the area (cached), renders the engine's cmsRun
 * config and a run script into a temporary folder of the store, runs cmsRun there (the plugins write the
 * CSV rows and the process metadata), checks the rows and moves the results into place as the local
 * executor does. Where cvmfs or cmsRun does not exist: a clear error.
 */
export async function measureInCmssw(
  req: MeasurementRequest,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { model, batchSize, run } = req;
  const spec = model.spec;
  if (spec.engine !== "tf" && spec.engine !== "onnx") {
    throw new MlprofError(
      `the cmssw executor measures tf and onnx models; ${spec.yamlPath} is a ${spec.engine} model`,
      "tfaot models in CMSSW need the AOT compilation flow of their own",
    );
  }
  const isKind = (INPUT_KINDS as readonly string[]).includes(run.inputData);
  if (!isKind && !/\.root$/.test(run.inputData)) {
    throw new MlprofError(
      `--input-data: expected one of ${INPUT_KINDS.join(", ")} or the path of a ROOT file, found '${run.inputData}'`,
    );
  }
  if (!spec.file)
    throw new MlprofError(`model file ${spec.yamlPath}: a ${spec.engine} model needs 'model.file'`);
  const cvmfs = requireCvmfs(env);
  const area = await ensureCmsswArea(req.cmsswVersion, req.scramArch, req.progress, env);
  const envTemplate = env.MLPROF_CMSSW_CONFIG;
  const template = envTemplate && existsSync(join(CMSSW_TEMPLATE_DIR, envTemplate)) ? envTemplate : undefined;

  const tmpParent = join(storeRoot(env), ".tmp");
  const tmp = makeTempDir("cmsrun", tmpParent);
  try {
    const csvFile = join(tmp, "runtime.csv");
    const metaFile = join(tmp, "process.json");
    const params: CmsswConfigParams = {
      engine: spec.engine,
      modelName: model.fullName,
      modelFile: spec.yamlPath,
      graphPath: spec.file,
      inputs: spec.inputs,
      outputs: spec.outputs.map((o) => o.name),
      batchSize,
      nEvents: run.nEvents,
      nCalls: run.nCalls,
      nWarmup: run.nWarmup,
      warmupMs: run.warmupSeconds * 1000,
      minDurationMs: run.minDurationSeconds * 1000,
      inputData: run.inputData,
      seed: INPUT_SEED,
      threads: run.threads,
      interOpThreads: run.interOpThreads,
      csvFile,
      metaFile,
    };
    const config = join(tmp, "measure_cfg.py");
    writeFileSync(config, renderCmsswConfig(params, template));
    const script = join(tmp, "run.sh");
    writeFileSync(
      script,
      renderRunScript({
        cmsswBase: area,
        scramArch: req.scramArch,
        cvmfs,
        workDir: tmp,
        config,
        batchSize,
        csvFile,
        metaFile,
      }),
    );
    const startedAt = new Date().toISOString();
    const host = hostInfo();
    const where = `${spec.yamlPath} at batch size ${batchSize}`;
    const result = await runBash(
      script,
      env,
      (line) => {
        const m = /Begin processing the (\d+)\S* record/.exec(line);
        if (m) req.progress(`batch size ${batchSize}: cmsRun event ${m[1]}/${run.nEvents}`);
      },
      req.signal,
    );
    if (result.canceled || req.signal.aborted)
      throw new MlprofError(`measurement of ${where} was interrupted`);
    if (result.exitCode !== 0) {
      throw new MlprofError(
        `cmsRun failed for ${where} (exit code ${result.exitCode}, config ${config}):\n${result.tail}`,
      );
    }
    if (!existsSync(csvFile) || !existsSync(metaFile)) {
      throw new MlprofError(
        `cmsRun for ${where} ended without writing ${existsSync(csvFile) ? metaFile : csvFile}:\n${result.tail}`,
      );
    }
    const rows = readRuntimeCsv(csvFile).rows;
    const expected = run.nEvents * run.nCalls;
    const tooFew = run.minDurationSeconds > 0 ? rows.length < expected : rows.length !== expected;
    if (tooFew || rows.some((r) => r.batchSize !== batchSize)) {
      throw new MlprofError(
        `cmsRun for ${where} wrote ${rows.length} rows, expected ${expected} at batch size ${batchSize}`,
      );
    }
    const processMeta = JSON.parse(readFileSync(metaFile, "utf8")) as MeasureProcessMeta;
    const metadata = {
      mlprof: { revision: projectRevision() },
      model: {
        file: spec.yamlPath,
        graph: spec.file,
        graphSha256: await sha256File(spec.file),
        name: model.fullName,
        label: model.label,
        engine: spec.engine,
      },
      measurement: {
        batchSize,
        nEvents: run.nEvents,
        nCalls: run.nCalls,
        nWarmup: run.nWarmup,
        warmupSeconds: run.warmupSeconds,
        minDurationSeconds: run.minDurationSeconds,
        interOpThreads: run.interOpThreads,
        warmupPolicy:
          "per event, on that event's inputs: n-warmup untimed calls, continued until warmup-duration has passed",
        inputData: run.inputData,
        inputSeed: INPUT_SEED,
        unit: "ms",
      },
      cmssw: {
        version: req.cmsswVersion,
        scramArch: req.scramArch,
        executor: run.executor,
        area,
        config: readFileSync(config, "utf8"),
        note: `measured by cmsRun of ${req.cmsswVersion} (${req.scramArch}) with the MLProf ${CMSSW_PLUGINS[spec.engine].plugin} plugin`,
      },
      host,
      process: processMeta,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    const header = csvMetaLines({
      mlprof_revision: projectRevision(),
      engine: `${processMeta.engine.name} ${processMeta.engine.version}`,
      threads: `intra-op ${processMeta.threads.intraOp}, inter-op ${processMeta.threads.interOp}`,
      cpu: host.cpuModel,
      host: host.hostname,
      batch_size: batchSize,
      n_events: run.nEvents,
      n_calls: run.nCalls,
      n_warmup: run.nWarmup,
      input_data: run.inputData,
      model: model.fullName,
      cmssw_version: req.cmsswVersion,
      scram_arch: req.scramArch,
      executor: run.executor,
      columns: "batch_size,runtime_ms",
    });
    writeJsonAtomic(req.metaPath, metadata);
    writeFileAtomic(req.csvPath, header + readFileSync(csvFile, "utf8"));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    removeEmptyDirs(tmpParent, storeRoot(env));
  }
}

/** The cmssw executor: measurements in cmsRun of the requested release, where CMSSW exists (lxplus). */
export const cmsswExecutor: Executor = { name: "cmssw", measure: (req) => measureInCmssw(req) };
