import { ensureTensorflow } from "../tf/install.js";
import { formatDuration, lineSink, progressMode } from "../../util/progress.js";
import { ensureXlaRuntime } from "./xla-runtime.js";

/**
 * `mlprof setup tfaot`: creates the TensorFlow venv (first time only) and builds the XLA AOT runtime of
 * its TensorFlow up front (once, minutes: progress with the elapsed time and an estimate); when both are
 * there it says so, where, and how long the runtime's build took.
 */
export async function setupTfaot(
  print: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const started = performance.now();
  const sink = lineSink(print, progressMode(env));
  const progress = (message: string, live?: boolean) => sink(`  ${message}`, live);
  try {
    const tf = await ensureTensorflow(progress, env);
    const runtime = await ensureXlaRuntime(tf, progress, env);
    sink.clear();
    print(`TensorFlow ${tf.version}: ${tf.venv.dir}`);
    const took =
      runtime.buildSeconds === undefined ? "" : ` (its build took ${formatDuration(runtime.buildSeconds)})`;
    print(
      runtime.cached
        ? `XLA AOT runtime: already built: ${runtime.library}${took}`
        : `XLA AOT runtime: built ${runtime.library} in ${formatDuration(runtime.seconds)}`,
    );
    print(`ready in ${formatDuration((performance.now() - started) / 1000)}`);
  } finally {
    sink.clear();
  }
}
