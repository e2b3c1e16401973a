/**
 * Scans on a real single-node Slurm on loopback (started and stopped here): submit → collect →
 * PlotMultiRuntimes, and the failures a batch system brings (a job that exits non-zero, a
 * truncated CSV, a held job), each reported clearly and recovered by a later collect.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { haveCommands, isRoot, waitFor } from "../helpers/services/common.js";
import { SLURM_COMMANDS, startSlurm, type TestSlurm } from "../helpers/services/slurm.js";
import { outputsOf, readManifestOf, storeFiles } from "../helpers/services/scan.js";

const missing = haveCommands(SLURM_COMMANDS);
const skip = !isRoot()
  ? "the single-node Slurm needs root (slurmd); run the tests as root, as CI does"
  : missing.length
    ? `Slurm binaries missing (${missing.join(", ")}): apt-get install slurm-wlm munge`
    : false;

const models = join(EXAMPLES, "dnn", "model_onnx_l{10,20}u128.yaml");

describe("scans on a local Slurm", { skip }, () => {
  let slurm: TestSlurm;
  const data = tempData();
  const env = () => ({ ...data.env });
  const common = (name: string) => [
    "--batch-system",
    "slurm",
    "--batch-env",
    `SLURM_CONF=${slurm.conf}`,
    "--scan-name",
    name,
    "--version",
    "v1",
    "--model-files",
    models,
    "--model-names",
    "l10,l20",
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
});
