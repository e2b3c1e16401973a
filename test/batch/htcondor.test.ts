/**
 * HTCondor without HTCondor: its parsers and job manager against recorded real outputs
 * (test/recorded/htcondor/SOURCES.md), and the generated job files of `mlprof submit --dry-run`
 * against golden files (UPDATE_GOLDEN=1 rewrites them).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { htcondor } from "../../src/batch/htcondor/index.js";
import {
  adJobId,
  condorStatus,
  parseAutoformat,
  parseCondorJson,
  parseCondorSubmit,
} from "../../src/batch/htcondor/parse.js";
import type { SubmitFileContext } from "../../src/batch/system.js";
import type { ExecOptions, ExecResult, Shell } from "../../src/remote/shell.js";
import { EXAMPLES, REPO, listFiles, mlprof, tempData } from "../helpers/cli.js";

const RECORDED = join(REPO, "test", "recorded", "htcondor");
const GOLDEN = join(REPO, "test", "golden");
const recorded = (name: string) => readFileSync(join(RECORDED, name), "utf8");

describe("HTCondor outputs recorded from real installations", () => {
  test("condor_submit: the cluster and the number of jobs", () => {
    assert.deepEqual(parseCondorSubmit(recorded("condor_submit.txt")), { cluster: 837, count: 100 });
    assert.deepEqual(parseCondorSubmit("3.0 - 3.9\n"), { cluster: 3, count: 10 });
    assert.throws(() => parseCondorSubmit("ERROR: on Line 7 of submit file"), /cannot find the cluster id/);
  });

  test("condor_q -json: a real running job with expressions, floats and booleans", () => {
    const ads = parseCondorJson(recorded("condor_q_json_running.json"));
    assert.equal(ads.length, 1);
    assert.equal(adJobId(ads[0]!), "3472942.81");
    assert.deepEqual(condorStatus(ads[0]!), { state: "running" });
    assert.deepEqual(parseCondorJson(""), [], "no matching job prints nothing");
    assert.throws(
      () => parseCondorJson("-- Failed to fetch ads from: <127.0.0.1:9618>"),
      /cannot parse the JSON output/,
    );
  });

  test("condor_history -af:v, of a job whose exit status was lost", () => {
    const [ad] = parseAutoformat(
      recorded("condor_history_af.txt"),
      ["ProcId", "JobStatus", "ExitStatus", "CompletionDate"],
      {
        comma: true,
      },
    );
    assert.deepEqual(ad, { ProcId: 0, JobStatus: 4, ExitStatus: 0, CompletionDate: 1471518210 });
    // completed with no failure recorded: only its outputs can show that it failed
    assert.deepEqual(condorStatus(ad!), { state: "finished", exitCode: 0 });
  });

  test("a held job: its hold reason and code become the failure message", () => {
    const line = recorded("condor_q_hold.txt")
      .split("\n")
      .find((l) => /^\s*\d+\.\d+\s/.test(l))!;
    const m = /^\s*(\d+)\.(\d+)\s+\S+\s+\S+\s+\S+\s+(\d+)\/(\d+)\s+(.*)$/.exec(line)!;
    const ad = {
      ClusterId: Number(m[1]),
      ProcId: Number(m[2]),
      JobStatus: 5,
      HoldReasonCode: Number(m[3]),
      HoldReasonSubCode: Number(m[4]),
      HoldReason: m[5],
    };
    assert.deepEqual(condorStatus(ad), {
      state: "held",
      reason:
        "held: Error from slot1@ep: Job has gone over cgroup memory limit of 20096 megabytes (HoldReasonCode 32/0)",
    });
    // the same job as -af:j prints it (HoldReason last: it has spaces)
    const [af] = parseAutoformat(
      `215.0 5 undefined false undefined 32 ${m[5]}`,
      ["JobStatus", "ExitCode", "ExitBySignal", "ExitSignal", "HoldReasonCode", "HoldReason"],
      {
        jobId: true,
      },
    );
    assert.equal(adJobId(af!), "215.0");
    assert.equal(condorStatus(af!).state, "held");
  });

  test("other states: removed, completed with an exit code or a signal", () => {
    assert.deepEqual(condorStatus({ JobStatus: 3, RemoveReason: "via condor_rm (by user jdoe)" }), {
      state: "failed",
      reason: "removed: via condor_rm (by user jdoe)",
    });
    assert.deepEqual(condorStatus({ JobStatus: 4, ExitCode: 2 }), {
      state: "failed",
      exitCode: 2,
      reason: "exit code 2",
    });
    assert.deepEqual(condorStatus({ JobStatus: 4, ExitBySignal: true, ExitSignal: 9 }), {
      state: "failed",
      reason: "killed by signal 9",
    });
    assert.equal(condorStatus({ JobStatus: 1 }).state, "pending");
    assert.equal(condorStatus({ JobStatus: 6 }).state, "running");
  });
});

/** A shell that answers HTCondor commands with recorded outputs and remembers the calls. */
class RecordedShell implements Shell {
  readonly label = "recorded";
  readonly calls: string[][] = [];
  constructor(private readonly answers: Record<string, ExecResult>) {}
  async exec(argv: string[], _opts?: ExecOptions): Promise<ExecResult> {
    this.calls.push(argv);
    return this.answers[argv[0]!] ?? { exitCode: 127, stdout: "", stderr: `${argv[0]}: command not found` };
  }
  async putFile(): Promise<void> {}
  async putLocalFile(): Promise<void> {}
  async getFile(): Promise<void> {}
  async close(): Promise<void> {}
}

