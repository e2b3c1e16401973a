/**
 * Measurements at the same time, with real concurrent runs (issue 13, items 2 and 5): the same output is
 * made once (the second run waits, then finds it complete), two different measurements never time under
 * each other's load (one host-wide lock of timed work; --no-wait refuses instead of waiting), and the
 * temporaries and locks of a SIGKILLed run are removed at the next run while those of a live run survive.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, test } from "node:test";
import { FIXTURES, REPO, listFiles, type CliResult, tempData } from "../helpers/cli.js";
import { useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
// a lock of timed work of this test's own: measurements of other test files do not take part
data.env.MLPROF_LOCK_DIR = join(data.dir, "locks");
after(() => data.cleanup());

const identity = join(FIXTURES, "identity.yaml");
const args = (version: string, ...extra: string[]) => [
  "run",
  "MeasureRuntime",
  "--version",
  version,
  "--model-file",
  identity,
  "--n-calls",
  "5",
  ...extra,
];

/** A started `mlprof`: its process and a promise of its result. */
interface Running {
  child: ChildProcess;
  done: Promise<CliResult>;
  output: () => string;
}

/** Starts `mlprof` (in a process group of its own with `detached`, so that a SIGKILL reaches its children). */
function start(argv: string[], detached = false): Running {
  const child = spawn(process.execPath, [join(REPO, "bin", "mlprof.js"), ...argv], {
    env: data.env,
    cwd: REPO,
    detached,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliResult>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, output: () => stdout + stderr };
}

/** Waits until `ready` holds (polling), failing after `ms`. */
async function until(ready: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The store's files with a hash of each content. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of listFiles(data.store)) {
    out[f] = createHash("sha256")
      .update(readFileSync(join(data.store, f)))
      .digest("hex");
  }
  return out;
}

const measuring = (r: Running) => () =>
  /› batch size 1: \d+\/\d+ calls|MeasureRepeat .*repeat 1 of/.test(r.output());
const tmpEntries = () => (existsSync(join(data.store, ".tmp")) ? readdirSync(join(data.store, ".tmp")) : []);

test("two identical measurements at the same time: the second waits for the first and does not measure again", async () => {
  const a = start(args("same", "--min-duration", "1.5", "--repeats", "2"));
  await until(measuring(a), "the first run to start measuring");
  const b = start(args("same", "--min-duration", "1.5", "--repeats", "2"));
  const first = await a.done;
  assert.equal(first.code, 0, first.stderr);
  const afterFirst = snapshot();
  const second = await b.done;
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`waiting for process ${a.child.pid} on .*\\(MeasureRepeat `));
  assert.match(second.stdout, /completed by another process meanwhile/);
  assert.doesNotMatch(second.stdout, /› batch size 1\b.*\d+ calls/, "the second run measured nothing");
  assert.deepEqual(snapshot(), afterFirst, "the first run's result is not overwritten");
  const files = Object.keys(afterFirst).filter((f) => f.includes("/same/"));
  assert.equal(files.filter((f) => f.startsWith("MeasureRepeat/") && f.endsWith(".csv")).length, 2);
  assert.equal(files.filter((f) => f.startsWith("MeasureRuntime/")).length, 2);
});

test("two different measurements never overlap: the second waits for the host's timed work, or refuses with --no-wait", async () => {
  const a = start(args("long", "--min-duration", "2", "--repeats", "1"));
  await until(
    () => /› batch size 1 .*\(5\/5 calls\)|waiting/.test(a.output()) || tmpEntries().length > 0,
    "the long run",
  );
  await sleep(300);
  const refused = start(args("refused", "--repeats", "1", "--no-wait"));
  const b = start(args("short", "--repeats", "1"));
  const no = await refused.done;
  assert.equal(no.code, 1, no.stderr);
  assert.match(
    no.stderr,
    /^error: measuring .*identity\.yaml at batch size 1 into .*\/store is in progress: process \d+ on .* holds .*measurement\.lock since /m,
  );
  assert.match(no.stderr, /hint: .*without --no-wait to wait for it \(nothing was written\)/);
  const [long, short] = await Promise.all([a.done, b.done]);
  assert.equal(long.code, 0, long.stderr);
  assert.equal(short.code, 0, short.stderr);
  assert.match(
    short.stdout,
    /waiting for process \d+ on .*\(measuring .*identity\.yaml at batch size 1 into /,
  );
  const record = (version: string) => {
    const f = listFiles(data.store).find(
      (p) => p.startsWith("MeasureRepeat/") && p.includes(`/${version}/`) && p.endsWith(".json"),
    )!;
    return JSON.parse(readFileSync(join(data.store, f), "utf8")) as {
      startedAt: string;
      process: { timings: { loadMs: number; measureMs: number } };
    };
  };
  const l = record("long");
  const s = record("short");
  const longEnd = Date.parse(l.startedAt) + l.process.timings.loadMs + l.process.timings.measureMs;
  assert.ok(l.process.timings.measureMs >= 2000);
  assert.ok(Date.parse(s.startedAt) >= longEnd, `short started ${s.startedAt}, before the long one ended`);
  assert.deepEqual(
    listFiles(data.store).filter((f) => f.includes("/refused/")),
    [],
    "the refused run wrote nothing",
  );
});

test("a SIGKILLed run leaves temporaries that the next run removes, while a live run's survive", async () => {
  const killed = start(args("killed", "--min-duration", "30", "--repeats", "1"), true);
  await until(
    () => tmpEntries().length === 1 && /› batch size|MeasureRepeat/.test(killed.output()),
    "the run to be killed",
  );
  await sleep(500);
  const [leftover] = tmpEntries();
  process.kill(-killed.child.pid!, "SIGKILL");
  await killed.done;
  assert.match(leftover!, new RegExp(`^measure-[0-9a-f]{6}-${killed.child.pid}-\\d+-[A-Za-z0-9]{6}$`));
  assert.ok(existsSync(join(data.store, ".tmp", leftover!)), "SIGKILL leaves the temporary behind");
  assert.ok(readdirSync(join(data.store, ".locks")).length > 0, "and the lock of its output");

  const live = start(args("live", "--min-duration", "2", "--repeats", "1"));
  await until(() => tmpEntries().some((t) => t !== leftover), "the live run's temporary");
  const liveTmp = tmpEntries().find((t) => t !== leftover)!;
  assert.ok(!tmpEntries().includes(leftover!), "the next run removed the killed run's temporary");
  const next = start(args("next", "--repeats", "1", "--no-wait"));
  const refused = await next.done;
  assert.equal(refused.code, 1, "the host's timed work is the live run's");
  assert.deepEqual(tmpEntries(), [liveTmp], "another run keeps the live run's temporary");
  assert.ok(
    readdirSync(join(data.store, ".locks")).every(
      (l) =>
        !readFileSync(join(data.store, ".locks", l, "owner.json"), "utf8").includes(
          `"pid":${killed.child.pid}`,
        ),
    ),
    "the killed run's lock is gone",
  );
  const res = await live.done;
  assert.equal(res.code, 0, res.stderr);
  assert.deepEqual(
    listFiles(data.store).filter((f) => f.includes("/killed/") || f.includes("/next/") || f.startsWith(".")),
    [],
    "no result of the killed or refused run, no temporaries or locks left",
  );
});
