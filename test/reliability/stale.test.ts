/**
 * Nothing stale, nothing mixed, nothing orphaned (issue 19, items 1–3), tried as a hostile user would:
 * the model's content changes between runs (the .onnx swapped, the yaml's shape or dtype changed, a repeat
 * left by an interrupted run and the model swapped after it), one name given to two model files, and the
 * run killed (SIGKILL, SIGTERM) while its measurement process times. Every case asserts the message, the
 * exit code and what the store holds afterwards.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { execa } from "execa";
import { FIXTURES, listFiles, mlprof, REPO, tempData } from "../helpers/cli.js";
import { testJob } from "../helpers/job.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";
import { buildNative } from "../../src/native/build.js";
import { writeRunnerJob } from "../../src/native/jobfile.js";
import { checkRunnerSpec } from "../../src/native/sources.js";

useSharedTestSoftware();
ensureBuilt();
const { processAlive, processStartTime } = await import("../../src/util/procs.js");

/** A private store, lock folder and copy of the identity fixture per test. */
let data: ReturnType<typeof tempData>;
let model = "";
let graph = "";
let locks = "";
beforeEach(() => {
  data = tempData();
  locks = join(data.dir, "locks");
  data.env.MLPROF_LOCK_DIR = locks;
  const dir = join(data.dir, "model");
  mkdirSync(dir);
  cpSync(join(FIXTURES, "identity.onnx"), join(dir, "identity.onnx"));
  cpSync(join(FIXTURES, "identity.yaml"), join(dir, "identity.yaml"));
  model = join(dir, "identity.yaml");
  graph = join(dir, "identity.onnx");
});
const started: ChildProcess[] = [];
afterEach(() => {
  started.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill("SIGKILL"));
  started.length = 0;
  data.cleanup();
});

const QUICK = ["--n-calls", "5", "--repeats", "1"];
const merge = (sizes: string, ...extra: string[]) => [
  "run",
  "MergeRuntimes",
  "--version",
  "v1",
  "--model-file",
  model,
  "--batch-sizes",
  sizes,
  ...QUICK,
  ...extra,
];

/** The same graph with other bytes (its graph name changed): another model to the store. */
function swapGraph(): void {
  const bytes = readFileSync(graph);
  const at = bytes.indexOf("identity");
  assert.ok(at >= 0);
  bytes.write("identitx", at);
  writeFileSync(graph, bytes);
}

/** Replaces text in the model's yaml. */
function editYaml(from: string, to: string): void {
  const text = readFileSync(model, "utf8");
  assert.ok(text.includes(from));
  writeFileSync(model, text.replace(from, to));
}

/** Every store file with its modification time. */
function storeState(): Record<string, number> {
  return Object.fromEntries(listFiles(data.store).map((f) => [f, statSync(join(data.store, f)).mtimeMs]));
}

/** Runs `mlprof` and asserts success. */
async function ok(args: string[]): Promise<string> {
  const res = await mlprof(args, data.env);
  assert.equal(res.code, 0, res.stderr);
  return res.stdout;
}

