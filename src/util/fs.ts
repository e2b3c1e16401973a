import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, sep } from "node:path";
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
      mkdirSync(dirname(path), { recursive: true });
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
      mkdirSync(parent, { recursive: true });
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
