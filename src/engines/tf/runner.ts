import { join } from "node:path";
import { buildNative, type NativeBuild, type NativeBuildSpec } from "../../native/build.js";
import { coreSources, PLUGINS_DIR, throughputSources } from "../../native/sources.js";
import { ensureTensorflow, TENSORFLOW_LIBRARIES, type TensorflowInstall } from "./install.js";
import type { ProgressSink } from "../../util/progress.js";

/** The build of the TensorFlow runner against a TensorFlow installation's C API. */
export function tfRunnerSpec(tf: TensorflowInstall): NativeBuildSpec {
  const core = coreSources();
  const streams = throughputSources();
  return {
    name: "tf_runner",
    sources: [join(PLUGINS_DIR, "runners/tf_runner.cc"), ...streams.sources, ...core.sources],
    headers: [...core.headers, ...streams.headers],
    includeDirs: [PLUGINS_DIR, tf.includeDir],
    ldflags: [`-L${tf.libDir}`, ...TENSORFLOW_LIBRARIES.map((lib) => `-l:${lib}`), `-Wl,-rpath,${tf.libDir}`],
    identity: `tensorflow ${tf.version} at ${tf.libDir}`,
  };
}

/** A ready TensorFlow runner and the installation it links. */
export interface TfRunner {
  tf: TensorflowInstall;
  build: NativeBuild;
}

/**
 * Ensures the TensorFlow venv (created on first use) and the native runner built against its C API
 * (cached; rebuilt when the sources, flags or the TensorFlow version change).
 */
export async function ensureTfRunner(
  progress: ProgressSink,
  env: NodeJS.ProcessEnv = process.env,
  version?: string,
  forRelease?: string,
): Promise<TfRunner> {
  const tf = await ensureTensorflow(progress, env, version, forRelease);
  const build = await buildNative(tfRunnerSpec(tf), { progress, env });
  return { tf, build };
}
