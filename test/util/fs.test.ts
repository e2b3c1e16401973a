/** The one helper that makes the tool's folders (store, software, host-wide lock): ensureDir and makeDirs. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FolderError, ensureDir, makeDirs } from "../../src/util/fs.js";

const scratch = mkdtempSync(join(tmpdir(), "mlprof-fs-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("ensureDir creates a missing folder and the ones above it, and says it did; an existing one is kept", () => {
  const dir = join(scratch, "a", "b", "c");
  assert.equal(ensureDir(dir, "the store (MLP_STORE)"), true);
  assert.ok(statSync(dir).isDirectory());
  assert.equal(ensureDir(dir, "the store (MLP_STORE)"), false);
});

test("ensureDir under /proc: one FolderError naming the path, what it is for and /proc, at once (no loop)", () => {
  const started = Date.now();
  assert.throws(
    () => ensureDir("/proc/1/x/y", "the store (MLP_STORE)", "point MLP_STORE to a writable folder"),
    (err: unknown) =>
      err instanceof FolderError &&
      err.message ===
        "cannot use /proc/1/x/y as the store (MLP_STORE): /proc/1 is on /proc (a pseudo file system of the kernel), where no folders can be made" &&
      err.hint === "point MLP_STORE to a writable folder" &&
      err.code === undefined,
  );
  assert.ok(Date.now() - started < 1000);
});

test("ensureDir of a file, or below a file: the file named, no bare EEXIST or ENOTDIR", () => {
  const file = join(scratch, "plain-file");
  writeFileSync(file, "x");
  assert.throws(() => ensureDir(file, "the lock folder (MLPROF_LOCK_DIR)"), {
    message: `cannot use ${file} as the lock folder (MLPROF_LOCK_DIR): it is a file, not a folder`,
  });
  assert.throws(() => ensureDir(join(file, "sub", "dir"), "the software folder (MLP_SOFTWARE)"), {
    message: `cannot use ${join(file, "sub", "dir")} as the software folder (MLP_SOFTWARE): ${file} is a file, not a folder`,
  });
});

test("makeDirs: creates one level at a time, accepts a folder made at the same moment, refuses a file", () => {
  const dir = join(scratch, "m", "n");
  makeDirs(dir);
  makeDirs(dir);
  assert.ok(statSync(dir).isDirectory());
  mkdirSync(join(scratch, "m", "n", "o"));
  makeDirs(join(scratch, "m", "n", "o", "p"));
  const file = join(scratch, "m", "f");
  writeFileSync(file, "");
  assert.throws(() => makeDirs(file), { code: "EEXIST" });
  assert.throws(() => makeDirs("/proc/1/x/y"), { code: "ENOENT" });
});
