import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, relative } from "node:path";
import { execa } from "execa";
import nunjucks from "nunjucks";
import { savedModelHash } from "../engines/tfaot/compile.js";
import { aotInputs, aotOutputs } from "../engines/tfaot/io.js";
import type { InputSpec, ModelSpec } from "../model/modelfile.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS, type PreparationMeta } from "../measure/job.js";
import { withLock } from "../native/lock.js";
import { MLP_BASE, projectRevision, softwareDir, storeRoot } from "../paths.js";
import { shq } from "../remote/quote.js";
import { combineAotHeaders, readAotHeader, samePositions, type AotSignature } from "../tfaot/header.js";
import { aotTemplateContext, renderTemplateFile } from "../tfaot/render.js";
import { formatBatchRule, parseBatchRules, resolveBatchRule } from "../tfaot/rules.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs, writeJsonAtomic } from "../util/fs.js";
import { sha256File } from "../util/hash.js";
import type { Executor } from "./index.js";
import type { MeasurementRequest } from "./local.js";
import { checkRows, INPUT_SEED, readProcessMeta, writeMeasurement } from "./result.js";

/** Folder of the Nunjucks templates of cmsRun configs and CMSSW scripts. */
export const CMSSW_TEMPLATE_DIR = join(MLP_BASE, "cmssw-templates");
/** The CMSSW packages copied into the area (MLProf/Utils, MLProf/RuntimeMeasurement). */
export const CMSSW_PACKAGES_DIR = join(MLP_BASE, "plugins");
/** The plugin and module label of each engine's cmsRun config. */
export const CMSSW_PLUGINS = {
  tf: { plugin: "TFInference", module: "tfInference", template: "tf_cfg.py.njk" },
  onnx: { plugin: "ONNXInference", module: "onnxInference", template: "onnx_cfg.py.njk" },
  tfaot: { plugin: "TFAOTInference", module: "tfaotInference", template: "tfaot_cfg.py.njk" },
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
  /** tfaot: the rules "target:size1,size2,..." registered with tfaot::Model::setBatchRule. */
  batchRules?: string[];
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
    batch_rules: p.batchRules ?? [],
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

/** Refuses release and architecture names that cannot be CMSSW's (they become paths and script values). */
function checkRelease(cmsswVersion: string, scramArch: string): void {
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

/** The scram tool cms_tfaot_compile creates for a tfaot area's model, and the model's name in it. */
export const TFAOT_TOOL = "tfaot-model-mlprof";
export const TFAOT_MODEL_NAME = "mlprof_model";
/** The folder of $CMSSW_BASE the model is compiled into. */
export const TFAOT_AOT_DIR = "mlprof_aot";
/** The templates of the TFAOTInference plugin, rendered into the area from the compiled headers. */
export const TFAOT_PLUGIN_DIR = join(CMSSW_PACKAGES_DIR, "MLProf", "RuntimeMeasurement", "plugins", "aot");

/** The AOT config cms_tfaot_compile reads (JSON, which is YAML): the model file's SavedModel and compilation. */
export function tfaotConfig(spec: ModelSpec): Record<string, unknown> {
  const c = spec.compilation!;
  return {
    model: {
      name: TFAOT_MODEL_NAME,
      version: spec.version ?? "1.0.0",
      saved_model: spec.savedModel,
      serving_key: spec.servingKey ?? "serving_default",
    },
    compilation: { batch_sizes: c.batchSizes, tf_xla_flags: c.tfXlaFlags, xla_flags: c.xlaFlags },
  };
}

/** Renders step 1 of a tfaot area: the area, the packages and the compilation (cmssw-templates/tfaot_area.sh.njk). */
export function renderTfaotAreaScript(p: {
  cmsswVersion: string;
  scramArch: string;
  areaParent: string;
  pluginsDir: string;
  cvmfs: string;
  aotConfig: string;
}): string {
  return templates().render("tfaot_area.sh.njk", {
    revision: projectRevision(),
    cmssw_version: p.cmsswVersion,
    scram_arch: p.scramArch,
    area_parent: p.areaParent,
    plugins_dir: p.pluginsDir,
    cvmfs: p.cvmfs,
    aot_config: p.aotConfig,
    tool_name: TFAOT_TOOL,
    aot_dir: TFAOT_AOT_DIR,
  });
}

/** Renders step 2 of a tfaot area: scram b of the rendered plugin (cmssw-templates/tfaot_build.sh.njk). */
export function renderTfaotBuildScript(p: {
  cmsswBase: string;
  scramArch: string;
  cvmfs: string;
  jobs: number;
}): string {
  return templates().render("tfaot_build.sh.njk", {
    revision: projectRevision(),
    cmssw_base: p.cmsswBase,
    scram_arch: p.scramArch,
    cvmfs: p.cvmfs,
    jobs: p.jobs,
  });
}

/** The TFAOTInference plugin and its BuildFile.xml for a compiled model (plugins/.../aot/*.njk). */
export function renderTfaotPlugin(signature: AotSignature): { plugin: string; buildFile: string } {
  const context = { ...aotTemplateContext(signature), revision: projectRevision(), tool_name: TFAOT_TOOL };
  return {
    plugin: renderTemplateFile(join(TFAOT_PLUGIN_DIR, "TFAOTInference.cc.njk"), context),
    buildFile: renderTemplateFile(join(TFAOT_PLUGIN_DIR, "BuildFile.xml.njk"), context),
  };
}

/** The model compiled into a tfaot area, read from the headers cms_tfaot_compile wrote. */
function readTfaotSignature(area: string): AotSignature {
  const dir = join(area, TFAOT_AOT_DIR, "include", TFAOT_TOOL);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /_bs\d+\.h$/.test(f)) : [];
  if (files.length === 0)
    throw new MlprofError(`cms_tfaot_compile wrote no headers <name>_bs<N>.h into ${dir}`);
  const signature = combineAotHeaders(files.map((f) => readAotHeader(join(dir, f))));
  if (!samePositions(signature)) {
    throw new MlprofError(
      `cms_tfaot_compile ordered the inputs or outputs of the model differently for different batch sizes ` +
        `(${dir}); tfaot::Model::run passes them by position, so CMSSW would feed inputs to the wrong arguments`,
      "compile a single batch size, or measure locally (--executor local maps them by name)",
    );
  }
  return signature;
}

/** A prepared tfaot area. */
export interface TfaotArea {
  area: string;
  signature: AotSignature;
  /** Wall time of cms_tfaot_compile when the area was prepared, ms. */
  compileMs: number;
  cached: boolean;
}

/**
 * Ensures the CMSSW area of a tfaot model, as the original prepares a sandbox per AOT config: under
 * <software>/cmssw/<arch>/tfaot-<key>/<release>, keyed by the SavedModel's content, the serving key, the
 * compilation settings and the MLProf packages. Step 1 (a script) creates the area, copies the packages
 * and compiles the model with cms_tfaot_compile; MLProf renders the TFAOTInference plugin from the
 * compiled headers (one array per input and per result, in the compiled order); step 2 runs scram b.
 * Prepared once (a marker), under a lock. $MLPROF_CMSSW_BASE is not used: the area holds one model.
 */
export async function ensureTfaotArea(
  cmsswVersion: string,
  scramArch: string,
  spec: ModelSpec,
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TfaotArea> {
  checkRelease(cmsswVersion, scramArch);
  if (!spec.savedModel || !spec.compilation) {
    throw new MlprofError(
      `model file ${spec.yamlPath}: a tfaot model needs 'model.saved_model' and 'compilation'`,
    );
  }
  const cvmfs = requireCvmfs(env);
  const config = tfaotConfig(spec);
  const key = createHash("sha256")
    .update(savedModelHash(spec.savedModel))
    .update(JSON.stringify(config.compilation))
    .update(spec.servingKey ?? "")
    .update(packagesHash())
    .digest("hex")
    .slice(0, 16);
  const parent = join(softwareDir(env), "cmssw", scramArch, `tfaot-${key}`);
  const area = join(parent, cmsswVersion);
  const marker = join(parent, `${cmsswVersion}.mlprof.json`);
  const prepared = (cached: boolean): TfaotArea | undefined => {
    try {
      const m = JSON.parse(readFileSync(marker, "utf8")) as { key?: string; compileMs?: number };
      if (m.key !== key || !existsSync(join(area, "src"))) return undefined;
      return { area, signature: readTfaotSignature(area), compileMs: m.compileMs ?? 0, cached };
    } catch {
      return undefined;
    }
  };
  const ready = prepared(true);
  if (ready) return ready;
  return withLock(`${area}.lock`, { what: `preparing the tfaot CMSSW area ${area}`, progress }, async () => {
    const again = prepared(true);
    if (again) return again;
    mkdirSync(parent, { recursive: true });
    const aotConfig = join(parent, "aot_config.yaml");
    writeFileSync(aotConfig, JSON.stringify(config, null, 2) + "\n");
    const script = join(parent, `tfaot_area_${cmsswVersion}.sh`);
    writeFileSync(
      script,
      renderTfaotAreaScript({
        cmsswVersion,
        scramArch,
        areaParent: parent,
        pluginsDir: CMSSW_PACKAGES_DIR,
        cvmfs,
        aotConfig,
      }),
    );
    progress(`preparing the tfaot CMSSW area ${area} (scram project, cms_tfaot_compile)`);
    let compileMs = 0;
    const step1 = await runBash(script, env, (line) => {
      const m = /^mlprof-compile-ms: (\d+)$/.exec(line);
      if (m) compileMs = Number(m[1]);
      else if (/^(error|creating|compiling|the model)/.test(line)) progress(line);
    });
    if (step1.exitCode !== 0) {
      throw new MlprofError(`preparing the tfaot CMSSW area ${area} failed (${script}):\n${step1.tail}`);
    }
    const signature = readTfaotSignature(area);
    const pluginDir = join(area, "src", "MLProf", "RuntimeMeasurement", "plugins");
    const rendered = renderTfaotPlugin(signature);
    writeFileSync(join(pluginDir, "TFAOTInference.cc"), rendered.plugin);
    writeFileSync(join(pluginDir, "BuildFile.xml"), rendered.buildFile);
    const build = join(parent, `tfaot_build_${cmsswVersion}.sh`);
    writeFileSync(
      build,
      renderTfaotBuildScript({
        cmsswBase: area,
        scramArch,
        cvmfs,
        jobs: Math.max(1, Math.min(8, cpus().length)),
      }),
    );
    progress(`building the TFAOTInference plugin in ${area} (scram b)`);
    const step2 = await runBash(build, env, (line) => {
      if (/^(error|building|the CMSSW area|>> )/.test(line)) progress(line);
    });
    if (step2.exitCode !== 0) {
      throw new MlprofError(
        `building the TFAOTInference plugin in ${area} failed (${build}):\n${step2.tail}`,
      );
    }
    writeJsonAtomic(marker, {
      key,
      packages: packagesHash(),
      release: cmsswVersion,
      scramArch,
      savedModel: spec.savedModel,
      compileMs,
      preparedAt: new Date().toISOString(),
    });
    return { area, signature, compileMs, cached: false };
  });
}

/** What a cmsRun measurement runs on: the area, the model, its inputs and outputs, and tfaot's extras. */
interface CmsswTarget {
  area: string;
  /** The graph file, or the SavedModel folder of a tfaot model. */
  graphPath: string;
  /** The file whose hash the metadata records. */
  graphFile: string;
  inputs: InputSpec[];
  outputs: string[];
  batchRules?: string[];
  preparation?: PreparationMeta;
}

/** The shared area of the release for a tf or onnx model. */
async function graphTarget(req: MeasurementRequest, env: NodeJS.ProcessEnv): Promise<CmsswTarget> {
  const spec = req.model.spec;
  if (!spec.file)
    throw new MlprofError(`model file ${spec.yamlPath}: a ${spec.engine} model needs 'model.file'`);
  const area = await ensureCmsswArea(req.cmsswVersion, req.scramArch, req.progress, env);
  return {
    area,
    graphPath: spec.file,
    graphFile: spec.file,
    inputs: spec.inputs,
    outputs: spec.outputs.map((o) => o.name),
  };
}

/**
 * The area of a tfaot model, its inputs and outputs from the compiled headers, and the batch rules (checked
 * before anything is prepared): all rules go to cmsRun, as CMSSW registers them; the one in effect for the
 * measured batch size goes into the metadata (the plugin reports what CMSSW used, too).
 */
async function tfaotTarget(req: MeasurementRequest, env: NodeJS.ProcessEnv): Promise<CmsswTarget> {
  const spec = req.model.spec;
  const rules = parseBatchRules(req.run.tfaotBatchRules ?? "");
  const rule = resolveBatchRule(req.batchSize, rules, spec.compilation?.batchSizes ?? []);
  const prepared = await ensureTfaotArea(req.cmsswVersion, req.scramArch, spec, req.progress, env);
  return {
    area: prepared.area,
    graphPath: spec.savedModel!,
    graphFile: join(spec.savedModel!, "saved_model.pb"),
    inputs: aotInputs(spec, prepared.signature),
    outputs: aotOutputs(spec, prepared.signature),
    batchRules: rules.map(formatBatchRule),
    preparation: {
      compileMs: prepared.compileMs,
      cached: prepared.cached,
      compiledBatchSizes: prepared.signature.batchSizes,
      batchRule: { target: rule.target, chunks: rule.chunks, padding: rule.padding, source: rule.source },
      xlaFlags: spec.compilation?.xlaFlags ?? [],
      tfXlaFlags: spec.compilation?.tfXlaFlags ?? [],
    },
  };
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
  const isKind = (INPUT_KINDS as readonly string[]).includes(run.inputData);
  if (!isKind && !/\.root$/.test(run.inputData)) {
    throw new MlprofError(
      `--input-data: expected one of ${INPUT_KINDS.join(", ")} or the path of a ROOT file, found '${run.inputData}'`,
    );
  }
  const cvmfs = requireCvmfs(env);
  const target = spec.engine === "tfaot" ? await tfaotTarget(req, env) : await graphTarget(req, env);
  const area = target.area;
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
      graphPath: target.graphPath,
      inputs: target.inputs,
      outputs: target.outputs,
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
      batchRules: target.batchRules,
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
    checkRows(req, csvFile, `cmsRun for ${where}`);
    writeMeasurement(req, {
      rowsCsv: readFileSync(csvFile, "utf8"),
      processMeta: readProcessMeta(metaFile),
      preparation: target.preparation,
      host,
      startedAt,
      graph: target.graphPath,
      graphSha256: await sha256File(target.graphFile),
      cmssw: {
        area,
        config: readFileSync(config, "utf8"),
        note: `measured by cmsRun of ${req.cmsswVersion} (${req.scramArch}) with the MLProf ${CMSSW_PLUGINS[spec.engine].plugin} plugin`,
      },
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    removeEmptyDirs(tmpParent, storeRoot(env));
  }
}

/** The cmssw executor: measurements in cmsRun of the requested release, where CMSSW exists (lxplus). */
export const cmsswExecutor: Executor = { name: "cmssw", measure: (req) => measureInCmssw(req) };
