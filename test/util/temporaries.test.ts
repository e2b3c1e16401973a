/**
 * Temporaries and locks of dead processes (issue 13, items 2 and 5): their names carry the owner's host,
 * pid and start time, so that those of killed processes are removed at the next run — and those of live
 * processes, also of one whose pid was reused, are not mistaken for them.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { makeTempDir, removeStaleTemporaries, tmpSibling, writeFileAtomic } from "../../src/util/fs.js";
import { acquireLock, LockBusyError } from "../../src/util/lock.js";
import { ownerGone, ownerTag, processAlive, processStartTime } from "../../src/util/procs.js";

const work = mkdtempSync(join(tmpdir(), "mlprof-temporaries-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The pid of a process that has ended. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(child.stdout.toString());
}

test("a temporary's name says who made it; one of an ended process, or of a reused pid, is gone", () => {
  const tag = ownerTag();
  const [host, pid, start] = tag.split("-");
  assert.equal(Number(pid), process.pid);
  assert.equal(start, processStartTime(process.pid));
  assert.match(host!, /^[0-9a-f]{6}$/);
  assert.equal(ownerGone(`measure-${tag}-abc123`), false, "this process is alive");
  assert.equal(ownerGone(`measure-${host}-${deadPid()}-${start}-abc123`), true, "an ended process");
  // this pid, but another start time: the pid was reused by this process, the owner has ended
  assert.equal(ownerGone(`measure-${host}-${process.pid}-1-abc123`), true, "a reused pid");
  const otherHost = host === "ffffff" ? "eeeeee" : "ffffff";
  assert.equal(ownerGone(`measure-${otherHost}-${deadPid()}-1-abc123`), false, "another host's");
  assert.equal(ownerGone("measure-abc123"), false, "no owner in the name (an older version's)");
  assert.equal(processAlive(process.pid, start), true);
  assert.equal(processAlive(process.pid, "1"), false);
});

test("stale temporaries are removed, those of live processes kept", () => {
  const dir = join(work, "store", ".tmp");
  const live = makeTempDir("measure", dir);
  const [host, , start] = ownerTag().split("-");
  const dead = join(dir, `measure-${host}-${deadPid()}-${start}-zz9zz9`);
  mkdirSync(dead);
  writeFileSync(join(dead, "runtime.csv"), "1,0.5\n");
  const legacy = join(dir, "measure-Ab12Cd");
  mkdirSync(legacy);
  assert.deepEqual(
    removeStaleTemporaries(dir, () => true),
    [basename(dead)],
  );
  assert.ok(existsSync(live) && existsSync(legacy) && !existsSync(dead));

  // a temporary sibling of an output left by a killed writer
  const out = join(work, "store", "MeasureRuntime", "runtime_bs_1.csv");
  writeFileAtomic(out, "1,0.5\n");
  const killed = join(
    work,
    "store",
    "MeasureRuntime",
    `.runtime_bs_1.csv.tmp-${host}-${deadPid()}-${start}-q1w2e3`,
  );
  writeFileSync(killed, "1,0.");
  const mine = tmpSibling(out);
  writeFileSync(mine, "1,0.");
  removeStaleTemporaries(join(work, "store", "MeasureRuntime"), (n) => n.startsWith("."));
  assert.deepEqual(
    readdirSync(join(work, "store", "MeasureRuntime")).sort(),
    [basename(mine), "runtime_bs_1.csv"].sort(),
  );
});

test("a lock of a dead process (or of a reused pid) is taken over; a live holder is waited for or refused", async () => {
  const lock = join(work, "locks", "x.lock");
  mkdirSync(lock, { recursive: true });
  const stale = {
    pid: process.pid,
    host: hostname(),
    since: "2020-01-01T00:00:00Z",
    what: "an old run",
    start: "1",
  };
  writeFileSync(join(lock, "owner.json"), JSON.stringify(stale));
  const release = await acquireLock(lock, { what: "this test", wait: false });
  await assert.rejects(
    acquireLock(lock, { what: "a second taker", wait: false }),
    (err: Error) =>
      err instanceof LockBusyError && /this test is in progress: process \d+ on /.test(err.message),
  );
  const controller = new AbortController();
  const messages: string[] = [];
  const waiting = acquireLock(lock, {
    what: "a waiter",
    signal: controller.signal,
    progress: (m) => messages.push(m),
    pollMs: 20,
  });
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(waiting, /interrupted while waiting for the lock .*x\.lock held by process \d+/);
  assert.match(messages.join("\n"), /waiting for process \d+ on .* \(this test, since /);
  release();
  assert.ok(!existsSync(lock));
});
