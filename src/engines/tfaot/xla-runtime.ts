import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { compilerCommand } from "../../native/build.js";
import { withLock } from "../../util/lock.js";
import { softwareDir } from "../../paths.js";
import type { TensorflowInstall } from "../tf/install.js";
import { MlprofError } from "../../util/errors.js";
import { shortHash } from "../../util/hash.js";
import type { ProgressFn } from "../engine.js";
import { runStreaming } from "../../util/process.js";
import { formatDuration, ProgressBar, progressMode } from "../../util/progress.js";

/** The static XLA AOT runtime library that every AOT-compiled model links. */
export interface XlaRuntime {
  library: string;
  cached: boolean;
  /** Wall time of the build (or of the cache lookup), seconds. */
  seconds: number;
  /** The cached library's build time as recorded in build.json beside it, seconds (if recorded). */
  buildSeconds?: number;
}

/** What build.json beside a built runtime records. */
interface BuildRecord {
  tensorflow: string;
  sources: string;
  buildSeconds: number;
  /** The parallel jobs of the build (records before they were kept: unknown). */
  jobs?: number;
  builtAt: string;
}

/**
 * The documented default of the build time when no build was recorded yet: about 4 minutes on 2 cores
 * (ninja, 2 cores, TensorFlow 2.21: 3:49), as core-seconds shared by the cores of this machine.
 */
export const DEFAULT_XLA_BUILD_CORE_SECONDS = 460;

/** An expected build time and where it comes from. */
export interface BuildEstimate {
  seconds: number;
  source: string;
}

function readRecord(dir: string): BuildRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(join(dir, "build.json"), "utf8")) as BuildRecord;
    return typeof r.buildSeconds === "number" && r.buildSeconds > 0 ? r : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The expected time of an XLA AOT runtime build with `jobs` parallel jobs: the most recent build recorded
 * beside the cached runtimes (any TensorFlow version; scaled by its jobs over these, unknown jobs counting
 * as 2), else DEFAULT_XLA_BUILD_CORE_SECONDS over `jobs`; never under a minute.
 */
export function estimateXlaBuild(cacheParent: string, jobs: number): BuildEstimate {
  const records = (existsSync(cacheParent) ? readdirSync(cacheParent) : [])
    .filter((name) => name.startsWith("xla-runtime-") && !name.includes(".tmp-") && !name.endsWith(".lock"))
    .map((name) => readRecord(join(cacheParent, name)))
    .filter((r): r is BuildRecord => r !== undefined)
    .sort((a, b) => b.builtAt.localeCompare(a.builtAt));
  const last = records[0];
  if (last) {
    const then = last.jobs ?? 2;
    return {
      seconds: Math.max(60, (last.buildSeconds * then) / jobs),
      source: `the last build took ${formatDuration(last.buildSeconds)} with ${then} jobs`,
    };
  }
  return {
    seconds: Math.max(60, DEFAULT_XLA_BUILD_CORE_SECONDS / jobs),
    source: "a default: about 4 min on 2 cores",
  };
}

/**
 * Follows the output of the build tool: ninja's "[3/22] Building CXX object ..." (steps k of n) or
 * make's "[ 13%] Building CXX object ..." (percent); other lines: undefined.
 */
export function buildStep(line: string): { done: number; total: number; unit: string } | undefined {
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line);
  if (ninja) return { done: Number(ninja[1]), total: Number(ninja[2]), unit: "steps" };
  const make = /^\[\s*(\d+)%\]/.exec(line);
  if (make) return { done: Number(make[1]), total: 100, unit: "%" };
  return undefined;
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
 * version (minutes: a progress bar of the build steps, before them one from the expected time, see
 * estimateXlaBuild) and cached; a lock keeps two processes from building
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
    buildSeconds: readRecord(dir)?.buildSeconds,
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
    const jobs = Math.max(1, availableParallelism());
    const estimate = estimateXlaBuild(dirname(dir), jobs);
    const bar = new ProgressBar(progress, {
      label: "XLA AOT runtime",
      unit: "steps",
      estimateSeconds: estimate.seconds,
      estimateSource: estimate.source,
      mode: progressMode(env),
    });
    try {
      const ninja = onPath("ninja", env);
      const buildEnv = { ...env, CXX: compilerCommand(env) };
      progress(
        `building the XLA AOT runtime of TensorFlow ${tf.version} (once; about ${formatDuration(estimate.seconds)}: ` +
          `${estimate.source})`,
      );
      bar.setNote("configuring");
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
      bar.setNote(undefined);
      const build = await runStreaming("cmake", ["--build", join(tmp, "build"), "--parallel", String(jobs)], {
        env: buildEnv,
        keep: 60,
        onLine: (line) => {
          const step = buildStep(line);
          if (!step) return;
          bar.setUnit(step.unit);
          bar.update(step.done, step.total);
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
      const record: BuildRecord = {
        tensorflow: tf.version,
        sources,
        buildSeconds,
        jobs,
        builtAt: new Date().toISOString(),
      };
      writeFileSync(join(tmp, "build.json"), JSON.stringify(record, null, 2) + "\n");
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      const result = done(false);
      bar.finish(`built ${library}`);
      return result;
    } finally {
      bar.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
