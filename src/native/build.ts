import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, delimiter, join, relative } from "node:path";
import { MLP_BASE, ensureSoftwareDir } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { withLock } from "../util/lock.js";

/** What to compile into one native executable. */
export interface NativeBuildSpec {
  /** Name of the executable (and of its cache folder). */
  name: string;
  /** C++ sources compiled and linked. */
  sources: string[];
  /** Further files the sources include: not compiled, but part of the cache key. */
  headers: string[];
  includeDirs: string[];
  /** Compiler flags; default: -std=c++17 -O2 -Wall -Wextra. */
  cxxflags?: string[];
  /** Linker flags after the objects (libraries, rpaths). */
  ldflags?: string[];
  /** Facts the binary depends on besides its files and flags (e.g. "tensorflow 2.21.0"): part of the key. */
  identity?: string;
}

/** A built (or cached) executable. */
export interface NativeBuild {
  binary: string;
  key: string;
  cached: boolean;
  /** Wall time of the build (or of the cache lookup) in seconds. */
  seconds: number;
  /** Compiler warnings of a fresh build ("" when clean or cached). */
  warnings: string;
}

/** Options of buildNative. */
export interface BuildOptions {
  progress?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Where built executables are cached; default <software>/native. */
  cacheDir?: string;
}

export const DEFAULT_CXXFLAGS = ["-std=c++17", "-O2", "-Wall", "-Wextra"];

/** The C++ compiler: $CXX, else g++. */
export function compilerCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.CXX || "g++";
}

/**
 * The cache key of a build: a hash of the compiler command, the flags, the identity and the content of
 * every source and header (with its path relative to the installation).
 */
export function buildKey(spec: NativeBuildSpec, env: NodeJS.ProcessEnv = process.env): string {
  const hash = createHash("sha256");
  const add = (label: string, value: string | Buffer) => {
    hash.update(`${label}\0`);
    hash.update(value);
    hash.update("\0");
  };
  add("name", spec.name);
  add("compiler", compilerCommand(env));
  add("cxxflags", JSON.stringify(spec.cxxflags ?? DEFAULT_CXXFLAGS));
  add("ldflags", JSON.stringify(spec.ldflags ?? []));
  add("includes", JSON.stringify(spec.includeDirs));
  add("identity", spec.identity ?? "");
  for (const file of [...spec.sources, ...spec.headers]) {
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch {
      throw new MlprofError(`cannot build ${spec.name}: its source ${file} is missing`);
    }
    add(`file ${relative(MLP_BASE, file)}`, content);
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * A faster linker than GNU ld where one is installed (mold, lld or gold, searched on PATH): linking against
 * the 800 MB libtensorflow_cc.so.2 takes ~6 s with GNU ld and ~1 s with gold. Not part of the cache key:
 * the linker does not change what the executable does.
 */
export function fastLinkerFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = (env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const ld of ["mold", "lld", "gold"]) {
    if (dirs.some((d) => existsSync(join(d, `ld.${ld}`)))) return [`-fuse-ld=${ld}`];
  }
  return [];
}

async function compile(
  cxx: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<{ output: string }> {
  const { execa } = await import("execa");
  const result = await execa(cxx, args, { env, extendEnv: false, reject: false, all: true, stdin: "ignore" });
  if ((result as { code?: string }).code === "ENOENT") {
    throw new MlprofError(
      `the C++ compiler '${cxx}' was not found (PATH=${env.PATH ?? ""}); it is needed to build ${what}`,
      "install g++ (Debian/Ubuntu: apt-get install g++; RHEL/Alma: dnf install gcc-c++), or point CXX to a C++17 compiler",
    );
  }
  const output = String(result.all ?? "").trim();
  if (result.exitCode !== 0) {
    const lines = output.split("\n");
    const shown =
      lines.slice(0, 40).join("\n") + (lines.length > 40 ? `\n... (${lines.length - 40} more lines)` : "");
    throw new MlprofError(`building ${what} failed (${cxx} ${args.join(" ")}):\n${shown}`);
  }
  return { output };
}

/**
 * Compiles and links a native executable once and caches it under <cacheDir>/<name>-<key>/<name>; a
 * later call with the same sources, flags and identity returns the cached binary without running the
 * compiler, and any change gives a new key and a new build. The sources compile in parallel; a lock keeps
 * two processes from building the same key at once; the result moves into place only when complete.
 */
export async function buildNative(spec: NativeBuildSpec, opts: BuildOptions = {}): Promise<NativeBuild> {
  const env = opts.env ?? process.env;
  const progress = opts.progress ?? (() => undefined);
  const started = performance.now();
  const key = buildKey(spec, env);
  const dir = join(opts.cacheDir ?? join(ensureSoftwareDir(env), "native"), `${spec.name}-${key}`);
  const binary = join(dir, spec.name);
  const done = (cached: boolean, warnings = ""): NativeBuild => ({
    binary,
    key,
    cached,
    seconds: (performance.now() - started) / 1000,
    warnings,
  });
  if (existsSync(binary)) return done(true);

  return withLock(`${dir}.lock`, { what: `building ${spec.name}`, progress }, async () => {
    if (existsSync(binary)) return done(true);
    const cxx = compilerCommand(env);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      progress(`building ${spec.name} with ${cxx} (${spec.sources.length} sources)`);
      const cxxflags = spec.cxxflags ?? DEFAULT_CXXFLAGS;
      const includes = spec.includeDirs.map((d) => `-I${d}`);
      const objects = spec.sources.map((src, i) =>
        join(tmp, `${i}_${basename(src).replace(/\.[^.]+$/, "")}.o`),
      );
      const outputs = await Promise.all(
        spec.sources.map(async (src, i) => {
          const t0 = Date.now();
          const res = await compile(
            cxx,
            [...cxxflags, ...includes, "-c", src, "-o", objects[i]!],
            env,
            spec.name,
          );
          progress(`compiled ${basename(src)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
          return res.output;
        }),
      );
      const linkArgs = [
        ...cxxflags,
        ...fastLinkerFlags(env),
        ...objects,
        "-o",
        join(tmp, spec.name),
        ...(spec.ldflags ?? []),
      ];
      const linked = await compile(cxx, linkArgs, env, spec.name);
      outputs.push(linked.output);
      const warnings = outputs.filter((o) => o !== "").join("\n");
      writeFileSync(
        join(tmp, "build.json"),
        JSON.stringify({ spec, key, builtAt: new Date().toISOString(), warnings }, null, 2),
      );
      for (const o of objects) rmSync(o, { force: true });
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      progress(`built ${spec.name} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return done(false, warnings);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