describe("model content changes between runs", () => {
  test("the .onnx swapped, then new batch sizes with the same --version: one error naming the outdated files and the way out, nothing run", async () => {
    await ok(merge("1"));
    const before = storeState();
    swapGraph();
    const res = await mlprof(merge("1,2"), data.env);
    assert.equal(res.code, 1, res.stdout);
    assert.match(
      res.stderr,
      /^error: 4 stored output files were made from other model content or settings than asked for now \(outdated\); nothing was run:$/m,
    );
    assert.match(
      res.stderr,
      /MeasureRuntime identity_\w+, batch size 1, .*: graph changed: sha256 [0-9a-f]{12}… was [0-9a-f]{12}…/,
    );
    assert.match(
      res.stderr,
      /MeasureRepeat identity_\w+, batch size 1, repeat 1 of 1: graph changed: sha256/,
    );
    assert.match(res.stderr, /\/MeasureRepeat\/.*\/v1\/runtime_bs_1_repeat_1\.csv$/m);
    assert.match(res.stderr, /\/MeasureRuntime\/.*\/v1\/runtime_bs_1\.json$/m);
    assert.match(
      res.stderr,
      /^hint: remove them and run again with --remove-output 2,a,y \(it removes the outputs of the tree down to depth 2\), or run into a new --version$/m,
    );
    assert.equal((res.stderr.match(/^error:/gm) ?? []).length, 1, "one error");
    assert.deepEqual(storeState(), before, "nothing written, nothing removed");
  });

  test("the .onnx swapped: --print-status shows the stored outputs as outdated, with the hashes", async () => {
    await ok(merge("1"));
    const was = (
      JSON.parse(
        readFileSync(
          join(
            data.store,
            listFiles(data.store).find((f) => f.endsWith("runtimes_bs_1.json"))!,
          ),
          "utf8",
        ),
      ) as {
        measurements: { metadata: { provenance: { graphSha256: string } } }[];
      }
    ).measurements[0]!.metadata.provenance.graphSha256;
    swapGraph();
    const out = await ok([...merge("1"), "--print-status", "-1"]);
    const now = createHashOf(graph);
    const line = `existent, outdated (graph changed: sha256 ${now.slice(0, 12)}… was ${was.slice(0, 12)}…)`;
    assert.equal(out.split("\n").filter((l) => l.endsWith(line)).length, 4, out); // MeasureRuntime, MeasureRepeat
    assert.ok(out.includes("existent, outdated (batch size 1: graph changed: sha256"), out); // MergeRuntimes
  });

  test("the complete result of the swapped model asked for again (nothing to run): refused, not shown as current", async () => {
    await ok(merge("1"));
    swapGraph();
    const res = await mlprof(merge("1"), data.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^error: 6 stored output files were made from other model content/m);
    assert.match(res.stderr, /MergeRuntimes .*: batch size 1: graph changed/);
    assert.match(res.stderr, /--remove-output 2,a,y/);
  });

  test("--remove-output 2,a,y re-measures the swapped model: every record then carries the new graph's hash", async () => {
    await ok(merge("1"));
    swapGraph();
    await ok([...merge("1,2"), "--remove-output", "2,a,y"]);
    const now = createHashOf(graph);
    const merged = listFiles(data.store).find((f) => f.endsWith("runtimes_bs_1_2.json"))!;
    const record = JSON.parse(readFileSync(join(data.store, merged), "utf8")) as {
      measurements: {
        metadata: {
          cmssw: Record<string, unknown>;
          model: { graphSha256: string };
          provenance: { graphSha256: string; contentSha256: string };
        };
      }[];
    };
    assert.deepEqual(
      record.measurements.map((m) => m.metadata.provenance.graphSha256),
      [now, now],
    );
    assert.equal(record.measurements[0]!.metadata.model.graphSha256, now);
    assert.match(
      String(record.measurements[0]!.metadata.cmssw.parentDeath),
      /^setpriv --pdeathsig KILL: the measurement process ends with the run that started it$/,
    );
    assert.match(record.measurements[0]!.metadata.provenance.contentSha256, /^[0-9a-f]{64}$/);
  });

  test("the yaml's shape changed: the refusal names the input, the field and both values", async () => {
    await ok(merge("1"));
    editYaml("shape: [1]", "shape: [2]");
    const res = await mlprof(merge("1,2"), data.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /batch size 1, .*: declared input 'input' shape \[2\] was \[1\]$/m);
  });

  test("the yaml's dtype changed: the refusal names the dtype", async () => {
    await ok(merge("1"));
    editYaml("shape: [1]", "shape: [1]\n      dtype: float64");
    const res = await mlprof(merge("1"), data.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /declared input 'input' dtype "float64" was "float32"$/m);
  });

  test("a repeat left by an interrupted run, then the model swapped: repeat 1 of the old model is never joined with repeat 2 of the new", async () => {
    // what a run of --repeats 2 interrupted after its first process leaves: repeat 1 alone
    await ok([
      "run",
      "MeasureRepeat",
      "--version",
      "v1",
      "--model-file",
      model,
      "--n-calls",
      "5",
      "--repeat",
      "1",
    ]);
    swapGraph();
    const args = [
      "run",
      "MeasureRuntime",
      "--version",
      "v1",
      "--model-file",
      model,
      "--n-calls",
      "5",
      "--repeats",
      "2",
    ];
    const res = await mlprof(args, data.env);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr, /^error: 2 stored output files were made from other model content/m);
    assert.match(res.stderr, /MeasureRepeat identity_\w+, batch size 1, repeat 1 of 2: graph changed/);
    assert.match(res.stderr, /--remove-output 1,a,y/);
    assert.ok(!listFiles(data.store).some((f) => f.startsWith("MeasureRuntime/")), "nothing joined");
    assert.ok(!listFiles(data.store).some((f) => f.endsWith("repeat_2.csv")), "nothing measured");
  });

  test("the .onnx swapped while it is being measured: that measurement fails, nothing written", async () => {
    const args = ["run", "MeasureRepeat", "--version", "v1", "--model-file", model, "--n-calls", "5"];
    let swapped = false;
    const res = await mlprof([...args, "--min-duration", "3"], data.env, {
      onStdout: () => {
        if (!swapped && lockOwner()?.timing) {
          swapped = true;
          swapGraph();
        }
      },
    });
    assert.ok(swapped, res.stdout);
    assert.equal(res.code, 1, res.stdout);
    assert.match(
      res.stderr,
      /^error: the model .*\/identity\.yaml changed while it was measured at batch size 1 \(graph changed: sha256 [0-9a-f]{12}… was [0-9a-f]{12}…\): nothing was written$/m,
    );
    assert.deepEqual(
      listFiles(data.store).filter((f) => f.endsWith(".csv") || f.endsWith(".json")),
      [],
    );
  });

  test("the model unchanged: a later run with new batch sizes reuses the stored measurement, silently", async () => {
    await ok(merge("1"));
    const before = storeState();
    const out = await ok(merge("1,2"));
    assert.doesNotMatch(out, /warning: stored measurements without a fingerprint/);
    for (const [f, mtime] of Object.entries(before).filter(([f]) => !f.startsWith("MergeRuntimes/")))
      assert.equal(storeState()[f], mtime, `${f} is not measured again`);
  });

  test("records written before fingerprints (none recorded): used as they are, with one warning", async () => {
    await ok(merge("1"));
    for (const f of listFiles(data.store).filter(
      (p) => p.endsWith(".json") && !p.startsWith("MergeRuntimes/"),
    )) {
      const path = join(data.store, f);
      const record = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
      delete record.provenance;
      writeFileSync(path, JSON.stringify(record));
    }
    rmSync(join(data.store, "MergeRuntimes"), { recursive: true });
    const out = await ok(merge("1"));
    const lines = out.split("\n");
    const at = lines.findIndex((l) => l.includes("whose model fingerprint could not be checked"));
    assert.ok(at >= 0, out);
    assert.equal(lines.filter((l) => l.includes("model fingerprint could not be checked")).length, 1, out);
    assert.match(
      lines[at]!,
      /^warning: stored measurements whose model fingerprint could not be checked \(written by an older MLProf, or a record or model that cannot be read: see each\) were used as they are; re-measure them with --remove-output or a new --version: 2 tasks$/,
    );
    // each task with its reason
    const listed = lines.slice(at + 1, at + 3);
    for (const line of listed)
      assert.match(line, /: provenance unknown.*: recorded before MLProf fingerprinted models$/);
  });

  test("another model measured under a --model-name used before: outdated; the same content under another path: current", async () => {
    await ok([...merge("1"), "--model-name", "x"]);
    // a copy of the same files elsewhere is the same model
    const copy = join(data.dir, "copy");
    cpSync(join(data.dir, "model"), copy, { recursive: true });
    const sameArgs = merge("1", "--model-name", "x");
    sameArgs[sameArgs.indexOf(model)] = join(copy, "identity.yaml");
    await ok(sameArgs);
    // another graph under the same name is not
    const other = join(data.dir, "other");
    mkdirSync(other);
    cpSync(join(FIXTURES, "fixed_batch.onnx"), join(other, "fixed_batch.onnx"));
    cpSync(join(FIXTURES, "fixed_batch.yaml"), join(other, "fixed_batch.yaml"));
    const otherArgs = merge("1", "--model-name", "x");
    otherArgs[otherArgs.indexOf(model)] = join(other, "fixed_batch.yaml");
    const res = await mlprof(otherArgs, data.env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /graph changed: sha256 .*; declared input 'input' shape \[4\] was \[1\]/);
  });
});

