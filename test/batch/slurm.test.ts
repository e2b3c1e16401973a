/**
 * Scans on a real single-node Slurm on loopback (started and stopped here): submit → collect →
 * PlotMultiRuntimes, and the failures a batch system brings (a job that exits non-zero, a
 * truncated CSV, a held job), each reported clearly and recovered by a later collect.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { waitFor } from "../helpers/services/common.js";
import { SLURM_COMMANDS, startSlurm, type TestSlurm } from "../helpers/services/slurm.js";
import { outputsOf, readManifestOf, storeFiles } from "../helpers/services/scan.js";
import { describeUnless, firstSkip, needCommands, needRoot } from "../helpers/skip.js";

const skip = firstSkip(
  () => needRoot("the single-node Slurm (slurmd)"),
  () => needCommands("slurm", SLURM_COMMANDS, "apt-get install slurm-wlm munge"),
);

const models = join(EXAMPLES, "dnn", "model_onnx_l{10,20}u128.yaml");

describeUnless(skip, "scans on a local Slurm", () => {
  let slurm: TestSlurm;
  const data = tempData();
  const env = () => ({ ...data.env });
  const common = (name: string) => [...system(name), "--model-files", models, "--model-names", "l10,l20"];
  const system = (name: string) => [
    "--batch-system",
    "slurm",
    "--batch-env",
    `SLURM_CONF=${slurm.conf}`,
    "--scan-name",
    name,
    "--version",
    "v1",
    "--n-calls",
    "10",
    "--n-warmup",
    "2",
    "--repeats",
    "1",
  ];
  const queueEmpty = (name: string) => () =>
    slurm.run(["squeue", "-h", "-n", `mlprof-${name}-v1`]).trim() === "";

  before(async () => {
    slurm = await startSlurm();
  });
  after(async () => {
    await slurm?.stop();
    data.cleanup();
  });

  test("submit → collect → PlotMultiRuntimes; submitting again skips done jobs", async () => {
    const sub = await mlprof(["submit", ...common("ok"), "--batch-sizes", "1,4"], env());
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    assert.match(sub.stdout, /submitted 4 job\(s\) to slurm on localhost \(submission 1\)/);

    const col = await mlprof(
      ["collect", "--scan-name", "ok", "--version", "v1", "--watch", "--interval", "2", "--timeout", "180"],
      env(),
    );
    assert.equal(col.code, 0, col.stderr + col.stdout);
    assert.match(col.stdout, /all 4 job\(s\) of scan ok\/v1 are in the store/);
    // --cpu-isolation exclusive (the default): one job at a time on the node, pinned, nothing overlapped
    assert.doesNotMatch(col.stdout, /ran at the same time/);
    const runs = readManifestOf(data.store, "ok").jobs.map(
      (j) => (j.attempts[0] as { run?: { pinned: string; host: string } }).run,
    );
    assert.ok(
      runs.every((r) => r?.pinned === "0" && r.host === slurm.node),
      JSON.stringify(runs),
    );
    const outputs = outputsOf(readManifestOf(data.store, "ok"));
    assert.equal(outputs.length, 4);
    for (const [csv, json] of outputs) {
      const rows = readFileSync(csv, "utf8")
        .split("\n")
        .filter((l) => l && !l.startsWith("#"));
      assert.equal(rows.length, 10, csv);
      assert.ok(JSON.parse(readFileSync(json, "utf8")));
    }

    const plot = await mlprof(
      [
        "plot",
        "--version",
        "v1",
        "--model-files",
        models,
        "--model-names",
        "l10,l20",
        "--batch-sizes",
        "1,4",
        "--n-calls",
        "10",
        "--n-warmup",
        "2",
        "--repeats",
        "1",
        "--file-types",
        "png",
      ],
      env(),
    );
    assert.equal(plot.code, 0, plot.stderr + plot.stdout);
    assert.ok(
      storeFiles(data.store).some((f) => /PlotMultiRuntimes\/.*\.png$/.test(f)),
      "the plot exists",
    );

    const again = await mlprof(["submit", ...common("ok"), "--batch-sizes", "1,4"], env());
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to submit for scan ok\/v1: 4 done/);
  });

  test("a job that exits non-zero and a truncated CSV: clear messages, nothing enters the store, a later collect recovers", async () => {
    const flag = join(data.dir, "failed-once");
    // the first attempt of j0001 fails in the worker set-up, as a broken environment would
    const setup = `if [ "$JOB_ID" = j0001 ] && [ ! -e ${flag} ]; then touch ${flag}; echo "error: broken set-up" >&2; exit 3; fi`;
    const sub = await mlprof(
      ["submit", ...common("bad"), "--batch-sizes", "2,8", "--worker-setup", setup],
      env(),
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    await waitFor("the jobs to end", queueEmpty("bad"), 120_000, 1000);

    // a stage-out cut short: the CSV of j0002 loses its last rows
    const jobs = join(data.store, "Scans", "bad", "v1", "jobs");
    const csv = join(jobs, "outputs", "j0002", "m2", "runtime_bs_2.csv");
    const lines = readFileSync(csv, "utf8").split("\n");
    writeFileSync(csv, lines.slice(0, lines.length - 4).join("\n") + "\n4,0.");

    const first = await mlprof(["collect", "--scan-name", "bad", "--version", "v1", "--retries", "0"], env());
    assert.equal(first.code, 1, first.stdout + first.stderr);
    assert.match(first.stdout, /j0001 .*exit code 3 in worker setup/);
    assert.match(first.stdout, /j0002 .*runtime_bs_2\.csv: (truncated CSV|malformed CSV)/);
    assert.match(first.stdout, /2 failed job\(s\)/);
    const [ok0, bad1, bad2, ok3] = outputsOf(readManifestOf(data.store, "bad"));
    for (const out of [...bad1!, ...bad2!]) assert.ok(!existsSync(out), `${out} must not enter the store`);
    for (const out of [...ok0!, ...ok3!]) assert.ok(existsSync(out), out);

    const second = await mlprof(
      ["collect", "--scan-name", "bad", "--version", "v1", "--watch", "--interval", "2", "--timeout", "180"],
      env(),
    );
    assert.equal(second.code, 0, second.stdout + second.stderr);
    assert.match(second.stdout, /j0001 failed \(.*exit code 3.*\); resubmitting, attempt 2 of 3/);
    assert.match(second.stdout, /all 4 job\(s\) of scan bad\/v1 are in the store/);
    const rows = readFileSync(bad2![0], "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
    assert.equal(rows.length, 10);
  });

  test("a model file with spaces and non-ASCII in its name, in a job folder with spaces (defect 8, #SBATCH quoting)", async () => {
    const dir = join(data.dir, "my models");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "mon modèle.yaml");
    writeFileSync(
      file,
      readFileSync(join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"), "utf8").replace(
        "./onnx_graph",
        join(EXAMPLES, "dnn", "onnx_graph"),
      ),
    );
    const args = [
      "--version",
      "v1",
      "--model-file",
      file,
      "--batch-size",
      "2",
      "--n-calls",
      "10",
      "--n-warmup",
      "2",
      "--repeats",
      "1",
    ];
    const sub = await mlprof(
      [
        "submit",
        ...system("spaces"),
        "--model-files",
        file,
        "--batch-sizes",
        "2",
        "--remote-dir",
        join(data.dir, "login node"),
      ],
      env(),
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    assert.match(
      readFileSync(join(data.dir, "login node", "spaces", "v1", "submit_1.sh"), "utf8"),
      /^#SBATCH --chdir="[^"]*\/login node\/spaces\/v1"$/m,
    );
    const col = await mlprof(
      [
        "collect",
        "--scan-name",
        "spaces",
        "--version",
        "v1",
        "--watch",
        "--interval",
        "2",
        "--timeout",
        "120",
      ],
      env(),
    );
    assert.equal(col.code, 0, col.stdout + col.stderr);
    assert.match(col.stdout, /all 1 job\(s\) of scan spaces\/v1 are in the store/);
    // where `mlprof run` puts the same measurement: the name derives from the file, as there
    const where = await mlprof(["run", "MeasureRuntime", ...args, "--print-output", "0"], env());
    assert.equal(where.code, 0, where.stderr);
    const [csv, json] = where.stdout.trim().split("\n");
    assert.ok(existsSync(csv!) && existsSync(json!), `${csv} is in the store`);
  });

  test("a job killed by scancel mid-run is reported as killed, nothing of it enters the store, it is not resubmitted", async () => {
    const tmp = join(data.dir, "tmp-killed");
    mkdirSync(tmp, { recursive: true });
    // batch size 2 (the second measurement of the job) takes long: the job is killed in it
    const setup = `MLPROF=(bash -c 'case "$*" in *"--batch-size 2 "*"--print-output"*) ;; *"--batch-size 2 "*) sleep 60 ;; esac; exec "$@"' _ "\${MLPROF[@]}")`;
    const sub = await mlprof(
      [
        "submit",
        ...common("killed"),
        "--n-calls",
        "12",
        "--model-files",
        join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
        "--model-names",
        "l10",
        "--batch-sizes",
        "1,2",
        "--group",
        "release",
        "--worker-setup",
        setup,
      ],
      { ...env(), TMPDIR: tmp },
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    // the first measurement is done in the job's own store when the second one starts
    await waitFor(
      "the first measurement of the job",
      () => {
        try {
          return storeFiles(tmp).some(
            (f) => f.endsWith("runtime_bs_1.csv") && f.includes("/store/MeasureRuntime/"),
          );
        } catch {
          return false; // a file went away while the folder was listed
        }
      },
      120_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 2000));
    slurm.run(["scancel", "-n", "mlprof-killed-v1"]);
    await waitFor("the job to end", queueEmpty("killed"), 60_000, 500);
    const status = readFileSync(
      join(data.store, "Scans", "killed", "v1", "jobs", "outputs", "j0000", "status"),
      "utf8",
    );
    assert.match(status, /^exit_code=143$/m);
    assert.match(status, /^signal=TERM$/m);
    assert.match(status, /^step=measurement 1$/m);
    assert.deepEqual(storeFiles(join(data.store, "Scans", "killed", "v1", "jobs", "outputs", "j0000")), [
      "status",
    ]);
    const col = await mlprof(["collect", "--scan-name", "killed", "--version", "v1"], env());
    assert.equal(col.code, 0, col.stdout + col.stderr);
    assert.match(
      col.stdout,
      /j0000 removed by hand \(CANCELLED; killed by SIGTERM during measurement 1 \(exit code 143\); nothing of it enters the store\)/,
    );
    assert.match(col.stdout, /scan killed\/v1: 1 cancelled/);
    for (const [csv, json] of outputsOf(readManifestOf(data.store, "killed")))
      assert.ok(!existsSync(csv) && !existsSync(json), `${csv} must not enter the store`);
    assert.equal(slurm.run(["squeue", "-h", "-n", "mlprof-killed-v1"]).trim(), "", "nothing was resubmitted");
    assert.equal(readManifestOf(data.store, "killed").jobs[0]!.attempts.length, 1);
  });

  test("mlprof cancel removes a running scan; collect then resubmits nothing", async () => {
    const sub = await mlprof(
      [
        "submit",
        ...common("cancel"),
        "--n-calls",
        "13",
        "--batch-sizes",
        "1",
        "--worker-setup",
        "sleep 60",
        "--cpu-isolation",
        "cores",
      ],
      env(),
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    await waitFor(
      "a job of the scan to run",
      () => /^\s*\S+\s+R\s*$/m.test(slurm.run(["squeue", "-h", "-n", "mlprof-cancel-v1", "-o", "%i %t"])),
      60_000,
      500,
    );
    const cancel = await mlprof(["cancel", "--scan-name", "cancel", "--version", "v1"], env());
    assert.equal(cancel.code, 0, cancel.stdout + cancel.stderr);
    assert.match(cancel.stdout, /removed 2 job\(s\) of scan cancel\/v1 from slurm on localhost/);
    assert.match(cancel.stdout, /scan cancel\/v1: 2 cancelled/);
    await waitFor("the jobs to leave the queue", queueEmpty("cancel"), 60_000, 500);
    const col = await mlprof(["collect", "--scan-name", "cancel", "--version", "v1"], env());
    assert.equal(col.code, 0, col.stdout + col.stderr);
    assert.match(col.stdout, /scan cancel\/v1: 2 cancelled/);
    assert.match(col.stdout, /resubmit: none/);
    assert.equal(slurm.run(["squeue", "-h", "-n", "mlprof-cancel-v1"]).trim(), "");
    assert.ok(readManifestOf(data.store, "cancel").jobs.every((j) => j.attempts.length === 1));
  });

  test("--parallel-jobs 2 never has more than two jobs queued; jobs that shared the node are warned about", async () => {
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const q = slurm.run(["squeue", "-h", "-r", "-n", "mlprof-throttle-v1", "-o", "%i"]).trim();
        most = Math.max(most, q ? q.split("\n").length : 0);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    try {
      const sub = await mlprof(
        [
          "submit",
          ...common("throttle"),
          "--n-calls",
          "14",
          "--model-files",
          join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
          "--model-names",
          "l10",
          "--batch-sizes",
          "1,2,3,4,5",
          "--parallel-jobs",
          "2",
          "--cpu-isolation",
          "cores",
          "--worker-setup",
          "sleep 3",
        ],
        env(),
      );
      assert.equal(sub.code, 0, sub.stderr + sub.stdout);
      assert.match(sub.stdout, /submitted 2 job\(s\) to slurm on localhost \(submission 1\)/);
      assert.match(sub.stdout, /--parallel-jobs 2: 3 more wait/);
      assert.match(
        readFileSync(join(data.store, "Scans", "throttle", "v1", "jobs", "submit_1.sh"), "utf8"),
        /^#SBATCH --array=0-1%2$/m,
      );
      const col = await mlprof(
        [
          "collect",
          "--scan-name",
          "throttle",
          "--version",
          "v1",
          "--watch",
          "--interval",
          "1",
          "--timeout",
          "180",
        ],
        env(),
      );
      assert.equal(col.code, 0, col.stdout + col.stderr);
      assert.match(col.stdout, /all 5 job\(s\) of scan throttle\/v1 are in the store/);
      assert.match(col.stdout, /wait for a slot \(--parallel-jobs 2\)/);
      // two jobs at once on the 2-core node: their timings may disturb each other
      assert.match(
        col.stdout,
        /warning: \d measurement job\(s\) ran at the same time as other jobs of this scan on one node/,
      );
      assert.match(col.stdout, /j000\d with j000\d/);
    } finally {
      sampling = false;
      await sampler;
    }
    assert.equal(most, 2, "at most (and, throttled, exactly) two jobs in the queue");
  });

  test("slurmctld stopped for a few seconds during collect --watch is survived with --poll-fails", async () => {
    const sub = await mlprof(
      ["submit", ...common("ctld"), "--n-calls", "15", "--batch-sizes", "1", "--worker-setup", "sleep 8"],
      env(),
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    let stopped = false;
    let restarted: Promise<void> = Promise.resolve();
    const outage = new Promise<void>((resolve, reject) => {
      const child = mlprof(
        [
          "collect",
          "--scan-name",
          "ctld",
          "--version",
          "v1",
          "--watch",
          "--interval",
          "1",
          "--timeout",
          "240",
          "--poll-fails",
          "30",
        ],
        env(),
        {
          onStdout: (text) => {
            if (!stopped && /poll 1: /.test(text)) {
              stopped = true;
              restarted = (async () => {
                await slurm.stopController();
                // longer than MessageTimeout (10 s): Slurm's clients retry a controller that does not
                // answer for that long, so a shorter outage is one slow squeue, not a failed poll
                await new Promise((r) => setTimeout(r, 14_000));
                await slurm.startController();
              })();
              restarted.then(undefined, reject);
            }
          },
        },
      );
      child.then((res) => {
        try {
          assert.equal(res.code, 0, res.stdout + res.stderr);
          assert.match(
            res.stdout,
            /poll \d+ failed \(1 of 30 tolerated in a row; no job is counted as failed for it\): query of slurm on localhost: squeue failed/,
          );
          assert.match(res.stdout, /all 2 job\(s\) of scan ctld\/v1 are in the store/);
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      }, reject);
    });
    try {
      await outage;
    } finally {
      await restarted;
    }
    assert.ok(stopped, "slurmctld was stopped during the watch");
    assert.ok(
      readManifestOf(data.store, "ctld").jobs.every((j) => j.attempts.length === 1),
      "no job was resubmitted for it",
    );
  });

  test("two concurrent collects submit each job once", async () => {
    const flags = join(data.dir, "flags-twice");
    mkdirSync(flags, { recursive: true });
    // every job fails once: each must be resubmitted exactly once, whichever collect does it
    const setup = `if [ ! -e ${flags}/$JOB_ID ]; then touch ${flags}/$JOB_ID; exit 3; fi`;
    const sub = await mlprof(
      [
        "submit",
        ...common("twice"),
        "--n-calls",
        "16",
        "--batch-sizes",
        "1,2",
        "--worker-setup",
        setup,
        "--cpu-isolation",
        "none",
      ],
      env(),
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    await waitFor("the first attempts to end", queueEmpty("twice"), 120_000, 500);
    const collect = () => mlprof(["collect", "--scan-name", "twice", "--version", "v1"], env());
    const results = await Promise.all([collect(), collect(), collect()]);
    for (const r of results) assert.equal(r.code, 0, r.stdout + r.stderr);
    const resubmitted = results.map((r) => (r.stdout.match(/resubmitting, attempt 2 of 3/g) ?? []).length);
    assert.equal(
      resubmitted.reduce((a, b) => a + b, 0),
      4,
      `resubmissions per collect: ${resubmitted.join(", ")}`,
    );
    const m = readManifestOf(data.store, "twice");
    assert.deepEqual(
      m.jobs.map((j) => j.attempts.length),
      [2, 2, 2, 2],
    );
    const finish = await mlprof(
      [
        "collect",
        "--scan-name",
        "twice",
        "--version",
        "v1",
        "--watch",
        "--interval",
        "2",
        "--timeout",
        "180",
      ],
      env(),
    );
    assert.equal(finish.code, 0, finish.stdout + finish.stderr);
    assert.match(finish.stdout, /all 4 job\(s\) of scan twice\/v1 are in the store/);
    assert.deepEqual(
      readManifestOf(data.store, "twice").jobs.map((j) => j.attempts.length),
      [2, 2, 2, 2],
    );
  });

  test("a held job is reported, removed and resubmitted", async () => {
    // keep the job pending (node drained), hold it, then let the node run jobs again
    slurm.run(["scontrol", "update", `nodename=${slurm.node}`, "state=drain", "reason=mlprof-test"]);
    try {
      const sub = await mlprof(
        [
          "submit",
          ...common("held"),
          "--model-files",
          join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
          "--model-names",
          "l10",
          "--batch-sizes",
          "3",
        ],
        env(),
      );
      assert.equal(sub.code, 0, sub.stderr + sub.stdout);
      const id = readManifestOf(data.store, "held").jobs[0]!.attempts[0]!.batchId;
      slurm.run(["scontrol", "hold", id]);
    } finally {
      slurm.run(["scontrol", "update", `nodename=${slurm.node}`, "state=resume"]);
    }
    const col = await mlprof(
      ["collect", "--scan-name", "held", "--version", "v1", "--watch", "--interval", "2", "--timeout", "120"],
      env(),
    );
    assert.equal(col.code, 0, col.stdout + col.stderr);
    assert.match(
      col.stdout,
      /j0000 failed \(held: PENDING \(JobHeld(User|Admin)\)\); resubmitting, attempt 2 of 3/,
    );
    assert.match(col.stdout, /all 1 job\(s\) of scan held\/v1 are in the store/);
  });

  test("a throughput scan (--streams 1,2): jobs of 1 and 2 CPUs, collect stores the points, MergeThroughput uses them without measuring", async () => {
    const throughput = [
      "--batch-system",
      "slurm",
      "--batch-env",
      `SLURM_CONF=${slurm.conf}`,
      "--version",
      "v1",
      "--model-files",
      join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
      "--batch-sizes",
      "1",
      "--warmup-duration",
      "0.2",
      "--min-duration",
      "0.5",
      "--min-calls",
      "50",
      "--repeats",
      "1",
    ];
    const sub = await mlprof(["submit", "--scan-name", "tput", ...throughput, "--streams", "1,2"], env());
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    // one submission per CPU request: streams x threads
    assert.match(sub.stdout, /submitted 1 job\(s\) to slurm on localhost \(submission 1\)/);
    assert.match(sub.stdout, /submitted 1 job\(s\) to slurm on localhost \(submission 2\)/);
    const jobDir = join(data.store, "Scans", "tput", "v1", "jobs");
    assert.match(readFileSync(join(jobDir, "submit_1.sh"), "utf8"), /^#SBATCH --cpus-per-task=1$/m);
    assert.match(readFileSync(join(jobDir, "submit_2.sh"), "utf8"), /^#SBATCH --cpus-per-task=2$/m);

    const col = await mlprof(
      ["collect", "--scan-name", "tput", "--version", "v1", "--watch", "--interval", "2", "--timeout", "240"],
      env(),
    );
    assert.equal(col.code, 0, col.stderr + col.stdout);
    assert.match(col.stdout, /all 2 job\(s\) of scan tput\/v1 are in the store/);
    assert.match(col.stdout, /plot: mlprof run PlotMultiThroughput --version v1 .* --streams 1,2 /);
    const manifest = readManifestOf(data.store, "tput");
    const pinned = manifest.jobs.map((j) => (j.attempts[0] as { run?: { pinned: string } }).run?.pinned);
    assert.deepEqual(pinned, ["0", "0,1"], "each job pinned to its streams x threads CPUs");
    for (const [, json] of outputsOf(manifest)) {
      const record = JSON.parse(readFileSync(json, "utf8")) as { kind: string; point: { streams: number } };
      assert.equal(record.kind, "throughput-point");
    }

    // the collected points are MeasureThroughput's outputs: merging them measures nothing again
    const settings = throughput.slice(throughput.indexOf("--batch-sizes"));
    const merge = await mlprof(
      [
        "run",
        "MergeThroughput",
        "--version",
        "v1",
        "--model-file",
        join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
        ...settings,
        "--streams",
        "1,2",
      ],
      env(),
    );
    assert.equal(merge.code, 0, merge.stderr + merge.stdout);
    assert.doesNotMatch(merge.stdout + merge.stderr, /MeasureThroughputRepeat/);
    assert.match(merge.stdout, /efficiency|eff\./);
  });
});
