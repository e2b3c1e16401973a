/**
 * Which ONNX Runtime build is measured (--onnx-library), and where it comes from:
 * - pypi: the onnxruntime wheel of the same version (PyPI's standard CPU build, the closest to CMSSW's own),
 *   installed into a tool-managed venv on first use and measured by the native runner (runner.ts); for
 *   comparisons the wheel's libonnxruntime can also be loaded by onnxruntime-node (withLibrary);
 * - npm: the library the onnxruntime-node package ships, a GPU-capable build (CUDA/TensorRT entry points,
 *   WebGPU linked in from 1.23) that costs about 12–40 ns more per kernel invocation than the wheel's with
 *   the same commit and compiler: 7–15 % on models of many small kernels (a Loop LSTM), nothing measurable on
 *   fused operators (docs/onnx-runtime.md); measured through onnxruntime-node's binding (measure.ts).
 * The node binding links its library by name through $ORIGIN (RPATH before 1.17, RUNPATH after), so a
 * wheel-library flavour is a folder holding a copy of the package whose library names point at the wheel's file.
 */
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { ensureVenv, pipErrorLine, venvQuery, type Venv } from "../../pyenv/venv.js";
import { MlprofError } from "../../util/errors.js";
import { FolderError, writeJsonAtomic } from "../../util/fs.js";
import { withLock } from "../../util/lock.js";
import { packagesDir, type OnnxPackage } from "./packages.js";

import type { OnnxLibrary, OnnxLibraryKind } from "./library-kinds.js";
import type { ProgressSink } from "../../util/progress.js";

export { ONNX_LIBRARIES, type OnnxLibrary, type OnnxLibraryKind } from "./library-kinds.js";

/** The venv holding the onnxruntime wheel of a version (also the reference loop of bench-fidelity). */
export function onnxruntimeVenv(version: string): { name: string; packages: string[] } {
  return { name: `onnxruntime-${version}`, packages: [`onnxruntime==${version}`] };
}

/** The folder of the package's native files for this platform: bin/napi-v*\/linux/x64. */
function nativeDir(packageDir: string): string {
  const bin = join(packageDir, "bin");
  const napi = existsSync(bin) ? readdirSync(bin).filter((d) => d.startsWith("napi-v")) : [];
  for (const v of napi) {
    const dir = join(bin, v, process.platform, process.arch);
    if (existsSync(join(dir, "onnxruntime_binding.node"))) return dir;
  }
  throw new MlprofError(
    `${packageDir} has no onnxruntime_binding.node for ${process.platform}/${process.arch} under bin/napi-v*/`,
  );
}

/** The onnxruntime-node package folder (with package.json) of an OnnxPackage. */
function packageRoot(pkg: OnnxPackage): string {
  const require = createRequire(join(pkg.dir, "package.json"));
  return dirname(require.resolve("onnxruntime-node/package.json"));
}

/** The ONNX Runtime library file a package ships for this platform (real path). */
export function shippedLibrary(pkg: OnnxPackage): string {
  const dir = nativeDir(packageRoot(pkg));
  const lib = readdirSync(dir).find((f) => f.startsWith("libonnxruntime.so"));
  if (!lib) throw new MlprofError(`${dir} holds no libonnxruntime.so*`);
  return realpathSync(join(dir, lib));
}

const BUILD_INFO = Buffer.from("ORT Build Info: ");

/** Reads the "ORT Build Info: …" string out of a library file (null when it has none, as 1.14 does). */
function buildInfo(data: Buffer): string | null {
  const at = data.indexOf(BUILD_INFO);
  if (at < 0) return null;
  let end = at + BUILD_INFO.length;
  while (end < data.length && data[end]! >= 0x20 && data[end]! < 0x7f) end++;
  return data.subarray(at + BUILD_INFO.length, end).toString("latin1");
}

