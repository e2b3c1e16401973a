import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildNative, DEFAULT_CXXFLAGS, type NativeBuild, type NativeBuildSpec } from "../../native/build.js";
import { coreSources, PLUGINS_DIR, throughputSources } from "../../native/sources.js";
import type { TensorflowInstall } from "../tf/install.js";
import { aotTemplateContext, renderTemplateFile } from "./render.js";
import type { ProgressFn } from "../engine.js";
import type { CompiledModel } from "./compile.js";
import type { XlaRuntime } from "./xla-runtime.js";

/** The template of the local tfaot runner. */
export const RUNNER_TEMPLATE = join(PLUGINS_DIR, "runners", "tfaot_runner.cc.njk");

/**
 * Renders the runner source of a compiled model into its cache folder (tfaot_runner.cc; written only when
 * it changed) and returns its path.
 */
export function writeRunnerSource(compiled: CompiledModel, tf: TensorflowInstall): string {
  const path = join(compiled.dir, "tfaot_runner.cc");
  const source = renderTemplateFile(RUNNER_TEMPLATE, {
    ...aotTemplateContext(compiled.signature),
    tensorflow_version: tf.version,
  });
  if (!existsSync(path) || readFileSync(path, "utf8") !== source) writeFileSync(path, source);
  return path;
}

/**
 * The build of a model's runner: the rendered source and the measurement core, linked with every object
 * file of the compilation, the XLA AOT runtime and libtensorflow_framework.so.2 (the headers' absl symbols;
 * rpath set). TensorFlow's and the generated headers are system headers: -Wall -Wextra speak about MLProf's
 * code only.
 */
export function tfaotRunnerSpec(
  tf: TensorflowInstall,
  runtime: XlaRuntime,
  compiled: CompiledModel,
  source: string,
): NativeBuildSpec {
  const core = coreSources();
  const streams = throughputSources();
  return {
    name: "tfaot_runner",
    sources: [source, ...streams.sources, ...core.sources],
    headers: [...core.headers, ...streams.headers, ...compiled.signature.headers.map((h) => h.path)],
    includeDirs: [PLUGINS_DIR],
    cxxflags: [
      ...DEFAULT_CXXFLAGS,
      "-D_GLIBCXX_USE_CXX11_ABI=1",
      "-isystem",
      tf.includeDir,
      "-isystem",
      compiled.dir,
    ],
    ldflags: [
      ...compiled.objects,
      runtime.library,
      `-L${tf.libDir}`,
      "-l:libtensorflow_framework.so.2",
      `-Wl,-rpath,${tf.libDir}`,
      "-lpthread",
    ],
    identity: `tfaot model ${compiled.key}, tensorflow ${tf.version}, runtime ${runtime.library}`,
  };
}

/** Renders and builds (or finds cached) the runner of a compiled model. */
export async function ensureTfaotRunner(
  tf: TensorflowInstall,
  runtime: XlaRuntime,
  compiled: CompiledModel,
  progress: ProgressFn,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NativeBuild> {
  const source = writeRunnerSource(compiled, tf);
  return buildNative(tfaotRunnerSpec(tf, runtime, compiled, source), { progress, env });
}
