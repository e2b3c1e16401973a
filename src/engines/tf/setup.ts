import { lineSink, progressMode } from "../../util/progress.js";
import { ensureTfRunner } from "./runner.js";

/**
 * `mlprof setup tf`: creates the TensorFlow venv (first time only) and builds the native runner against
 * its C API (cached), printing progress and where both are.
 */
export async function setupTf(
  print: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const started = Date.now();
  const sink = lineSink(print, progressMode(env));
  const { tf, build } = await ensureTfRunner((message, live) => sink(`  ${message}`, live), env).finally(() =>
    sink.clear(),
  );
  print(`TensorFlow ${tf.version}: ${tf.venv.dir}`);
  print(`tf runner: ${build.binary} (${build.cached ? "cached" : `built in ${build.seconds.toFixed(1)} s`})`);
  print(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
