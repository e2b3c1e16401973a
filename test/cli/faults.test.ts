/**
 * A store that cannot take a write, for real (issue 13, item 3): a full disk (a small tmpfs, filled up) and
 * a read-only file system (a read-only mount; chmod would not stop root). Each is one error naming the
 * store and the real cause — never "Unexpected end of JSON input" or "ENOENT … mkdir" — and leaves the
 * store as it was. Mounting needs root: the tests say so and skip otherwise.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { describeUnless, firstSkip, needRoot } from "../helpers/skip.js";
import { useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
data.env.MLPROF_LOCK_DIR = join(data.dir, "locks");
const mounts: string[] = [];
after(() => {
  for (const m of mounts.reverse()) {
    try {
      execFileSync("umount", [m]);
      rmSync(m, { recursive: true, force: true });
    } catch {
      // already gone
    }
  }
  data.cleanup();
});

/** Mounts a tmpfs of `sizeKb` on a fresh folder (undefined when mounting is not allowed). */
function mountTmpfs(sizeKb: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), "mlprof-fault-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  mounts.push(dir);
  return dir;
}

/** Fills a file system until only about `leaveKb` are free (0: until a write fails with ENOSPC). */
function fill(dir: string, leaveKb: number): void {
  const fd = openSync(join(dir, "filler"), "w");
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) {
      const { bavail, bsize } = statfsSync(dir);
      if (bavail * bsize <= leaveKb * 1024) break;
      writeSync(fd, chunk);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

const skip = firstSkip(
  () => needRoot("mounting a tmpfs", "mount"),
  () => (mountTmpfs(64) === undefined ? "mounting a tmpfs failed (mount -t tmpfs)" : false),
);

/** The store's files with their contents. */
const contents = (store: string) =>
  Object.fromEntries(listFiles(store).map((f) => [f, readFileSync(join(store, f), "utf8")]));

const measure = (store: string, model: string, ...extra: string[]) =>
  mlprof(["run", "MeasureRuntime", "--version", "v1", "--model-file", model, "--repeats", "1", ...extra], {
    ...data.env,
    MLP_STORE: store,
  });

describeUnless(skip, "a full disk", () => {
  test("a store on a full file system: one error naming the store and 'no space left on device', nothing left", async () => {
    const mount = mountTmpfs(512)!;
    const store = join(mount, "store");
    mkdirSync(join(store, "Old"), { recursive: true });
    writeFileSync(join(store, "Old", "kept.csv"), "1,0.5\n");
    fill(mount, 0);
    const res = await measure(store, join(FIXTURES, "identity.yaml"), "--n-calls", "10");
    assert.equal(res.code, 1, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`^error: cannot write into the store ${store}: no space left on device \\(ENOSPC\\)`, "m"),
    );
    assert.match(res.stderr, /^hint: free space there, or point MLP_STORE/m);
    assert.doesNotMatch(res.stderr, /Unexpected end of JSON|ENOENT/);
    assert.deepEqual(contents(store), { "Old/kept.csv": "1,0.5\n" });
  });

  for (const [engine, model, calls] of [
    ["onnx (the Node.js measurement process)", join(FIXTURES, "identity.yaml"), "100000"],
    ["tf (the native runner)", join(FIXTURES, "tf", "model_tf1_learning_phase.yaml"), "20000"],
  ] as const) {
    test(`space for the job but not for the results, ${engine}: the real ENOSPC, not an empty error file`, async () => {
      const mount = mountTmpfs(1024)!;
      const store = join(mount, "store");
      mkdirSync(store);
      fill(mount, 64);
      const res = await measure(store, model, "--n-calls", calls);
      assert.equal(res.code, 1, res.stderr);
      assert.match(
        res.stderr,
        new RegExp(
          `^error: measurement of .* at batch size 1 failed: cannot write into the store ${store}: no space left on device \\(ENOSPC\\), the measurement process could not write its results \\(.*(ENOSPC|No space left on device)`,
          "m",
        ),
      );
      assert.doesNotMatch(res.stderr, /Unexpected end of JSON|not valid JSON/);
      assert.deepEqual(listFiles(store), [], "nothing partial: no temporaries, no CSV");
    });
  }
});

describeUnless(skip, "a read-only file system", () => {
  test("a read-only store: 'read-only file system' with the store's path, the store unchanged", async () => {
    const mount = mountTmpfs(256)!;
    const store = join(mount, "store");
    mkdirSync(join(store, "MeasureRuntime"), { recursive: true });
    writeFileSync(join(store, "MeasureRuntime", "old.csv"), "1,0.25\n");
    execFileSync("mount", ["-o", "remount,ro", mount]);
    const before = contents(store);
    const res = await measure(store, join(FIXTURES, "identity.yaml"), "--n-calls", "5");
    assert.equal(res.code, 1, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`^error: cannot write into the store ${store}: read-only file system \\(EROFS\\)$`, "m"),
    );
    assert.match(res.stderr, /^hint: make it writable, or point MLP_STORE/m);
    assert.deepEqual(contents(store), before);
  });

  test("a store to be created on a read-only file system: EROFS, not 'ENOENT … mkdir'", async () => {
    const mount = mountTmpfs(64)!;
    execFileSync("mount", ["-o", "remount,ro", mount]);
    const store = join(mount, "not", "yet", "store");
    const res = await measure(store, join(FIXTURES, "identity.yaml"), "--n-calls", "5");
    assert.equal(res.code, 1, res.stderr);
    assert.match(
      res.stderr,
      new RegExp(`^error: cannot write into the store ${store}: read-only file system \\(EROFS\\)`, "m"),
    );
    assert.doesNotMatch(res.stderr, /ENOENT|mkdir/);
    assert.deepEqual(listFiles(mount), []);
  });
});