describe("the HTCondor job manager with recorded outputs", () => {
  const ctx = (rows: number): SubmitFileContext => ({
    scan: "s",
    version: "v1",
    n: 1,
    jobDir: "/afs/x/jobs",
    jobName: "mlprof-s-v1",
    rows: Array.from({ length: rows }, (_, i) => ({ jobId: `j${i}`, items: String(i) })),
    stageOut: "transfer",
    transferInput: [],
    settings: {
      requestCpus: 1,
      requestMemoryMb: 2000,
      jobFlavour: "espresso",
      workerOs: "el9",
      x509Proxy: false,
      partition: "",
      timeLimit: "",
      extra: [],
    },
  });

  test("submit: row i is <cluster>.<i>; a count that differs from the table is an error", async () => {
    const shell = new RecordedShell({
      condor_submit: { exitCode: 0, stdout: recorded("condor_submit.txt"), stderr: "" },
    });
    const ids = await htcondor.submit(shell, ctx(100), {});
    assert.equal(ids[0], "837.0");
    assert.equal(ids[99], "837.99");
    assert.deepEqual(shell.calls[0], ["condor_submit", "/afs/x/jobs/submit_1.sub"]);
    await assert.rejects(htcondor.submit(shell, ctx(3), {}), /queued 100 jobs in cluster 837, expected 3/);
  });

  test("query: condor_q, then condor_history for the rest; unknown ids are gone", async () => {
    const shell = new RecordedShell({
      condor_q: { exitCode: 0, stdout: recorded("condor_q_json_running.json"), stderr: "" },
      condor_history: { exitCode: 0, stdout: "", stderr: "" },
    });
    const states = await htcondor.query(shell, ["3472942.81", "3472942.82"], {}, "mlprof-s-v1");
    assert.deepEqual(states.get("3472942.81"), { state: "running" });
    assert.deepEqual(states.get("3472942.82"), { state: "gone" });
    assert.equal(shell.calls[0]![0], "condor_q");
    assert.ok(shell.calls[0]!.includes("-json") && shell.calls[0]!.includes("3472942"));
    assert.deepEqual(shell.calls[1]!.slice(0, 4), ["condor_history", "3472942", "-match", "1"]);
  });

  test("query falls back to -af:j where -json is unknown", async () => {
    const shell = new RecordedShell({});
    let n = 0;
    shell.exec = async (argv) => {
      shell.calls.push(argv);
      if (argv.includes("-json")) return { exitCode: 1, stdout: "", stderr: "Error: unknown option -json" };
      n++;
      return {
        exitCode: 0,
        stdout: n === 1 ? "215.0 5 undefined false undefined 32 Error from slot1@ep: over memory\n" : "",
        stderr: "",
      };
    };
    const states = await htcondor.query(shell, ["215.0"], {}, "x");
    assert.equal(states.get("215.0")!.state, "held");
    assert.match(states.get("215.0")!.reason!, /over memory \(HoldReasonCode 32\)/);
  });
});

