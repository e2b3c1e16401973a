/**
 * onnxruntime-node packages: the tool's own dependency, and other versions installed on first use into the
 * software cache (one folder per version) with npm and the user's own npm configuration, for measuring a
 * CMSSW release's ONNX Runtime (--engine-versions release).
 */
import { createRequire } from "node:module";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MLP_BASE, softwareDir } from "../../paths.js";
import { MlprofError } from "../../util/errors.js";
import { writeJsonAtomic } from "../../util/fs.js";
import { withLock } from "../../util/lock.js";
import { runStreaming } from "../../util/process.js";

/** An onnxruntime-node package: the folder whose node_modules holds it, its version, what it stands in for. */
export interface OnnxPackage {
  /** A folder with node_modules/onnxruntime-node (resolve from its package.json). */
  dir: string;
  version: string;
  /** The version asked for (a release's ONNX Runtime), when another one stands in for it. */
  requested?: string;
}

/** The onnxruntime-node of the tool's own dependencies (package-lock.json). */
export function bundledPackage(): OnnxPackage {
  const require = createRequire(join(MLP_BASE, "package.json"));
  const version = (require("onnxruntime-node/package.json") as { version: string }).version;
  return { dir: MLP_BASE, version };
}

/** The folder of the installed onnxruntime-node versions. */
export function packagesDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(softwareDir(env), "onnxruntime-node");
}

/** The environment of npm: the user's own, without what an enclosing npm/npx run puts there for its project. */
export function npmEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (/^npm_(package_|lifecycle_|command$|config_(local_)?prefix$|config_global_prefix$)/.test(k)) continue;
    out[k] = v;
  }
  return out;
}

const numeric = (v: string) => v.split(".").map(Number) as [number, number, number];

/**
 * The published version that stands in for `requested`: the version itself, else the nearest newer patch of
 * the same minor (the newest bug fixes of that line: 1.17.1 → 1.17.3), else the nearest older one
 * (1.14.1 → 1.14.0); undefined when the minor has no published release. Pre-releases (1.22.0-rev) are skipped.
 */
export function nearestPublished(requested: string, published: string[]): string | undefined {
  const releases = published.filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  if (releases.includes(requested)) return requested;
  const [major, minor, patch] = numeric(requested);
  const line = releases
    .map(numeric)
    .filter(([a, b]) => a === major && b === minor)
    .map(([, , c]) => c)
    .sort((x, y) => x - y);
  const newer = line.find((c) => c > patch);
  const older = [...line].reverse().find((c) => c < patch);
  const pick = newer ?? older;
  return pick === undefined ? undefined : `${major}.${minor}.${pick}`;
}

/** The versions of onnxruntime-node on npm (cached for a day in the software folder). */
export async function publishedVersions(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const cache = join(packagesDir(env), "published.json");
  try {
    const c = JSON.parse(readFileSync(cache, "utf8")) as { at: number; versions: string[] };
    if (Date.now() - c.at < 24 * 3600 * 1000 && Array.isArray(c.versions)) return c.versions;
  } catch {
    // no cache yet
  }
  const out: string[] = [];
  const res = await runStreaming("npm", ["view", "onnxruntime-node", "versions", "--json"], {
    env: npmEnv(env),
    onLine: (line, stream) => stream === "stdout" && out.push(line),
  });
  if (res.missing)
    throw new MlprofError("npm was not found on PATH; it installs the onnxruntime-node of a release");
  const text = out.join("\n");
  let versions: string[];
  try {
    versions = JSON.parse(text.slice(text.indexOf("["))) as string[];
  } catch {
    throw new MlprofError(
      `npm view onnxruntime-node versions failed (exit code ${res.exitCode}):\n${res.stderrTail.slice(-10).join("\n")}`,
      "check your npm configuration (registry, proxy): npm config list",
    );
  }
  writeJsonAtomic(cache, { at: Date.now(), versions });
  return versions;
}

/**
 * The onnxruntime-node package of an ONNX Runtime version: the tool's own when it is that version, else
 * installed on first use into <software>/onnxruntime-node/<version> (npm install --ignore-scripts: the CPU
 * binaries ship in the package, its install script would only fetch CUDA libraries), under a lock, moved into
 * place when complete. An unpublished version is replaced by its nearest published patch (recorded).
 */
export function ensureOnnxPackage(
  requested: string,
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<OnnxPackage> {
  // once per process and version (a failed attempt is tried again next time)
  const key = `${softwareDir(env)}\0${requested}`;
  let found = ensured.get(key);
  if (!found) {
    found = installPackage(requested, progress, env).catch((err: unknown) => {
      ensured.delete(key);
      throw err;
    });
    ensured.set(key, found);
  }
  return found;
}

const ensured = new Map<string, Promise<OnnxPackage>>();

async function installPackage(
  requested: string,
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv,
): Promise<OnnxPackage> {
  const own = bundledPackage();
  if (own.version === requested) return own;
  const installed = (version: string): OnnxPackage | undefined => {
    const dir = join(packagesDir(env), version);
    return existsSync(join(dir, "mlprof-package.json"))
      ? { dir, version, ...(version !== requested ? { requested } : {}) }
      : undefined;
  };
  const exact = installed(requested);
  if (exact) return exact;
  const version = nearestPublished(requested, await publishedVersions(env));
  if (!version) {
    throw new MlprofError(
      `onnxruntime-node publishes no ${requested.split(".").slice(0, 2).join(".")}.x release on npm, so ONNX Runtime ${requested} cannot be measured locally`,
      "measure it in CMSSW (--executor cmssw, or mlprof submit), or compare releases whose ONNX Runtime npm publishes",
    );
  }
  if (version !== requested)
    progress(`onnxruntime-node ${requested} is not published: using ${version}, the nearest patch`);
  const ready = installed(version);
  if (ready) return ready;
  const dir = join(packagesDir(env), version);
  return withLock(`${dir}.lock`, { what: `installing onnxruntime-node ${version}`, progress }, async () => {
    const again = installed(version);
    if (again) return again;
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      writeFileSync(
        join(tmp, "package.json"),
        JSON.stringify({ name: `mlprof-onnxruntime-${version}`, private: true }),
      );
      progress(`installing onnxruntime-node ${version} with npm into ${dir}`);
      const res = await runStreaming(
        "npm",
        [
          "install",
          `onnxruntime-node@${version}`,
          "--ignore-scripts",
          "--no-audit",
          "--no-fund",
          "--loglevel=error",
        ],
        { env: npmEnv(env), cwd: tmp, onLine: (line) => line.trim() && progress(`npm: ${line.trim()}`) },
      );
      if (res.exitCode !== 0) {
        throw new MlprofError(
          `npm could not install onnxruntime-node ${version} into ${dir} (exit code ${res.exitCode}):\n${res.tail.slice(-15).join("\n")}`,
          "check your npm configuration (registry, proxy): npm config list",
        );
      }
      writeFileSync(
        join(tmp, "mlprof-package.json"),
        JSON.stringify({ version, installedAt: new Date().toISOString() }) + "\n",
      );
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return { dir, version, ...(version !== requested ? { requested } : {}) };
  });
}