describe("names", () => {
  const twoModels = () => {
    const b = join(data.dir, "model", "fixed_batch.yaml");
    cpSync(join(FIXTURES, "fixed_batch.onnx"), join(data.dir, "model", "fixed_batch.onnx"));
    cpSync(join(FIXTURES, "fixed_batch.yaml"), b);
    return b;
  };

  test("PlotMultiRuntimes --model-names x,x for two model files: refused, naming the name and both files, nothing measured", async () => {
    const b = twoModels();
    const res = await mlprof(
      [
        "run",
        "PlotMultiRuntimes",
        "--version",
        "v1",
        "--model-files",
        `${model},${b}`,
        "--model-names",
        "x,x",
        ...QUICK,
      ],
      data.env,
    );
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr.split("\n")[0],
      `error: --model-names: the name 'x' is given to two different model files, ${model} and ${b}; their measurements would share one output folder and one would be plotted as the other`,
    );
    assert.match(res.stderr, /^hint: give each model file its own name$/m);
    assert.deepEqual(listFiles(data.store), []);
  });

  test("CompareRuntimes --model-names x,x for two model files of one version: refused", async () => {
    const b = twoModels();
    const res = await mlprof(
      [
        "run",
        "CompareRuntimes",
        "--version",
        "v1",
        "--model-files",
        `${model},${b}`,
        "--model-names",
        "x,x",
        ...QUICK,
      ],
      data.env,
    );
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^error: --model-names: the name 'x' is given to two different model files/m);
  });

  test("two yamls declaring the same `name:`: two models, two output folders (the yaml name is not a path name)", async () => {
    const b = twoModels();
    editYaml("name: identity", "name: same");
    writeFileSync(b, readFileSync(b, "utf8").replace("name: fixed_batch", "name: same"));
    const out = await ok([
      "run",
      "PlotMultiRuntimes",
      "--version",
      "v1",
      "--model-files",
      `${model},${b}`,
      ...QUICK,
      "--print-output",
      "1",
    ]);
    const merged = out.split("\n").filter((l) => l.includes("/MergeRuntimes/") && l.endsWith(".json"));
    assert.equal(merged.length, 2, out);
    assert.notEqual(merged[0]!.split("/v1/")[0], merged[1]!.split("/v1/")[0]);
  });

  test("the same model file twice under one name is one model, not a collision", async () => {
    const out = await ok([
      "run",
      "PlotMultiRuntimes",
      "--version",
      "v1",
      "--model-files",
      `${model},${model}`,
      "--model-names",
      "x,x",
      ...QUICK,
      "--print-output",
      "1",
    ]);
    assert.equal(
      out.split("\n").filter((l) => l.includes("/MergeRuntimes/") && l.endsWith(".json")).length,
      1,
    );
  });
});

