import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, join } from "node:path";
import { compilerCommand } from "../../native/build.js";
import { withLock } from "../../util/lock.js";
import { softwareDir } from "../../paths.js";
import type { TensorflowInstall } from "../tf/install.js";
import { MlprofError } from "../../util/errors.js";
import { shortHash } from "../../util/hash.js";
import type { ProgressFn } from "../engine.js";
import { runStreaming } from "../../util/process.js";

/** The static XLA AOT runtime library that every AOT-compiled model links. */
export interface XlaRuntime {
  library: string;
  cached: boolean;
  /** Wall time of the build (or of the cache lookup), seconds. */
  seconds: number;
}

/** The folder of the runtime sources a tensorflow wheel ships (a CMake project). */
export function xlaRuntimeSources(tf: TensorflowInstall): string {
  return join(tf.libDir, "xla_aot_runtime_src");
}

/** Where the runtime of a TensorFlow version is cached: <software>/tfaot/xla-runtime-<version>-<compiler hash>. */
export function xlaRuntimeDir(tf: TensorflowInstall, env: NodeJS.ProcessEnv = process.env): string {
  return join(softwareDir(env), "tfaot", `xla-runtime-${tf.version}-${shortHash(compilerCommand(env), 8)}`);
}

function onPath(tool: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(delimiter).some((d) => d !== "" && existsSync(join(d, tool)));
}

/**
 * Ensures libtf_xla_runtime.a, built with CMake from the wheel's xla_aot_runtime_src once per TensorFlow
 * version (minutes: progress reports every build step) and cached; a lock keeps two processes from building
 * it at once, and the library moves into place only when complete.
 */
export async function ensureXlaRuntime(
  tf: TensorflowInstall,
  progress: ProgressFn,
  env: NodeJS.ProcessEnv = process.env,
): Promise<XlaRuntime> {
  const started = performance.now();
  const dir = xlaRuntimeDir(tf, env);
  const library = join(dir, "libtf_xla_runtime.a");
  const done = (cached: boolean): XlaRuntime => ({
    library,
    cached,
    seconds: (performance.now() - started) / 1000,
  });
  if (existsSync(library)) return done(true);
  const sources = xlaRuntimeSources(tf);
  if (!existsSync(join(sources, "CMakeLists.txt"))) {
    throw new MlprofError(
      `the XLA AOT runtime sources are missing from TensorFlow ${tf.version}: ${sources}/CMakeLists.txt does not exist`,
      `tfaot needs a tensorflow-cpu wheel that ships xla_aot_runtime_src; remove ${tf.venv.dir} and run \`mlprof setup tf\``,
    );
  }
  return withLock(`${dir}.lock`, { what: "building the XLA AOT runtime", progress }, async () => {
    if (existsSync(library)) return done(true);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      const ninja = onPath("ninja", env);
      const buildEnv = { ...env, CXX: compilerCommand(env) };
      progress(`building the XLA AOT runtime of TensorFlow ${tf.version} (once; a few minutes)`);
      const configure = await runStreaming(
        "cmake",
        [
          "-S",
          sources,
          "-B",
          join(tmp, "build"),
          ...(ninja ? ["-G", "Ninja"] : []),
          "-DCMAKE_BUILD_TYPE=Release",
        ],
        { env: buildEnv },
      );
      if (configure.missing) {
        throw new MlprofError(
          "cmake was not found on PATH; tfaot builds the XLA AOT runtime with it (once)",
          "install cmake (Debian/Ubuntu: apt-get install cmake; RHEL/Alma: dnf install cmake)",
        );
      }
      if (configure.exitCode !== 0) {
        throw new MlprofError(
          `configuring the XLA AOT runtime failed (cmake):\n${configure.tail.join("\n")}`,
        );
      }
      const jobs = String(Math.max(1, availableParallelism()));
      let last = "";
      const build = await runStreaming("cmake", ["--build", join(tmp, "build"), "--parallel", jobs], {
        env: buildEnv,
        keep: 60,
        onLine: (line) => {
          // ninja: "[3/22] Building CXX object ..."; make: "[ 13%] Building CXX object ..."
          const m = /^\[\s*(\d+\/\d+|\d+%)\]/.exec(line);
          if (m && m[1] !== last) {
            last = m[1]!;
            progress(`XLA AOT runtime: step ${last}`);
          }
        },
      });
      const built = join(tmp, "build", "libtf_xla_runtime.a");
      if (build.exitCode !== 0 || !existsSync(built)) {
        const errors = build.tail.filter((l) => /error|Error|failed/.test(l));
        throw new MlprofError(
          `building the XLA AOT runtime failed (cmake --build ${join(tmp, "build")}):\n` +
            (errors.length > 0 ? errors : build.tail).slice(-25).join("\n"),
        );
      }
      renameSync(built, join(tmp, "libtf_xla_runtime.a"));
      rmSync(join(tmp, "build"), { recursive: true, force: true });
      const buildSeconds = (performance.now() - started) / 1000;
      const record = { tensorflow: tf.version, sources, buildSeconds, builtAt: new Date().toISOString() };
      writeFileSync(join(tmp, "build.json"), JSON.stringify(record, null, 2) + "\n");
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      const result = done(false);
      progress(`built the XLA AOT runtime in ${result.seconds.toFixed(0)} s: ${library}`);
      return result;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
