/**
 * HTCondor without HTCondor: its parsers and job manager against recorded real outputs
 * (test/recorded/htcondor/SOURCES.md), and the generated job files of `mlprof submit --dry-run`
 * against golden files (UPDATE_GOLDEN=1 rewrites them).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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
  scheddOf,
} from "../../src/batch/htcondor/parse.js";
import type { SubmitFileContext } from "../../src/batch/system.js";
import { readShippedHeader } from "../../src/executors/cmssw-config.js";
import type { ExecOptions, ExecResult, Shell } from "../../src/remote/shell.js";
import { EXAMPLES, REPO, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { makeProxy } from "../helpers/services/proxy.js";

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
      outOfMemory: true,
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
      removedByUser: true,
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

  test("removed by a person (condor_rm) and by the system are told apart", () => {
    assert.equal(
      condorStatus({ JobStatus: 3, RemoveReason: "via condor_rm (by user jdoe)" }).removedByUser,
      true,
    );
    const system = condorStatus({
      JobStatus: 3,
      RemoveReason: "The job attribute PeriodicRemove expression '(JobStatus == 5)' evaluated to TRUE",
    });
    assert.equal(system.state, "failed");
    assert.equal(system.removedByUser, undefined);
  });

  test("memory holds: the recorded cgroup hold, code 34 (not its disk subcode 104), a policy hold naming memory", () => {
    const line = recorded("condor_q_hold.txt")
      .split("\n")
      .find((l) => /^\s*\d+\.\d+\s/.test(l))!;
    const m = /(\d+)\/(\d+)\s+(.*)$/.exec(line)!;
    const held = (code: number, sub: number, reason: string) =>
      condorStatus({ JobStatus: 5, HoldReasonCode: code, HoldReasonSubCode: sub, HoldReason: reason })
        .outOfMemory;
    assert.equal(held(Number(m[1]), Number(m[2]), m[3]!), true, "the manual's over-memory hold");
    assert.equal(held(34, 102, "Job has gone over memory limit of 2048 megabytes."), true);
    assert.equal(held(34, 104, "Job has gone over its disk limit"), undefined);
    assert.equal(held(26, 0, "SYSTEM_PERIODIC_HOLD: memory usage exceeded request_memory"), true);
    assert.equal(held(26, 0, "SYSTEM_PERIODIC_HOLD: job ran too long"), undefined);
    assert.equal(held(13, 2, "Error from slot1@ep: Failed to transfer files"), undefined);
  });

  test("the schedd of a job from its GlobalJobId (recorded condor_q -json)", () => {
    const [ad] = parseCondorJson(recorded("condor_q_json_running.json"));
    assert.equal(scheddOf(ad!), "scosg16.jlab.org");
    assert.equal(scheddOf({}), undefined);
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
    rows: Array.from({ length: rows }, (_, i) => ({
      jobId: `j${i}`,
      items: String(i),
      arch: "el9_amd64_gcc12",
    })),
    stageOut: "transfer",
    transferInput: [],
    throttle: 0,
    transferConfigs: false,
    settings: {
      requestCpus: 1,
      requestMemoryMb: 2000,
      walltimeS: 1200,
      parallelJobs: 0,
      cpuIsolation: "exclusive",
      jobFlavour: "espresso",
      workerOs: "",
      osByArch: { el9_amd64_gcc12: "el9" },
      x509Proxy: false,
      maxRuntimeS: 0,
      schedd: "",
      pool: "",
      extra: [],
    },
  });
  const bctx = (schedd = "") => ({
    env: {},
    jobName: "mlprof-s-v1",
    settings: { ...ctx(1).settings, schedd },
  });

  test("submit: row i is <cluster>.<i>; a count that differs from the table is an error", async () => {
    const shell = new RecordedShell({
      condor_submit: { exitCode: 0, stdout: recorded("condor_submit.txt"), stderr: "" },
    });
    const { ids } = await htcondor.submit(shell, ctx(100), {});
    assert.equal(ids[0], "837.0");
    assert.equal(ids[99], "837.99");
    assert.deepEqual(shell.calls[0], ["condor_submit", "/afs/x/jobs/submit_1.sub"]);
    await assert.rejects(htcondor.submit(shell, ctx(3), {}), /queued 100 jobs in cluster 837, expected 3/);
  });

  test("findSubmission: the cluster whose jobs write submit_<n>.log, in the queue or the history", async () => {
    const sub = { n: 2, jobDir: "/afs/x/jobs", rows: 3 };
    const inQueue = new RecordedShell({ condor_q: { exitCode: 0, stdout: "841\n841\n841\n", stderr: "" } });
    assert.deepEqual(await htcondor.findSubmission(inQueue, sub, bctx("schedd1.cern.ch")), [
      "841.0",
      "841.1",
      "841.2",
    ]);
    assert.deepEqual(inQueue.calls[0], [
      "condor_q",
      "-name",
      "schedd1.cern.ch",
      "-constraint",
      'UserLog == "/afs/x/jobs/logs/submit_2.log"',
      "-af",
      "ClusterId",
    ]);
    const ended = new RecordedShell({
      condor_q: { exitCode: 0, stdout: "", stderr: "" },
      condor_history: { exitCode: 0, stdout: "839\n", stderr: "" },
    });
    assert.deepEqual(await htcondor.findSubmission(ended, sub, bctx()), ["839.0", "839.1", "839.2"]);
    assert.deepEqual(ended.calls[1]!.slice(-4), ["-match", "1", "-af", "ClusterId"]);
    const never = new RecordedShell({
      condor_q: { exitCode: 0, stdout: "", stderr: "" },
      condor_history: { exitCode: 0, stdout: "", stderr: "" },
    });
    assert.equal(await htcondor.findSubmission(never, sub, bctx()), undefined);
  });

  test("submit records the schedd that took the jobs; queries and removals name it (-name/-pool)", async () => {
    const shell = new RecordedShell({
      condor_submit: { exitCode: 0, stdout: recorded("condor_submit.txt"), stderr: "" },
      condor_q: { exitCode: 0, stdout: recorded("condor_q_json_running.json"), stderr: "" },
      condor_history: { exitCode: 0, stdout: "", stderr: "" },
      condor_rm: { exitCode: 0, stdout: "", stderr: "" },
    });
    const result = await htcondor.submit(shell, ctx(100), {});
    assert.deepEqual(result.recorded, { schedd: "scosg16.jlab.org" });
    assert.deepEqual(shell.calls[1]!.slice(0, 2), ["condor_q", "837"]);
    shell.calls.length = 0;
    const where = {
      ...bctx("scosg16.jlab.org"),
      settings: { ...bctx("scosg16.jlab.org").settings, pool: "cm.jlab.org" },
    };
    await htcondor.query(shell, ["3472942.81"], where);
    await htcondor.cancel(shell, ["3472942.81"], where);
    assert.deepEqual(shell.calls[0]!.slice(0, 5), [
      "condor_q",
      "-name",
      "scosg16.jlab.org",
      "-pool",
      "cm.jlab.org",
    ]);
    assert.deepEqual(shell.calls.at(-1), [
      "condor_rm",
      "-name",
      "scosg16.jlab.org",
      "-pool",
      "cm.jlab.org",
      "3472942.81",
    ]);
    // a schedd given at submission is not looked up
    const given = new RecordedShell({
      condor_submit: { exitCode: 0, stdout: recorded("condor_submit.txt"), stderr: "" },
    });
    const c = ctx(100);
    c.settings["schedd"] = "bigbird18.cern.ch";
    assert.equal((await htcondor.submit(given, c, {})).recorded, undefined);
    assert.deepEqual(given.calls[0]!.slice(0, 3), ["condor_submit", "-name", "bigbird18.cern.ch"]);
  });

  test("query: condor_q, then condor_history for the rest; unknown ids are gone", async () => {
    const shell = new RecordedShell({
      condor_q: { exitCode: 0, stdout: recorded("condor_q_json_running.json"), stderr: "" },
      condor_history: { exitCode: 0, stdout: "", stderr: "" },
    });
    const states = await htcondor.query(shell, ["3472942.81", "3472942.82"], bctx());
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
        stdout: n === 1 ? "215.0 5 undefined false undefined 34 102 Error from slot1@ep: over memory\n" : "",
        stderr: "",
      };
    };
    const states = await htcondor.query(shell, ["215.0"], bctx());
    assert.equal(states.get("215.0")!.state, "held");
    assert.match(states.get("215.0")!.reason!, /over memory \(HoldReasonCode 34\/102\)/);
    assert.equal(states.get("215.0")!.outOfMemory, true);
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
    .replace(/MLProf \S+\)/, "MLProf <REVISION>)")
    .replace(/MLProf [^\s:]+: the /, "MLProf <REVISION>: the ");
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

  async function dryRun(
    name: string,
    args: string[],
    env: NodeJS.ProcessEnv = data.env,
  ): Promise<{ dir: string; listed: string[]; stdout: string }> {
    const res = await mlprof(["submit", "--dry-run", "--scan-name", name, ...args], env);
    assert.equal(res.code, 0, res.stderr + res.stdout);
    const listed = res.stdout
      .split("\n")
      .filter((l) => l.startsWith("  /"))
      .map((l) => l.trim().split(" ")[0]!);
    for (const f of listed.filter((f) => !f.endsWith("mlprof.tar.gz")))
      assert.ok(existsSync(f), `${f} was listed and written`);
    return { dir: join(data.store, "Scans", name, "v1", "jobs"), listed, stdout: res.stdout };
  }

  test("HTCondor with output transfer on this machine, a valid grid proxy passed (auto)", async () => {
    const proxy = makeProxy(6 * 60);
    const { dir, listed } = await dryRun(
      "condor",
      [
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
      ],
      { ...data.env, X509_USER_PROXY: proxy },
    );
    assert.deepEqual(listFiles(dir), ["job.sh", "jobs_1.txt", "submit_1.sub"]);
    assert.deepEqual(
      listed.map((f) => f.slice(dir.length + 1)),
      ["job.sh", "jobs_1.txt", "submit_1.sub"],
    );
    for (const f of listFiles(dir))
      checkGolden(`htcondor/${f}`, normalize(readFileSync(join(dir, f), "utf8"), data.dir));
    assert.match(readFileSync(join(dir, "submit_1.sub"), "utf8"), /^use_x509userproxy {7}= true$/m);
    assert.ok(
      !existsSync(join(data.store, "Scans", "condor", "v1", "manifest.json")),
      "a dry run submits nothing",
    );
  });

  test("lxbatch: over SSH, MLProf as a tarball from EOS, CMSSW payload per release on el8 and el9, configs rendered at submission", async () => {
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
      "no",
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
      "--scram-archs",
      "el8_amd64_gcc11,el9_amd64_gcc12",
    ]);
    assert.ok(
      listed.some((f) => f.endsWith("mlprof.tar.gz")),
      "the tarball is listed",
    );
    for (const f of ["job.sh", "jobs_1.txt", "submit_1.sub", "configs/j0000/m0_cfg.py"])
      checkGolden(`lxbatch/${f}`, normalize(readFileSync(join(dir, f), "utf8"), data.dir));
    // one job per release and architecture, each asking for the OS of its own architecture
    assert.deepEqual(readFileSync(join(dir, "jobs_1.txt"), "utf8").split("\n").filter(Boolean), [
      "j0000 0+1 el8",
      "j0001 2+3 el9",
      "j0002 4+5 el8",
      "j0003 6+7 el9",
    ]);
    assert.match(readFileSync(join(dir, "submit_1.sub"), "utf8"), /^MY\.WantOS {15}= "\$\(want_os\)"$/m);
    // every measurement has its config, shipped with its job
    assert.equal(listFiles(join(dir, "configs")).length, 8);
    assert.match(
      readFileSync(join(dir, "submit_1.sub"), "utf8"),
      /^transfer_input_files {4}= \/afs\/cern\.ch\/work\/u\/user\/mlprof\/lxbatch\/v1\/configs\/\$\(job_id\)\/$/m,
    );
  });

  test("--executor cmssw: a config per measurement of every engine, each for its own measurement, valid Python", async () => {
    const models = ["onnx_l10u128", "tf_l10u128", "tfaot_l10u128"];
    const { dir, stdout } = await dryRun("engines", [
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--executor",
      "cmssw",
      "--version",
      "v1",
      "--model-files",
      models.map((m) => join(dnn, `model_${m}.yaml`)).join(","),
      "--batch-sizes",
      "1,16",
      "--cmssw-versions",
      "CMSSW_14_1_0,CMSSW_15_0_0",
      "--scram-archs",
      "el8_amd64_gcc12,el9_amd64_gcc12",
    ]);
    assert.match(stdout, /configs \(24 cmsRun configs, one per measurement\)/);
    const table = readFileSync(join(dir, "jobs_1.txt"), "utf8").trim().split("\n");
    assert.equal(table.length, 24);
    const checked = new Set<string>();
    for (const row of table) {
      const [job, m] = row.split(" ") as [string, string];
      const file = join(dir, "configs", job, `m${m}_cfg.py`);
      const header = readShippedHeader(readFileSync(file, "utf8"))!;
      // measurements are ordered model, release, architecture, batch size
      const i = Number(m);
      assert.deepEqual(
        [header.engine, header.release, header.scramArch, header.batchSize],
        [
          models[Math.floor(i / 8)]!.split("_")[0],
          ["CMSSW_14_1_0", "CMSSW_15_0_0"][Math.floor(i / 4) % 2],
          ["el8_amd64_gcc12", "el9_amd64_gcc12"][Math.floor(i / 2) % 2],
          [1, 16][i % 2],
        ],
        file,
      );
      if (checked.has(header.engine)) continue;
      // one per engine: valid Python, as cmsRun reads it
      execFileSync("python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", file]);
      checked.add(header.engine);
    }
    assert.deepEqual([...checked], ["onnx", "tf", "tfaot"]);
  });

  test("--parallel-jobs and --walltime: max_materialize, +MaxRuntime, the rest left to collect", async () => {
    const { dir, stdout } = await dryRun("throttle", [
      "--batch-system",
      "htcondor",
      "--parallel-jobs",
      "2",
      "--walltime",
      "45m",
      "--job-flavour",
      "longlunch",
      "--x509-proxy",
      "no",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_onnx_l10u128.yaml"),
      "--model-names",
      "l10",
      "--batch-sizes",
      "1,2,4",
    ]);
    checkGolden(
      "htcondor-throttle/submit_1.sub",
      normalize(readFileSync(join(dir, "submit_1.sub"), "utf8"), data.dir),
    );
    checkGolden(
      "htcondor-throttle/jobs_1.txt",
      normalize(readFileSync(join(dir, "jobs_1.txt"), "utf8"), data.dir),
    );
    assert.match(
      stdout,
      /2 job\(s\) of scan throttle\/v1 would be submitted .*--parallel-jobs 2: 1 more wait/,
    );
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

  test("a throughput scan: streams 1,2,4,8 a dimension, each submission requests streams x threads CPUs (Slurm, exclusive)", async () => {
    const { dir, stdout } = await dryRun("streams-slurm", [
      "--batch-system",
      "slurm",
      "--cpu-isolation",
      "exclusive",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_{onnx,tfaot}_l10u128.yaml"),
      "--model-names",
      "onnx,tfaot",
      "--batch-sizes",
      "1,16",
      "--streams",
      "1,2,4,8",
      "--min-duration",
      "2",
    ]);
    // model × batch size × streams: 16 measurements, one job each, in 4 submissions by CPU request
    assert.match(stdout, /16 job\(s\) of scan streams-slurm\/v1 would be submitted to slurm/);
    assert.match(stdout, /\(4 submissions: one per memory and CPU request, of at most \d+ jobs each\)/);
    for (const [n, cpus] of [1, 2, 4, 8].entries())
      assert.match(
        stdout,
        new RegExp(`^    submission ${n + 1}: 4 job\\(s\\) of ${cpus} CPU\\(s\\) and 2000 MB$`, "m"),
      );
    const files = listFiles(dir);
    const ns = [1, 2, 3, 4];
    assert.deepEqual(files, [
      "job.sh",
      ...ns.map((n) => `jobs_${n}.txt`),
      ...ns.map((n) => `submit_${n}.sh`),
    ]);
    for (const f of files)
      checkGolden(`streams-slurm/${f}`, normalize(readFileSync(join(dir, f), "utf8"), data.dir));
    [1, 2, 4, 8].forEach((cpus, k) => {
      const submit = readFileSync(join(dir, `submit_${k + 1}.sh`), "utf8");
      assert.match(submit, new RegExp(`^#SBATCH --cpus-per-task=${cpus}$`, "m"));
      assert.match(submit, /^#SBATCH --exclusive$/m);
      // measurements are ordered model, batch size, streams: streams k of each model and batch size
      assert.deepEqual(
        readFileSync(join(dir, `jobs_${k + 1}.txt`), "utf8")
          .trim()
          .split("\n"),
        [0, 4, 8, 12].map((i) => `j${String(i + k).padStart(4, "0")} ${i + k}`),
      );
    });
    const job = readFileSync(join(dir, "job.sh"), "utf8");
    assert.match(job, /^MEAS_STREAMS=\(1 2 4 8 1 2 4 8 1 2 4 8 1 2 4 8\)$/m);
    assert.match(job, /^MEAS_CPUS=\(1 2 4 8 1 2 4 8 1 2 4 8 1 2 4 8\)$/m);
    assert.match(job, /RUN_FLAGS=\( --input-data random --threads 1 .*--min-duration 2 /);
    assert.match(job, /local args=\(MeasureThroughput /);
    assert.match(job, /args\+=\(--streams "\$\{MEAS_STREAMS\[\$i\]\}"\)/);
    execFileSync("bash", ["-n", join(dir, "job.sh")]);
  });

  test("a throughput scan on HTCondor: request_cpus is streams x --threads, one submit file per CPU request", async () => {
    const { dir } = await dryRun("streams-condor", [
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_tf_l10u128.yaml"),
      "--model-names",
      "tf",
      "--batch-sizes",
      "1",
      "--streams",
      "1,2,4,8",
      "--threads",
      "2",
    ]);
    for (const f of [1, 2, 3, 4].flatMap((n) => [`jobs_${n}.txt`, `submit_${n}.sub`]))
      checkGolden(`streams-htcondor/${f}`, normalize(readFileSync(join(dir, f), "utf8"), data.dir));
    [2, 4, 8, 16].forEach((cpus, k) => {
      const submit = readFileSync(join(dir, `submit_${k + 1}.sub`), "utf8");
      assert.match(submit, new RegExp(`^request_cpus {12}= ${cpus}$`, "m"));
      assert.match(submit, new RegExp(`^queue job_id, items, want_os from .*/jobs_${k + 1}\\.txt$`, "m"));
      assert.equal(readFileSync(join(dir, `jobs_${k + 1}.txt`), "utf8"), `j000${k} ${k} el9\n`);
    });
    assert.match(readFileSync(join(dir, "job.sh"), "utf8"), /^MEAS_CPUS=\(2 4 8 16\)$/m);
  });

  test("a throughput scan refuses latency settings, --request-cpus and the cmssw payload; throughput settings need --streams", async () => {
    const base = [
      "submit",
      "--dry-run",
      "--batch-system",
      "slurm",
      "--version",
      "v1",
      "--model-files",
      join(dnn, "model_onnx_l10u128.yaml"),
    ];
    const cases: [string[], RegExp][] = [
      [
        ["--streams", "1,2", "--n-calls", "50"],
        /--n-calls: a setting of a latency scan; a throughput scan \(--streams\) measures a window of --min-duration seconds and --min-calls calls/,
      ],
      [["--min-calls", "50"], /--min-calls: a setting of a throughput scan, which --streams makes/],
      [
        ["--streams", "1,2", "--request-cpus", "4"],
        /--request-cpus 4: a throughput scan \(--streams\) requests streams x --threads CPUs for each job/,
      ],
      [
        ["--streams", "1,2", "--executor", "cmssw"],
        /--executor cmssw: a throughput scan \(--streams\) runs the standalone payload \(--executor local\); the CMSSW plugins measure one stream/,
      ],
      [["--streams", "0"], /--streams: expected a positive integer, found 0/],
    ];
    for (const [args, message] of cases) {
      const res = await mlprof([...base, ...args], data.env);
      assert.equal(res.code, 1, `${args.join(" ")}: ${res.stdout}`);
      assert.match(res.stderr, message, args.join(" "));
    }
  });
});
