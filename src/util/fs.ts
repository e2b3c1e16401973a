import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  statSync,
  statfsSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { tmpdir } from "node:os";
import { MlprofError } from "./errors.js";
import { ownerGone, ownerTag } from "./procs.js";

/** Words for the errno codes with which writes fail for a reason of the file system. */
const CAUSES: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EROFS: "read-only file system",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENAMETOOLONG: "file name too long",
  ENOTDIR: "a part of the path is not a folder",
  EIO: "input/output error",
};

/** The errno code of an error (a Node.js system error, or a FileWriteError), if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/**
 * Why the folder `dir` (or, when it does not exist, the nearest existing folder above it) cannot be
 * written: its errno code (EROFS on a read-only file system, also for root), undefined when it can.
 */
export function unwritable(dir: string): string | undefined {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
    return undefined;
  } catch (err) {
    return errnoOf(err) ?? "EACCES";
  }
}

/** The errno codes that say a file system cannot take a write: full, over quota or read-only. */
export const FULL_OR_READ_ONLY = ["ENOSPC", "EDQUOT", "EROFS"];

/**
 * The real cause of a failed write at `path`, in words with its code ("no space left on device (ENOSPC)").
 * A recursive mkdir on a read-only file system reports ENOENT for the folder it could not create: the
 * nearest existing folder above `path` is asked for the real reason.
 */
export function writeCause(err: unknown, path: string): { code?: string; text: string } {
  let code = errnoOf(err);
  if (code === "ENOENT") code = unwritable(dirname(path)) ?? code;
  const words = code && CAUSES[code];
  if (words) return { code, text: `${words} (${code})` };
  const message = err instanceof Error ? err.message.replace(/^[A-Z0-9]+: /, "") : String(err);
  return { code, text: message };
}

/** A file or folder that could not be written, with the path and the errno code of the cause. */
export class FileWriteError extends MlprofError {
  constructor(
    readonly path: string,
    readonly code: string | undefined,
    /** The cause in words, with its code: "no space left on device (ENOSPC)". */
    readonly reason: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
    this.name = "FileWriteError";
  }
}

/** The FileWriteError of a failed write at `path` (an error that already is one is returned as is). */
export function writeError(path: string, err: unknown): FileWriteError {
  if (err instanceof FileWriteError) return err;
  const { code, text } = writeCause(err, path);
  return new FileWriteError(path, code, text);
}

/** Six random letters and digits. */
function random6(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, "0");
}

/**
 * Path of a temporary sibling of `path`, in the same directory so that a rename is atomic; its name holds
 * the writer's identity (ownerTag), so that one left by a killed process is recognised as stale.
 */