/** The identity of a library file: checksum, size, build string (cached by path, size and mtime). */
export function describeLibrary(
  kind: OnnxLibraryKind,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): OnnxLibrary {
  const path = realpathSync(file);
  const st = statSync(path);
  const cacheFile = join(packagesDir(env), "libraries.json");
  let cache: Record<string, OnnxLibrary & { mtimeMs: number }> = {};
  try {
    cache = JSON.parse(readFileSync(cacheFile, "utf8")) as typeof cache;
  } catch {
    // no cache yet
  }
  const hit = cache[path];
  if (hit && hit.bytes === st.size && hit.mtimeMs === st.mtimeMs) return { ...withoutMtime(hit), kind };
  const data = readFileSync(path);
  const lib: OnnxLibrary = {
    kind,
    path,
    sha256: createHash("sha256").update(data).digest("hex"),
    bytes: st.size,
    build: buildInfo(data),
  };
  cache[path] = { ...lib, mtimeMs: st.mtimeMs };
  writeJsonAtomic(cacheFile, cache);
  return lib;
}

function withoutMtime(entry: OnnxLibrary & { mtimeMs: number }): OnnxLibrary {
  return { kind: entry.kind, path: entry.path, sha256: entry.sha256, bytes: entry.bytes, build: entry.build };
}

// where the venv's onnxruntime lies, without importing it
const QUERY = `
import importlib.util, json
spec = importlib.util.find_spec("onnxruntime")
print(json.dumps(list(spec.submodule_search_locations)[0] if spec and spec.submodule_search_locations else None))
`;

/** The venv holding the onnxruntime wheel of a version, installed on first use (a clear error when pip cannot). */
export async function wheelVenv(
  version: string,
  progress: ProgressSink,
  env: NodeJS.ProcessEnv,
  forRelease?: string,
): Promise<Venv> {
  try {
    return await ensureVenv(onnxruntimeVenv(version), progress, env);
  } catch (err) {
    // a software folder that cannot be made is its own error, not pip's
    if (!(err instanceof MlprofError) || err instanceof FolderError) throw err;
    const pip = pipErrorLine(err.message);
    throw new MlprofError(
      `the ONNX Runtime library of the onnxruntime wheel ${version}${forRelease ? ` (for ${forRelease})` : ""} ` +
        `cannot be installed: pip finds no onnxruntime==${version} for this Python on its package index` +
        (pip ? ` (pip: ${pip})` : ""),
      "point PIP_INDEX_URL (or MLPROF_PIP_INDEX_URL) at an index that has it, set MLPROF_PYTHON to a Python it " +
        "has wheels for, or measure with the library onnxruntime-node ships: --onnx-library npm",
    );
  }
}

/** The wheel's library file of an onnxruntime version, installing the venv on first use. */
async function wheelLibrary(
  version: string,
  progress: ProgressSink,
  env: NodeJS.ProcessEnv,
  forRelease?: string,
): Promise<string> {
  const venv = await wheelVenv(version, progress, env, forRelease);
  const { python } = venv;
  const dir = await venvQuery<string | null>(venv, "onnxruntime", QUERY);
  const capi = dir ? join(dir, "capi") : "";
  const lib =
    capi && existsSync(capi) ? readdirSync(capi).find((f) => /^libonnxruntime\.so\.\d/.test(f)) : undefined;
  if (!lib)
    throw new MlprofError(
      `the onnxruntime wheel in ${python} has no capi/libonnxruntime.so.*`,
      `remove its venv`,
    );
  return realpathSync(join(capi, lib));
}

/**
 * The package to load for a library kind: `pkg` itself for npm; for pypi a folder
 * <software>/onnxruntime-node/<version>+pypi holding a copy of the package (JavaScript and binding, a few
 * hundred kB) whose library names link to the wheel's file, built once under a lock.
 */
