/**
 * tfaot in CMSSW: an area per compiled model (cms_tfaot_compile), the TFAOTInference plugin rendered from
 * the compiled headers, and the batch rules handed to cmsRun.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CMSSW_PACKAGES_DIR,
  buildJobs,
  checkRelease,
  packagesHash,
  requireCvmfs,
  runBash,
} from "../../cmssw/area.js";
import type { CmsswTarget, CmsswTargetRequest } from "../../cmssw/target.js";
import { renderCmsswTemplate } from "../../cmssw/templates.js";
import type { ModelSpec } from "../../model/spec.js";
import { projectRevision, softwareDir } from "../../paths.js";
import { MlprofError } from "../../util/errors.js";
import { writeJsonAtomic } from "../../util/fs.js";
import { withLock } from "../../util/lock.js";
import { savedModelHash } from "./compile.js";
import { combineAotHeaders, readAotHeader, samePositions, type AotSignature } from "./header.js";
import { aotInputs, aotOutputs } from "./io.js";
import type { TfaotSection } from "./modelfile.js";
import { aotTemplateContext, renderTemplateFile } from "./render.js";
import { tfaotSettings, type TfaotFacts } from "./params.js";
import { formatBatchRule, parseBatchRules, resolveBatchRule } from "./rules.js";

/** The scram tool cms_tfaot_compile creates for a tfaot area's model, and the model's name in it. */
export const TFAOT_TOOL = "tfaot-model-mlprof";
export const TFAOT_MODEL_NAME = "mlprof_model";
/** The folder of $CMSSW_BASE the model is compiled into. */
export const TFAOT_AOT_DIR = "mlprof_aot";
/** The templates of the TFAOTInference plugin, rendered into the area from the compiled headers. */
export const TFAOT_PLUGIN_DIR = join(CMSSW_PACKAGES_DIR, "MLProf", "RuntimeMeasurement", "plugins", "aot");

/** The AOT config cms_tfaot_compile reads (JSON, which is YAML): the model file's SavedModel and compilation. */
export function tfaotConfig(spec: ModelSpec<TfaotSection>): Record<string, unknown> {
  const c = spec.section.compilation;
  return {
    model: {
      name: TFAOT_MODEL_NAME,
      version: spec.version ?? "1.0.0",
      saved_model: spec.section.savedModel,
      serving_key: spec.section.servingKey,
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
  return renderCmsswTemplate("tfaot_area.sh.njk", {
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
  return renderCmsswTemplate("tfaot_build.sh.njk", {
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
  spec: ModelSpec<TfaotSection>,
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TfaotArea> {
  checkRelease(cmsswVersion, scramArch);
  const cvmfs = requireCvmfs(env);
  const config = tfaotConfig(spec);
  const key = createHash("sha256")
    .update(savedModelHash(spec.section.savedModel))
    .update(JSON.stringify(config.compilation))
    .update(spec.section.servingKey)
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
        jobs: buildJobs(),
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
      savedModel: spec.section.savedModel,
      compileMs,
      preparedAt: new Date().toISOString(),
    });
    return { area, signature, compileMs, cached: false };
  });
}

/**
 * The area of a tfaot model, its inputs and outputs from the compiled headers, and the batch rules (checked
 * before anything is prepared): all rules go to cmsRun, as CMSSW registers them; the one in effect for the
 * measured batch size goes into the metadata (the plugin reports what CMSSW used, too).
 */
export async function tfaotTarget(
  req: CmsswTargetRequest<TfaotSection>,
  env: NodeJS.ProcessEnv,
): Promise<CmsswTarget<TfaotFacts>> {
  const { spec } = req;
  const rules = parseBatchRules(tfaotSettings(req.run).tfaotBatchRules);
  const rule = resolveBatchRule(req.batchSize, rules, spec.section.compilation.batchSizes);
  const prepared = await ensureTfaotArea(req.cmsswVersion, req.scramArch, spec, req.progress, env);
  return {
    area: prepared.area,
    graphPath: spec.section.savedModel,
    graphFile: join(spec.section.savedModel, "saved_model.pb"),
    inputs: aotInputs(spec, prepared.signature),
    outputs: aotOutputs(spec, prepared.signature),
    batchRules: rules.map(formatBatchRule),
    preparation: {
      compileMs: prepared.compileMs,
      cached: prepared.cached,
      compiledBatchSizes: prepared.signature.batchSizes,
      batchRule: { target: rule.target, chunks: rule.chunks, padding: rule.padding, source: rule.source },
      xlaFlags: spec.section.compilation.xlaFlags,
      tfXlaFlags: spec.section.compilation.tfXlaFlags,
    },
  };
}