/** Replaces the machine-specific parts of generated files. */
function normalize(text: string, data: string): string {
  return text
    .split(data)
    .join("<DATA>")
    .split(REPO)
    .join("<MLP_BASE>")
    .split(process.execPath)
    .join("<NODE>")
    .replace(/MLProf \S+\)/, "MLProf <REVISION>)");
}

function checkGolden(name: string, actual: string): void {
  const file = join(GOLDEN, name);
  if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
    mkdirSync(resolve(file, ".."), { recursive: true });
    writeFileSync(file, actual);
    if (process.env.UPDATE_GOLDEN !== "1")
      assert.fail(`golden file ${file} was missing and has been written; check it in`);
    return;
  }
  assert.equal(
    actual,
    readFileSync(file, "utf8"),
    `${name} differs from its golden file (UPDATE_GOLDEN=1 rewrites it)`,
  );
}

describe("generated job files (submit --dry-run) against golden files", () => {
  const data = tempData();
  after(() => data.cleanup());
  const dnn = join(EXAMPLES, "dnn");

  async function dryRun(name: string, args: string[]): Promise<{ dir: string; listed: string[] }> {
    const res = await mlprof(["submit", "--dry-run", "--scan-name", name, ...args], data.env);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const listed = res.stdout
      .split("\n")
      .filter((l) => l.startsWith("  /"))
      .map((l) => l.trim().split(" ")[0]!);
    for (const f of listed.filter((f) => !f.endsWith("mlprof.tar.gz")))
      assert.ok(existsSync(f), `${f} was listed and written`);
    return { dir: join(data.store, "Scans", name, "v1", "jobs"), listed };
  }

  test("HTCondor with output transfer on this machine", async () => {
    const { dir, listed } = await dryRun("condor", [
      "--batch-system",
      "htcondor",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_onnx_l{10,20}u128.yaml"),
      "--model-names",
      "l10,l20",
      "--model-labels",
      "DNN 10x128,DNN 20x128",
      "--batch-sizes",
      "1,2,4",
      "--n-calls",
      "20",
      "--x509-proxy",
      "no",
    ]);
    assert.deepEqual(listFiles(dir), ["job.sh", "jobs_1.txt", "submit_1.sub"]);
    assert.deepEqual(
      listed.map((f) => f.slice(dir.length + 1)),
      ["job.sh", "jobs_1.txt", "submit_1.sub"],
    );
    for (const f of listFiles(dir))
      checkGolden(`htcondor/${f}`, normalize(readFileSync(join(dir, f), "utf8"), data.dir));
    assert.ok(
      !existsSync(join(data.store, "Scans", "condor", "v1", "manifest.json")),
      "a dry run submits nothing",
    );
  });

  test("lxbatch: over SSH, MLProf as a tarball, CMSSW payload grouped per release, stage-out to EOS, grid proxy", async () => {
    const { dir, listed } = await dryRun("lxbatch", [
      "--batch-system",
      "htcondor",
      "--ssh-host",
      "user@lxplus.cern.ch",
      "--remote-dir",
      "/afs/cern.ch/work/u/user/mlprof",
      "--worker-mlprof",
      "tarball",
      "--worker-node",
      "node",
      "--worker-setup",
      "source /cvmfs/sft.cern.ch/lcg/views/LCG_106/x86_64-el9-gcc13-opt/setup.sh",
      "--stage-out",
      "xrootd",
      "--xrootd-url",
      "root://eosuser.cern.ch//eos/user/u/user/mlprof",
      "--x509-proxy",
      "yes",
      "--job-flavour",
      "espresso",
      "--group",
      "release",
      "--executor",
      "cmssw",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_onnx_l10u128.yaml"),
      "--model-names",
      "l10",
      "--batch-sizes",
      "1,8",
      "--cmssw-versions",
      "CMSSW_13_3_1,CMSSW_14_1_0_pre4",
    ]);
    assert.ok(
      listed.some((f) => f.endsWith("mlprof.tar.gz")),
      "the tarball is listed",
    );
    for (const f of listFiles(dir))
      checkGolden(`lxbatch/${f}`, normalize(readFileSync(join(dir, f), "utf8"), data.dir));
  });

  test("Slurm with a shared folder", async () => {
    const { dir } = await dryRun("slurm", [
      "--batch-system",
      "slurm",
      "--slurm-partition",
      "short",
      "--batch-extra=--account=cms",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_onnx_l10u128.yaml"),
      "--model-names",
      "l10",
      "--batch-sizes",
      "1,2",
    ]);
    checkGolden("slurm/submit_1.sh", normalize(readFileSync(join(dir, "submit_1.sh"), "utf8"), data.dir));
    checkGolden("slurm/job.sh", normalize(readFileSync(join(dir, "job.sh"), "utf8"), data.dir));
  });

  test("refusals: stage-out the system cannot do, a release comparison with the standalone payload", async () => {
    const a = await mlprof(
      [
        "submit",
        "--dry-run",
        "--batch-system",
        "slurm",
        "--stage-out",
        "transfer",
        "--version",
        "v1",
        "--model-files",
        join(dnn, "model_onnx_l10u128.yaml"),
      ],
      data.env,
    );
    assert.equal(a.code, 1);
    assert.match(a.stderr, /--stage-out transfer is not possible with slurm; use shared or xrootd/);
    const b = await mlprof(
      [
        "submit",
        "--dry-run",
        "--version",
        "v1",
        "--model-files",
        join(dnn, "model_onnx_l10u128.yaml"),
        "--cmssw-versions",
        "CMSSW_13_3_1,CMSSW_14_1_0_pre4",
      ],
      data.env,
    );
    assert.equal(b.code, 1);
    assert.match(
      b.stderr,
      /standalone payload \(--executor local\) measures the engines installed on the workers/,
    );
    assert.match(b.stderr, /hint: measure each release's engine versions with --engine-versions release/);
    // emulating each release's engines on the workers is a release scan the standalone payload can do
    const emulated = await mlprof(
      [
        "submit",
        "--dry-run",
        "--scan-name",
        "emulated",
        "--version",
        "v1",
        "--model-files",
        join(dnn, "model_onnx_l10u128.yaml"),
        "--batch-sizes",
        "1",
        "--cmssw-versions",
        "CMSSW_13_3_1,CMSSW_14_1_0_pre4",
        "--engine-versions",
        "release",
      ],
      data.env,
    );
    assert.equal(emulated.code, 0, emulated.stderr);
    const jobScript = readFileSync(join(data.store, "Scans", "emulated", "v1", "jobs", "job.sh"), "utf8");
    assert.match(jobScript, /RUN_FLAGS=\(.* --engine-versions release /);
    const c = await mlprof(
      [
        "submit",
        "--dry-run",
        "--ssh-host",
        "lxplus.cern.ch",
        "--version",
        "v1",
        "--model-files",
        join(dnn, "model_onnx_l10u128.yaml"),
      ],
      data.env,
    );
    assert.equal(c.code, 1);
    assert.match(c.stderr, /--remote-dir is required with --ssh-host/);
  });
});
