/**
 * The lock under contention: processes taking and releasing one lock in a tight loop never hold it at
 * the same time and never fail on each other's release (a released lock folder is never empty, so no
 * rename takes it over while it is being removed), and a waiter never mistakes a lock released in between
 * for one without owner (whose removal brought an old lock back and left every process waiting for it).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const dir = mkdtempSync(join(tmpdir(), "mlprof-lock-race-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const worker = `
import { appendFileSync } from "node:fs";
import { acquireLock } from ${JSON.stringify(new URL("../../src/util/lock.ts", import.meta.url).href)};
const [lockDir, log, rounds] = process.argv.slice(-3);
for (let i = 0; i < Number(rounds); i++) {
  const release = await acquireLock(lockDir, { what: "race", pollMs: 1 });
  appendFileSync(log, "+" + process.pid + "\\n");
  appendFileSync(log, "-" + process.pid + "\\n");
  release();
}
`;

test(
  "six processes, 150 rounds each: mutual exclusion and no failed release",
  { timeout: 120_000 },
  async () => {
    const lockDir = join(dir, "x.lock");
    const log = join(dir, "log");
    const runs = Array.from(
      { length: 6 },
      () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, [
            "--import",
            "tsx",
            "--input-type=module",
            "-e",
            worker,
            "--",
            lockDir,
            log,
            "150",
          ]);
          let stderr = "";
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.on("close", (code) => resolve({ code, stderr }));
        }),
    );
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    assert.equal(lines.length, 6 * 150 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      assert.equal(lines[i]![0], "+", `line ${i + 1}: a holder enters before the previous one left`);
      assert.equal(lines[i + 1], `-${lines[i]!.slice(1)}`, `line ${i + 2}: another process inside the lock`);
    }
  },
);