/** Waits until `check` holds, polling; fails naming `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 60000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The owner of the host-wide lock of timed work, when taken. */
function lockOwner(): { pid: number; timing?: { pid: number; start?: string } } | undefined {
  try {
    return JSON.parse(readFileSync(join(locks, "measurement.lock", "owner.json"), "utf8")) as {
      pid: number;
      timing?: { pid: number };
    };
  } catch {
    return undefined;
  }
}

/** Starts a long measurement with the built mlprof; resolves with its process and measurement process once it times. */
async function startTiming(
  version: string,
): Promise<{ run: ChildProcess; timing: number; done: Promise<number | string> }> {
  const run = spawn(
    process.execPath,
    [
      join(REPO, "bin", "mlprof.js"),
      "run",
      "MeasureRepeat",
      "--version",
      version,
      "--model-file",
      model,
      "--n-calls",
      "50000000",
    ],
    { env: data.env, stdio: "ignore" },
  );
  started.push(run);
  const done = new Promise<number | string>((resolve) =>
    run.on("exit", (code, signal) => resolve(code ?? signal!)),
  );
  await until(
    () => lockOwner()?.pid === run.pid && lockOwner()?.timing !== undefined,
    "the measurement process",
  );
  return { run, timing: lockOwner()!.timing!.pid, done };
}

