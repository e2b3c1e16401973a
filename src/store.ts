import { accessSync, constants, rmdirSync, statfsSync } from "node:fs";
import { join, relative, isAbsolute } from "node:path";
import { storeRoot, storeWhat } from "./paths.js";
import { MlprofError } from "./util/errors.js";
import {
  FULL_OR_READ_ONLY,
  FileWriteError,
  FolderError,
  ensureDir,
  errnoOf,
  removeStaleTemporaries,
  unwritable,
  writeCause,
} from "./util/fs.js";
import { shortHash } from "./util/hash.js";
import { isLockStep, removeStaleLocks } from "./util/lock.js";
import { nameProblem, shownValue } from "./util/names.js";

/** Longest path component written as is; longer ones are shortened with a hash. */
const MAX_PART = 180;

/**
 * A path component of the store: checked as every name is (util/names.ts: no '/', no '.' or '..', no
 * leading '.', no control characters), so that no path is built of an unchecked part, and shortened
 * with a hash, keeping it unique, when it is too long for a file system.
 */
export function safePart(part: string): string {
  const short = part.length <= MAX_PART ? part : `${part.slice(0, MAX_PART - 12)}__${shortHash(part, 10)}`;
  const problem = nameProblem(short, MAX_PART);
  if (problem) {
    throw new MlprofError(`cannot make a folder of the store from ${shownValue(part)}: it has ${problem}`);
  }
  return short;
}

/** The CMSSW component of output paths: <release>__<arch> (lists joined with '_'). */
export function cmsswPart(versions: string[], archs: string[]): string {
  return `${versions.join("_")}__${archs.join("_")}`;
}

/**
 * Output directory of a task: <store>/<Task>/<cmssw>__<arch>/<model identifier>__<run parameters>/<version>/,
 * the spec's layout.
 */
export function taskDir(family: string, cmssw: string, modelAndRun: string, version: string): string {
  return join(storeRoot(), safePart(family), safePart(cmssw), safePart(modelAndRun), safePart(version));
}

/** The folder of the store's temporaries (measurement processes write their results there first). */
export function storeTmpDir(): string {
  return join(storeRoot(), ".tmp");
}

/** The folder of the locks of the store's outputs. */
function locksDir(): string {
  return join(storeRoot(), ".locks");
}

/** The lock folder of an output of the store (one per task: its main output). */
export function outputLockDir(family: string, output: string): string {
  return join(locksDir(), `${family}-${shortHash(output, 16)}.lock`);
}

/** Whether a path lies inside the store. */
export function inStore(path: string): boolean {
  const rel = relative(storeRoot(), path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** What to do when the store cannot be written: free space, or make it writable. */
export function storeHint(code: string | undefined): string {
  return code === "ENOSPC" || code === "EDQUOT"
    ? "free space there, or point MLP_STORE (or MLP_DATA) to a folder with space; nothing was written"
    : "make it writable, or point MLP_STORE (or MLP_DATA) to a writable folder; nothing was written";
}

/** The error of a store that cannot be written, naming the store, the cause and the path written. */
function storeWriteError(cause: { code?: string; text: string }, path?: string): MlprofError {
  const root = storeRoot();
  const where = path && path !== root ? ` (writing ${path})` : "";
  return new MlprofError(`cannot write into the store ${root}: ${cause.text}${where}`, storeHint(cause.code));
}

/**
 * Makes the store ready for a run that writes into it: the store folder exists and is writable (a
 * read-only file system or a full disk is one error naming the store and the cause), and the
 * temporaries and locks that killed processes of this host left are removed (never those of live
 * processes).
 */
export function prepareStore(): void {
  const root = storeRoot();
  try {
    ensureDir(root, storeWhat(), "point MLP_STORE (or MLP_DATA) to a writable folder; nothing was written");
    accessSync(root, constants.W_OK);
  } catch (err) {
    // a file or a pseudo file system (/proc) in its place: the folder's own error, naming the variable
    if (err instanceof FolderError && err.code === undefined) throw err;
    throw storeWriteError(writeCause(err, join(root, "x")));
  }
  removeStaleTemporaries(storeTmpDir(), () => true);
  removeStaleTemporaries(locksDir(), isLockStep);
  removeStaleLocks(locksDir());
  tidyStore();
}

/** Removes the store's folders of temporaries and locks when they are empty (after a run). */
export function tidyStore(): void {
  for (const dir of [storeTmpDir(), locksDir()]) {
    try {
      // rmdir removes an empty folder only: one another process has just used stays
      rmdirSync(dir);
    } catch {
      // absent, or in use
    }
  }
}

/** Whether the file system of the store has (practically) no space left. */
export function storeIsFull(): boolean {
  try {
    const s = statfsSync(storeRoot());
    return s.bavail * s.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/**
 * The store error of a failed write, when the failure is the store's: a FileWriteError of a path inside
 * the store, or a full disk, an exceeded quota or a read-only file system of the store's folder. Returns
 * undefined for other errors (a full disk elsewhere, a missing input), which are reported as they are.
 */
export function storeFailure(err: unknown): MlprofError | undefined {
  if (err instanceof FileWriteError) {
    return inStore(err.path) ? storeWriteError({ code: err.code, text: err.reason }, err.path) : undefined;
  }
  const code = errnoOf(err);
  if (!code || !FULL_OR_READ_ONLY.includes(code)) return undefined;
  const path = (err as { path?: unknown }).path;
  if (typeof path === "string") {
    return inStore(path) ? storeWriteError(writeCause(err, path), path) : undefined;
  }
  if (code === "EROFS" ? unwritable(storeRoot()) === undefined : !storeIsFull()) return undefined;
  return storeWriteError(writeCause(err, storeRoot()));
}