export function withLibrary(
  pkg: OnnxPackage,
  kind: OnnxLibraryKind,
  progress: ProgressSink,
  env: NodeJS.ProcessEnv = process.env,
  forRelease?: string,
): Promise<{ pkg: OnnxPackage; library: OnnxLibrary }> {
  // once per process, package and kind (a failed attempt is tried again next time)
  const key = `${packagesDir(env)}\0${pkg.dir}\0${kind}`;
  let found = linked.get(key);
  if (!found) {
    found = link(pkg, kind, progress, env, forRelease).catch((err: unknown) => {
      linked.delete(key);
      throw err;
    });
    linked.set(key, found);
  }
  return found;
}

const linked = new Map<string, Promise<{ pkg: OnnxPackage; library: OnnxLibrary }>>();

async function link(
  pkg: OnnxPackage,
  kind: OnnxLibraryKind,
  progress: ProgressSink,
  env: NodeJS.ProcessEnv,
  forRelease?: string,
): Promise<{ pkg: OnnxPackage; library: OnnxLibrary }> {
  if (kind === "npm") return { pkg, library: describeLibrary("npm", shippedLibrary(pkg), env) };
  const wheel = await wheelLibrary(pkg.version, progress, env, forRelease);
  const dir = join(packagesDir(env), `${pkg.version}+pypi`);
  const marker = join(dir, "mlprof-package.json");
  const ready = () => {
    try {
      return (JSON.parse(readFileSync(marker, "utf8")) as { library?: string }).library === wheel;
    } catch {
      return false;
    }
  };
  if (!ready()) {
    await withLock(
      `${dir}.lock`,
      { what: `linking onnxruntime-node ${pkg.version} to ${wheel}`, progress },
      () => {
        if (ready()) return Promise.resolve();
        const tmp = `${dir}.tmp-${process.pid}`;
        rmSync(tmp, { recursive: true, force: true });
        try {
          linkedCopy(packageRoot(pkg), tmp, wheel);
          writeFileSync(
            marker.replace(dir, tmp),
            JSON.stringify({ version: pkg.version, library: wheel }) + "\n",
          );
          rmSync(dir, { recursive: true, force: true });
          renameSync(tmp, dir);
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
        return Promise.resolve();
      },
    );
  }
  return { pkg: { ...pkg, dir }, library: describeLibrary("pypi", wheel, env) };
}

/** Copies onnxruntime-node (this platform's binding only) into <to>/node_modules, its library names → `lib`. */
function linkedCopy(from: string, to: string, lib: string): void {
  const target = join(to, "node_modules", "onnxruntime-node");
  const native = nativeDir(from);
  const copyTree = (src: string, dst: string) => {
    mkdirSync(dst, { recursive: true });
    for (const e of readdirSync(src, { withFileTypes: true })) {
      const s = join(src, e.name);
      if (e.isDirectory()) {
        if (e.name === "bin" && src === from) continue; // the native files: this platform's only, below
        if (e.name === "node_modules") continue;
        copyTree(s, join(dst, e.name));
      } else {
        copyFileSync(s, join(dst, e.name));
      }
    }
  };
  copyTree(from, target);
  const nativeTarget = join(target, native.slice(from.length + 1));
  mkdirSync(nativeTarget, { recursive: true });
  for (const f of readdirSync(native)) {
    if (f.startsWith("libonnxruntime.so")) symlinkSync(lib, join(nativeTarget, f));
    else copyFileSync(join(native, f), join(nativeTarget, f));
  }
  // onnxruntime-common, the one runtime dependency, resolved where the package resolves it
  const lookup = createRequire(join(from, "package.json")).resolve.paths("onnxruntime-common") ?? [];
  const common = lookup
    .map((d) => join(d, "onnxruntime-common"))
    .find((d) => existsSync(join(d, "package.json")));
  if (!common) throw new MlprofError(`onnxruntime-common, the dependency of ${from}, is not installed`);
  symlinkSync(realpathSync(common), join(to, "node_modules", "onnxruntime-common"));
  writeFileSync(join(to, "package.json"), JSON.stringify({ name: "mlprof-onnxruntime-pypi", private: true }));
}