describe("signals to the parent", () => {
  test("SIGKILL of the run while its measurement process times: the measurement process ends with it, and the next --no-wait run measures", async () => {
    const { run, timing, done } = await startTiming("killed");
    assert.ok(processAlive(timing));
    run.kill("SIGKILL");
    assert.equal(await done, "SIGKILL");
    const t0 = Date.now();
    await until(() => !processAlive(timing), "the orphaned measurement process to end", 3000);
    assert.ok(Date.now() - t0 < 3000);
    await ok([
      "run",
      "MeasureRepeat",
      "--version",
      "next",
      "--model-file",
      model,
      "--n-calls",
      "5",
      "--no-wait",
    ]);
    assert.ok(
      !listFiles(data.store).some((f) => f.includes("/killed/") && f.endsWith(".csv")),
      "nothing written by the killed run",
    );
  });

  test("SIGTERM of the run while its measurement process times: exit 143, the measurement process ends, nothing written", async () => {
    const { run, timing, done } = await startTiming("terminated");
    run.kill("SIGTERM");
    assert.equal(await done, 143);
    await until(() => !processAlive(timing), "the measurement process to end", 3000);
    assert.deepEqual(
      listFiles(data.store).filter((f) => f.endsWith(".csv") || f.endsWith(".json")),
      [],
    );
  });

  test("a lock whose run died while its timing process lives is not stale: --no-wait refuses naming both, a run waits for it", async () => {
    // the state a killed run leaves when its measurement process survives: the owner dead, the timing process alive
    const gone = spawn("true");
    await new Promise((r) => gone.on("exit", r));
    const timing = spawn("sleep", ["60"]);
    started.push(timing);
    await until(() => processStartTime(timing.pid!) !== undefined, "sleep");
    const lockDir = join(locks, "measurement.lock");
    mkdirSync(lockDir, { recursive: true });
    writeFileSync(
      join(lockDir, "owner.json"),
      JSON.stringify({
        pid: gone.pid,
        host: hostname(),
        since: new Date().toISOString(),
        what: "measuring another model",
        start: "1",
        timing: { pid: timing.pid, start: processStartTime(timing.pid!) },
      }),
    );
    const args = ["run", "MeasureRepeat", "--version", "v1", "--model-file", model, "--n-calls", "5"];
    const refused = await mlprof([...args, "--no-wait"], data.env);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: measuring another model is in progress: process ${gone.pid} on ${hostname()} \\(ended; its measurement process ${timing.pid} still runs\\) holds .*measurement\\.lock since `,
        "m",
      ),
    );
    assert.deepEqual(
      listFiles(data.store).filter((f) => f.endsWith(".csv")),
      [],
    );
    let waited = false;
    const waiting = mlprof(args, data.env, {
      onStdout: (text) => {
        if (!waited && text.includes(`(ended; its measurement process ${timing.pid} still runs)`)) {
          waited = true;
          timing.kill("SIGKILL");
        }
      },
    });
    const res = await waiting;
    assert.equal(res.code, 0, res.stderr);
    assert.ok(waited, res.stdout);
    assert.ok(listFiles(data.store).some((f) => f.endsWith("runtime_bs_1_repeat_1.csv")));
  });

  test("the Node measurement process checks its parent between events: reparented, it ends itself", async () => {
    const watch = join(REPO, "dist", "measure", "parent-watch.js");
    const script = `import(${JSON.stringify(watch)}).then(({ endIfOrphaned }) => { console.log("ready"); setInterval(endIfOrphaned, 50); })`;
    // sh starts the watcher with its own pid as the parent, prints the watcher's pid and waits
    const sh = spawn(
      "sh",
      ["-c", `MLPROF_PARENT_PID=$$ "${process.execPath}" -e '${script}' & echo $!; wait`],
      {
        stdio: ["ignore", "pipe", "ignore"],
      },
    );
    started.push(sh);
    let out = "";
    sh.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    await until(() => /^\d+\nready\n/.test(out), "the watcher to start", 10000);
    const pid = Number(out.split("\n")[0]);
    await sleep(300);
    assert.ok(processAlive(pid), "alive while its parent lives");
    sh.kill("SIGKILL");
    await until(() => !processAlive(pid), "the orphaned watcher to end", 3000);
  });
});

describe("native runners end with their parent", () => {
  let runner = "";
  let work = "";
  before(async () => {
    work = mkdtempSync(join(tmpdir(), "mlprof-stale-native-"));
    runner = (await buildNative(checkRunnerSpec(), { cacheDir: join(work, "native") })).binary;
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  /** A job file of check_runner whose calls last 0.1 s each, 1000 of them. */
  const longJob = (name: string) => {
    const dir = join(work, name);
    mkdirSync(dir);
    const jobFile = join(dir, "job.runner");
    writeRunnerJob(jobFile, testJob(dir, {}, { nCalls: 1000 }), { spin_ns: "100000000" });
    return jobFile;
  };

  test("SIGKILL of the runner's parent: the runner ends with it (PR_SET_PDEATHSIG)", async () => {
    const sh = spawn("sh", ["-c", `"${runner}" "${longJob("killed")}" & echo $!; wait`], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    started.push(sh);
    const pid = Number(
      await new Promise<string>((r) => sh.stdout!.once("data", (d: Buffer) => r(d.toString()))),
    );
    await sleep(1000);
    assert.ok(processAlive(pid), "the runner times while its parent lives");
    sh.kill("SIGKILL");
    await until(() => !processAlive(pid), "the runner to end with its parent", 3000);
  });

  test("a runner whose parent ended before it set PR_SET_PDEATHSIG ends at once", async () => {
    // MLPROF_PARENT_PID names another process (pid 1) than its parent: as if the parent had died before and
    // the runner had been reparented
    const res = await execa(runner, [longJob("late")], {
      reject: false,
      env: { MLPROF_PARENT_PID: "1" },
      timeout: 20000,
    });
    assert.equal(res.signal, "SIGKILL");
    assert.equal(res.timedOut, false);
  });
});

/** SHA-256 of a file, hex. */
function createHashOf(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}
