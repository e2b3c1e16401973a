import {
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

/** Path of a temporary sibling of `path`, in the same directory so that a rename is atomic. */
export function tmpSibling(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
  );
}

/** Writes a file atomically: the content goes to a temporary sibling which is then renamed. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tmpSibling(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Writes a JSON document atomically, pretty-printed. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/** Creates a fresh temporary directory; `prefix` names its purpose. */
export function makeTempDir(prefix: string, parent = tmpdir()): string {
  for (let attempt = 0; ; attempt++) {
    mkdirSync(parent, { recursive: true });
    try {
      return mkdtempSync(join(parent, `${prefix}-`));
    } catch (err) {
      // another process removed the (empty) parent in between: create it again
      if ((err as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 3) throw err;
    }
  }
}

/** Removes `dir` and then its parents while they are empty, stopping at (and keeping) `stop`. */
export function removeEmptyDirs(dir: string, stop: string): void {
  let current = dir;
  while (current.startsWith(stop + sep) && existsSync(current)) {
    try {
      if (readdirSync(current).length > 0) return;
      rmdirSync(current);
    } catch (err) {
      // another process may be using or removing the same folder at this moment
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTEMPTY" || code === "EEXIST") return;
      throw err;
    }
    current = dirname(current);
  }
}