export function tmpSibling(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${ownerTag()}-${random6()}`);
}

/** Whether a name is that of a temporary sibling (tmpSibling). */
export function isTmpSibling(name: string): boolean {
  return name.startsWith(".") && name.includes(".tmp-");
}

/**
 * Writes a file atomically: the content goes to a temporary sibling which is then renamed. A failure
 * leaves nothing and is a FileWriteError naming the path and the real cause (a full disk, a read-only
 * file system).
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tmpSibling(path);
  for (let attempt = 0; ; attempt++) {
    try {
      makeDirs(dirname(path));
      writeFileSync(tmp, data);
      renameSync(tmp, path);
      return;
    } catch (err) {
      try {
        rmSync(tmp, { force: true });
      } catch {
        // nothing was written (a read-only file system)
      }
      const failure = writeError(path, err);
      // another process removed the (empty) folder in between: create it again
      if (failure.code === "ENOENT" && attempt < 3) continue;
      throw failure;
    }
  }
}

/** Writes a JSON document atomically, pretty-printed. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Creates a fresh temporary directory; `prefix` names its purpose, the owner's identity (ownerTag)
 * follows, so that removeStaleTemporaries recognises one left by a killed process.
 */
export function makeTempDir(prefix: string, parent = tmpdir()): string {
  for (let attempt = 0; ; attempt++) {
    try {
      makeDirs(parent);
      return mkdtempSync(join(parent, `${prefix}-${ownerTag()}-`));
    } catch (err) {
      const failure = writeError(join(parent, `${prefix}-*`), err);
      // another process removed the (empty) parent in between: create it again
      if (failure.code === "ENOENT" && attempt < 3) continue;
      throw failure;
    }
  }
}

/**
 * Removes the temporaries in `dir` (the names `isTemporary` accepts) that processes of this host left
 * when they were killed: only those whose owner (the identity in their name) has ended, never those of
 * live processes. Returns the names removed.
 */
export function removeStaleTemporaries(dir: string, isTemporary: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!isTemporary(name) || !ownerGone(name)) continue;
    try {
      rmSync(join(dir, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // a read-only store: the next writable run removes it
    }
  }
  return removed;
}

/** Removes `dir` and then its parents while they are empty, stopping at (and keeping) `stop`. */
export function removeEmptyDirs(dir: string, stop: string): void {
  let current = dir;
  while (current.startsWith(stop + sep) && existsSync(current)) {
    try {
      if (readdirSync(current).length > 0) return;
      rmdirSync(current);
    } catch {
      // another process may be using or removing the same folder at this moment, or the file system is
      // read-only: a clean-up never hides the error it cleans up after
      return;
    }
    current = dirname(current);
  }
}

/** File systems in which no folder can be created, by their statfs magic number. */
const PSEUDO_FILE_SYSTEMS: Record<number, string> = {
  0x9fa0: "/proc (a pseudo file system of the kernel)",
  0x62656572: "sysfs (a pseudo file system of the kernel)",
  0x63677270: "cgroup2 (a pseudo file system of the kernel)",
  0x1cd1: "devpts (a pseudo file system of the kernel)",
};

/** The nearest existing path at or above `path` (a file or a folder); "/" at worst. */
function nearestExisting(path: string): string {
  let at = resolve(path);
  for (;;) {
    try {
      statSync(at);
      return at;
    } catch {
      // absent, or a part of it is a file (ENOTDIR): go up
    }
    const up = dirname(at);
    if (up === at) return at;
    at = up;
  }
}

/**
 * Creates the folder `path` and the missing folders above it, one at a time (never Node's recursive
 * mkdir, which loops for ever on a file system that answers ENOENT, such as /proc). A folder created at
 * the same moment by another process is fine; any other failure is thrown as the system error it is
 * (with its code and path).
 */
export function makeDirs(path: string): void {
  const target = resolve(path);
  const base = nearestExisting(target);
  if (base === target) {
    if (!statSync(target).isDirectory()) {
      throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${target}'`), {
        code: "EEXIST",
        path: target,
      });
    }
    return;
  }
  const missing = target
    .slice(base.length)
    .split(sep)
    .filter((p) => p !== "");
  let at = base;
  for (const part of missing) {
    at = join(at, part);
    try {
      mkdirSync(at);
    } catch (err) {
      if (errnoOf(err) !== "EEXIST" || !isFolder(at)) throw err;
    }
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A folder that cannot be used: names the folder, what it is for, and (for a failed write) the errno code. */
export class FolderError extends MlprofError {
  constructor(
    readonly path: string,
    readonly what: string,
    /** The errno code when the cause is one of writing (EROFS, EACCES, ENOSPC …), else undefined. */
    readonly code: string | undefined,
    readonly reason: string,
    hint?: string,
  ) {
    super(`cannot use ${path} as ${what}: ${reason}`, hint);
    this.name = "FolderError";
  }
}

/**
 * Makes sure the folder `path` exists and can be written, creating it (and the folders above it) where it
 * is missing; returns whether it created it. Checked before anything is created: the nearest existing
 * path at or above it must be a folder (not a file), not on a pseudo file system (/proc, sysfs) and
 * writable. Every problem is one FolderError naming the path, `what` it is for (e.g. "the store
 * (MLP_STORE)") and the cause, with `hint`.
 */
export function ensureDir(path: string, what: string, hint?: string): boolean {
  const target = resolve(path);
  const fail = (reason: string, code?: string): never => {
    throw new FolderError(target, what, code, reason, hint);
  };
  const base = nearestExisting(target);
  const it = base === target ? "it" : base;
  if (!isFolder(base)) fail(`${it} is a file, not a folder`);
  let fsType: number | undefined;
  try {
    fsType = Number(statfsSync(base).type);
  } catch {
    fsType = undefined;
  }
  const pseudo = fsType === undefined ? undefined : PSEUDO_FILE_SYSTEMS[fsType];
  if (pseudo) fail(`${it} is on ${pseudo}, where no folders can be made`);
  const denied = unwritable(base);
  if (denied) fail(`${it} cannot be written: ${CAUSES[denied] ?? "refused"} (${denied})`, denied);
  if (base === target) return false;
  try {
    makeDirs(target);
  } catch (err) {
    const cause = writeCause(err, target);
    fail(cause.text, cause.code);
  }
  return true;
}
