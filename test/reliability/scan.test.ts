/**
 * Hostile cases of scans: the job-state table (every change of a job's state through one function), a
 * submission that crashed before its batch ids were recorded (found again in a real loopback Slurm, or
 * submitted once more), scan files that are FIFOs, folders or too large, scan-file values typed by YAML
 * (1.10, 0x1F, 0x14), --batch-extra options that MLProf sets itself, corrupt manifest fields, a copied
 * store whose manifest names the original's job folder, job folders and staged outputs behind symbolic
 * links. Each is refused with a message naming the file, the job or the option, or handled as documented.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  JOB_STATES,
  JOB_TRANSITIONS,
  STATE_SETS,
  setJobState,
  type JobState,
  type Manifest,
  type ManifestJob,
} from "../../src/scan/manifest.js";
import { planJobs } from "../../src/scan/jobfiles.js";
import { scanFromRaw } from "../../src/scan/scan.js";
import { ScanSession } from "../../src/scan/session.js";
import { LocalShell } from "../../src/remote/shell.js";
import { EXAMPLES, REPO, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { waitFor } from "../helpers/services/common.js";
import { SLURM_COMMANDS, startSlurm, type TestSlurm } from "../helpers/services/slurm.js";
import { readManifestOf } from "../helpers/services/scan.js";
import { describeUnless, firstSkip, needCommands, needRoot } from "../helpers/skip.js";

const data = tempData();
after(() => data.cleanup());
const model = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");

describe("job states: one table, one function", () => {
  // the rules as the README states them, written out here independently of the source's table
  const allowed: Record<JobState, JobState[]> = {
    created: ["submitting", "done", "cancelled"],
    submitting: ["pending", "created", "failed"],
    pending: ["running", "held", "done", "failed", "cancelled"],
    running: ["pending", "held", "done", "failed", "cancelled"],
    held: ["pending", "running", "done", "failed", "cancelled"],
    failed: ["submitting", "done", "cancelled"],
    cancelled: ["submitting", "done"],
    done: [],
  };
  const m = { scan: { name: "states", version: "v1" } } as Manifest;
  const job = (state: JobState): ManifestJob => ({
    id: "j0003",
    measurements: [0],
    state,
    attempts: [],
    reason: "before",
  });

  test("every one of the 64 changes is allowed or refused as the table says", () => {
    assert.deepEqual(Object.keys(JOB_TRANSITIONS).sort(), [...JOB_STATES].sort());
    for (const from of JOB_STATES) {
      for (const to of JOB_STATES) {
        const j = job(from);
        const ok = from === to || allowed[from].includes(to);
        if (ok) {
          setJobState(m, j, to, { reason: "after" });
          assert.equal(j.state, to, `${from} → ${to}`);
          assert.equal(j.reason, "after");
        } else {
          assert.throws(
            () => setJobState(m, j, to),
            (err: Error) =>
              err.message.startsWith(`scan states/v1: job j0003 cannot go from ${from} to ${to} (`),
            `${from} → ${to} must be refused`,
          );
          assert.equal(j.state, from, "a refused change changes nothing");
          assert.equal(j.reason, "before");
        }
      }
    }
  });

  test("a done job is final: the error names the scan, the job and what it may do", () => {
    assert.throws(
      () => setJobState(m, job("done"), "submitting"),
      /^MlprofError: scan states\/v1: job j0003 cannot go from done to submitting \(from done it may go to nothing: it is final\)$/,
    );
  });

  test("the named sets: active within queued, and every state in one of active, submitting, submittable, done", () => {
    const set = (k: keyof typeof STATE_SETS) => [...STATE_SETS[k]] as string[];
    assert.deepEqual(set("active"), ["pending", "running", "held"]);
    assert.deepEqual(set("queued"), ["submitting", ...set("active")]);
    const parts = [...set("active"), "submitting", ...set("submittable"), ...set("terminal")];
    assert.deepEqual([...parts].sort(), [...JOB_STATES].sort());
    assert.equal(new Set(parts).size, parts.length, "the parts do not overlap");
    // a job that may be submitted is never one the batch system has
    for (const s of set("submittable")) assert.ok(!set("queued").includes(s), s);
  });

  test("no module but the manifest assigns a job's state", () => {
    const files = listFiles(join(REPO, "src")).filter((f) => f.endsWith(".ts"));
    const assigning = files.filter(
      (f) =>
        !f.endsWith("scan/manifest.ts") &&
        /\b(job|j)\.state\s*=[^=]/.test(readFileSync(join(REPO, "src", f), "utf8")),
    );
    assert.deepEqual(assigning, []);
  });
});

describe("scan files read as the command line reads flags", () => {
  const dir = join(data.dir, "scanfiles");
  mkdirSync(dir, { recursive: true });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const dry = (scanFile: string, ...extra: string[]) =>
    mlprof(["submit", "--dry-run", "--batch-system", "slurm", "--scan", scanFile, ...extra], data.env);

  // before the fix the read blocked for ever: the timeout makes that a failure
  test(
    "a FIFO as the scan file is refused at once, named (it would block the read)",
    { timeout: 60_000 },
    async () => {
      const fifo = join(dir, "fifo.yaml");
      execFileSync("mkfifo", [fifo]);
      const started = Date.now();
      const r = await dry(fifo);
      assert.equal(r.code, 1, r.stderr);
      assert.equal(
        r.stderr.split("\n")[0],
        `error: scan file ${fifo}: expected a regular file, found a FIFO (named pipe)`,
      );
      assert.ok(Date.now() - started < 30_000, "refused before any read");
    },
  );

  test("a folder, and a file beyond 1 MiB, as the scan file", async () => {
    const folder = join(dir, "folder.yaml");
    mkdirSync(folder);
    const r1 = await dry(folder);
    assert.equal(r1.code, 1);
    assert.match(r1.stderr, new RegExp(`scan file ${folder}: expected a regular file, found a folder`));
    const big = file("big.yaml", `version: v1\n# ${"x".repeat(1024 * 1024)}\n`);
    const r2 = await dry(big);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /scan file .*big\.yaml: expected at most 1048576 bytes, found 1048591/);
  });

  test("version: 1.10 stays 1.10 and 0x1F stays 0x1F (not 1.1 and 31)", async () => {
    for (const version of ["1.10", "0x1F"]) {
      const path = file(
        `typed-${version}.yaml`,
        `version: ${version}\nmodel-files: ${model}\nbatch-sizes: 1\n`,
      );
      const r = await dry(path);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`scan typed-${version}/${version} would be submitted`));
      assert.ok(existsSync(join(data.store, "Scans", `typed-${version}`, version, "jobs", "job.sh")));
    }
  });

  test("n-calls: 0x14 is refused as --n-calls 0x14 is, naming the file", async () => {
    const path = file("hex.yaml", `version: v1\nmodel-files: ${model}\nbatch-sizes: 1\nn-calls: 0x14\n`);
    const r = await dry(path);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr.split("\n")[0],
      `error: scan file ${path}: --n-calls: expected an integer, found '0x14'`,
    );
    const flag = await mlprof(
      ["submit", "--dry-run", "--version", "v1", "--model-files", model, "--n-calls", "0x14"],
      data.env,
    );
    assert.match(flag.stderr, /--n-calls: expected an integer, found '0x14'/);
  });

  test("batch sizes in YAML's octal or float forms are refused, not converted", async () => {
    const path = file("octal.yaml", `version: v1\nmodel-files: ${model}\nbatch-sizes: [0o10, 1.0]\n`);
    const r = await dry(path);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /scan file .*octal\.yaml: --batch-sizes: expected an integer, found '0o10'/);
  });

  test("a mapping as a value is refused, naming the key", async () => {
    const path = file("map.yaml", `version: v1\nmodel-files: ${model}\nbatch-sizes: {a: 1}\n`);
    const r = await dry(path);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /scan file .*map\.yaml: 'batch-sizes': expected a value or a list of values, found a mapping/,
    );
  });
});

describe("--batch-extra cannot override what MLProf sets", () => {
  const dry = (system: string, extra: string) =>
    mlprof(
      [
        "submit",
        "--dry-run",
        "--scan-name",
        "extra",
        "--version",
        "v1",
        "--model-files",
        model,
        "--batch-system",
        system,
        ...(system === "htcondor" ? ["--x509-proxy", "no"] : []),
        `--batch-extra=${extra}`,
      ],
      data.env,
    );
  const cases: [string, string, RegExp][] = [
    [
      "slurm",
      "--output=/tmp/elsewhere.out",
      /--batch-extra \(slurm\): --output is set by MLProf in every submit script \(collect reads the job logs at logs\/slurm-%A_%a\.out\), found "--output=\/tmp\/elsewhere\.out"/,
    ],
    [
      "slurm",
      "--out=/tmp/x",
      /--batch-extra \(slurm\): --out \(sbatch may read it as --output\) is set by MLProf/,
    ],
    ["slurm", "-o /tmp/x", /--batch-extra \(slurm\): -o is set by MLProf .*found "-o \/tmp\/x"/],
    [
      "slurm",
      "--job-name=other",
      /--job-name is set by MLProf .*collect finds the scan's jobs by their name/,
    ],
    ["slurm", "--mem-per-cpu=4G", /--mem-per-cpu is set by MLProf .*use --request-memory/],
    [
      "htcondor",
      "+MaxRuntime = 60",
      /--batch-extra \(htcondor\): '\+MaxRuntime' is set by MLProf in every submit file \(use --walltime\)/,
    ],
    ["htcondor", "Output = /tmp/x", /'Output' is set by MLProf .*collect reads the job logs/],
    ["htcondor", 'transfer_output_remaps = "a=b"', /'transfer_output_remaps' is set by MLProf/],
  ];
  for (const [system, extra, message] of cases) {
    test(`${system}: ${extra}`, async () => {
      const r = await dry(system, extra);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
    });
  }
  test("options MLProf does not set still pass (--account, --mem-bind, +AccountingGroup)", async () => {
    for (const [system, extra] of [
      ["slurm", "--account=cms"],
      ["slurm", "--mem-bind=local"],
      ["htcondor", '+AccountingGroup = "group_u_CMS.u_zh"'],
    ] as const) {
      const r = await dry(system, extra);
      assert.equal(r.code, 0, r.stderr);
    }
  });
});

/** A manifest of scan <name>/v1 in a store, as mlprof submit writes it, with `edit` applied. */
function writeManifest(
  store: string,
  name: string,
  edit: (m: Record<string, unknown>) => void = () => {},
): string {
  const dir = join(store, "Scans", name, "v1");
  const jobDir = join(dir, "jobs");
  mkdirSync(join(jobDir, "outputs"), { recursive: true });
  const m: Record<string, unknown> = {
    format: 1,
    scan: {
      name,
      version: "v1",
      hash: "x",
      args: { version: "v1", "model-files": [model], "batch-sizes": [1, 2] },
    },
    target: {
      batchSystem: "slurm",
      jobDir,
      stageOut: "shared",
      outputBase: join(jobDir, "outputs"),
      batchEnv: {},
      retries: 2,
      jobName: `mlprof-${name}-v1`,
      settings: { requestCpus: 1, requestMemoryMb: 2000, extra: [], parallelJobs: 0, cpuIsolation: "none" },
      transferInput: [],
    },
    createdAt: "2026-12-01T10:00:00.000Z",
    updatedAt: "2026-12-01T10:00:00.000Z",
    submissions: 1,
    jobs: [
      {
        id: "j0000",
        measurements: [0],
        state: "failed",
        final: true,
        attempts: [{ batchId: "7_0", submission: 1, at: "" }],
      },
      {
        id: "j0001",
        measurements: [1],
        state: "failed",
        final: true,
        attempts: [{ batchId: "7_1", submission: 1, at: "" }],
      },
    ],
    outputs: [],
  };
  edit(m);
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(m, null, 1));
  return join(dir, "manifest.json");
}

describe("corrupt manifests: one error naming the file, the job and the field", () => {
  const jobs = (m: Record<string, unknown>) => m["jobs"] as Record<string, unknown>[];
  const cases: [string, (m: Record<string, unknown>) => void, RegExp][] = [
    [
      "a batch id with a '/' (it becomes part of a log path cleanup removes)",
      (m) => ((jobs(m)[1]!["attempts"] as Record<string, unknown>[])[0]!["batchId"] = "../../../etc/x"),
      /manifest\.json: job j0001: field 'jobs\[1\]\.attempts\[0\]\.batchId': expected a batch id .*found string "\.\.\/\.\.\/\.\.\/etc\/x"/,
    ],
    [
      "a job id that leaves the stage area",
      (m) => (jobs(m)[0]!["id"] = "../outside"),
      /manifest\.json: job #1: field 'jobs\[0\]\.id': expected a job id such as j0003, found string "\.\.\/outside"/,
    ],
    [
      "a measurement index that is a string",
      (m) => (jobs(m)[1]!["measurements"] = ["1"]),
      /manifest\.json: job j0001: field 'jobs\[1\]\.measurements\[0\]': expected a number, found string "1"/,
    ],
    [
      "a measurement index beyond the scan's",
      (m) => (jobs(m)[1]!["measurements"] = [5]),
      /manifest\.json: job j0001: field 'jobs\[1\]\.measurements\[0\]': expected a measurement of the scan \(0 to 1\), found 5/,
    ],
    [
      "a stage-out mode that does not exist",
      (m) => ((m["target"] as Record<string, unknown>)["stageOut"] = "ftp"),
      /manifest\.json: field 'target\.stageOut': expected one of transfer, shared, xrootd, found string "ftp"/,
    ],
  ];
  for (const [name, edit, message] of cases) {
    test(name, async () => {
      const scan = `corrupt${cases.findIndex((c) => c[0] === name)}`;
      const path = writeManifest(data.store, scan, edit);
      const before = readFileSync(path, "utf8");
      const r = await mlprof(["cleanup", "--scan-name", scan, "--version", "v1"], data.env);
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.split("\n").filter((l) => l.startsWith("error:")).length, 1);
      assert.equal(readFileSync(path, "utf8"), before, "the manifest is left as it was");
    });
  }
});

describe("cleanup removes only the scan's own folders", () => {
  test("a store copied elsewhere: its manifest names the original's job folder, which stays", async () => {
    const original = join(data.dir, "store-a");
    writeManifest(original, "copied");
    const job = join(original, "Scans", "copied", "v1", "jobs");
    writeFileSync(join(job, "job.sh"), "#!/bin/sh\n");
    const copy = join(data.dir, "store-b");
    cpSync(original, copy, { recursive: true });
    const r = await mlprof(["cleanup", "--scan-name", "copied", "--version", "v1"], {
      ...data.env,
      MLP_STORE: copy,
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(
        `refusing to clean up ${job}: it is not the job folder of scan copied/v1 \\(expected ${join(copy, "Scans", "copied", "v1", "jobs")} or <remote dir>/copied/v1\\)`,
      ),
    );
    assert.ok(existsSync(join(job, "job.sh")), "the original's job folder stays");
    // its own store cleans it up
    const own = await mlprof(["cleanup", "--scan-name", "copied", "--version", "v1"], {
      ...data.env,
      MLP_STORE: original,
    });
    assert.equal(own.code, 0, own.stderr);
    assert.ok(!existsSync(job));
  });

  test("a job folder that is a symbolic link out of the scan's folder is refused, its target stays", async () => {
    const store = join(data.dir, "store-link");
    writeManifest(store, "linked");
    const jobs = join(store, "Scans", "linked", "v1", "jobs");
    const elsewhere = join(data.dir, "precious");
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, "thesis.tex"), "x");
    rmSync(jobs, { recursive: true });
    symlinkSync(elsewhere, jobs);
    const r = await mlprof(["cleanup", "--scan-name", "linked", "--version", "v1"], {
      ...data.env,
      MLP_STORE: store,
    });
    assert.equal(r.code, 1, r.stdout);
    assert.match(
      r.stderr,
      new RegExp(
        `refusing to clean up ${jobs}: its real path is ${elsewhere}, not ${jobs}: a symbolic link leads out`,
      ),
    );
    assert.ok(existsSync(join(elsewhere, "thesis.tex")));
  });
});

describe("staged outputs behind symbolic links", () => {
  const store = join(data.dir, "store-stage");
  before(() => {
    process.env.MLP_STORE = store;
  });
  after(() => {
    delete process.env.MLP_STORE;
  });
  const sha = "ab".repeat(32);
  /** A scan of one measurement, its manifest (the job running) and its stage folder with valid outputs. */
  const setup = (name: string) => {
    // a version per case: the store's outputs of one case are not another's
    const scan = scanFromRaw({
      version: name,
      "model-files": model,
      "batch-sizes": "1",
      "n-events": "2",
      "n-calls": "3",
      "scan-name": name,
    });
    const jobDir = join(data.dir, `stage-${name}`);
    const manifest = {
      format: 1,
      scan: { name, version: name, hash: scan.hash, args: {} },
      target: { batchSystem: "slurm", jobDir, stageOut: "shared", outputBase: join(jobDir, "outputs") },
      models: [{ name: scan.models[0]!.name, file: scan.models[0]!.file, engine: "onnx", graphSha256: sha }],
      jobs: planJobs(scan, "none").map((p) => ({
        ...p,
        state: "running",
        attempts: [{ batchId: "1_0", submission: 1, at: "" }],
      })),
    } as unknown as Manifest;
    const meta = {
      measurement: { batchSize: 1, nEvents: 2, nCalls: 3, repeats: 3 },
      model: { engine: "onnx", graphSha256: sha },
      cmssw: { version: scan.releases[0], scramArch: scan.archs[0], executor: "local" },
    };
    const out = join(jobDir, "outputs", "j0000");
    mkdirSync(join(out, "m0"), { recursive: true });
    writeFileSync(join(out, "status"), "exit_code=0\n");
    writeFileSync(join(out, "m0", "runtime_bs_1.json"), JSON.stringify(meta));
    const rows = "1,0.25\n".repeat(18);
    const session = new ScanSession(scan, manifest, new LocalShell());
    return { session, job: manifest.jobs[0]!, out, rows };
  };
  const finished = new Map([["1_0", { state: "finished" as const }]]);

  test("a CSV that is a link to a file inside the stage area is collected (it was 'missing')", async () => {
    const { session, job, out, rows } = setup("inside");
    mkdirSync(join(out, "kept"));
    writeFileSync(join(out, "kept", "runtime.csv"), rows);
    symlinkSync("../kept/runtime.csv", join(out, "m0", "runtime_bs_1.csv"));
    await session.harvest([job], finished);
    assert.equal(job.state, "done", job.reason);
    const [csv] = session.outputsOf(0);
    assert.equal(readFileSync(csv, "utf8"), rows);
  });

  test("a CSV that is a link out of the stage area is refused as such, not called missing", async () => {
    const { session, job, out, rows } = setup("outside");
    const secret = join(data.dir, "outside.csv");
    writeFileSync(secret, rows);
    symlinkSync(secret, join(out, "m0", "runtime_bs_1.csv"));
    await session.harvest([job], finished);
    assert.equal(job.state, "failed");
    assert.equal(
      job.reason,
      `${join(dirname(out), "j0000")}: m0/runtime_bs_1.csv is a link to ${secret}, outside the stage area: not collected`,
    );
    assert.ok(!existsSync(session.outputsOf(0)[0]), "nothing entered the store");
  });
});

const slurmSkip = firstSkip(
  () => needRoot("the single-node Slurm (slurmd)"),
  () => needCommands("slurm", SLURM_COMMANDS, "apt-get install slurm-wlm munge"),
);

describeUnless(slurmSkip, "a crashed submission on a real Slurm: neither lost nor submitted twice", () => {
  let slurm: TestSlurm;
  const d = tempData();
  const env = () => ({ ...d.env });
  // a batch size per case: the store's outputs of one case are not another's
  const args = (name: string, batchSize: string) => [
    "--batch-system",
    "slurm",
    "--batch-env",
    `SLURM_CONF=${slurm.conf}`,
    "--scan-name",
    name,
    "--version",
    "v1",
    "--model-files",
    model,
    "--batch-sizes",
    batchSize,
    "--n-calls",
    "10",
    "--n-warmup",
    "2",
    "--repeats",
    "1",
    "--cpu-isolation",
    "none",
  ];
  const manifestPath = (name: string) => join(d.store, "Scans", name, "v1", "manifest.json");
  const edit = (name: string, fn: (m: Manifest) => void) => {
    const m = JSON.parse(readFileSync(manifestPath(name), "utf8")) as Manifest;
    fn(m);
    writeFileSync(manifestPath(name), JSON.stringify(m, null, 1));
  };
  const arrays = (name: string) =>
    slurm
      .run(["squeue", "-h", "-t", "all", "-n", `mlprof-${name}-v1`, "-o", "%F"])
      .split("\n")
      .filter((v, i, all) => v && all.indexOf(v) === i);
  const collect = (name: string) =>
    mlprof(
      ["collect", "--scan-name", name, "--version", "v1", "--watch", "--interval", "2", "--timeout", "240"],
      env(),
    );

  before(async () => {
    slurm = await startSlurm();
  });
  after(async () => {
    await slurm?.stop();
    d.cleanup();
  });

  test("it reached Slurm: collect finds the array by its submit script and records its id", async () => {
    const sub = await mlprof(["submit", ...args("reached", "1")], env());
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    const id = readManifestOf(d.store, "reached").jobs[0]!.attempts[0]!.batchId;
    // as a submit killed after sbatch returned leaves it: submitting, no batch id
    edit("reached", (m) => {
      m.jobs[0]!.state = "submitting";
      m.jobs[0]!.attempts = [];
    });
    const col = await collect("reached");
    assert.equal(col.code, 0, col.stderr + col.stdout);
    assert.match(
      col.stdout,
      new RegExp(
        `j0000: submission 1 was interrupted before its batch id was recorded; slurm has it as ${id}`,
      ),
    );
    assert.match(col.stdout, /all 1 job\(s\) of scan reached\/v1 are in the store/);
    const m = JSON.parse(readFileSync(manifestPath("reached"), "utf8")) as Manifest;
    assert.equal(m.submissions, 1, "nothing was submitted again");
    assert.deepEqual(
      m.jobs[0]!.attempts.map((a) => [a.batchId, a.submission]),
      [[id, 1]],
    );
    assert.deepEqual(arrays("reached"), [id.split("_")[0]], "one array in Slurm");
    assert.ok(!existsSync(join(d.store, "Scans", "reached", "v1", "jobs", "submit_2.sh")));
  });

  test("it never reached Slurm: submitted again exactly once", async () => {
    const sub = await mlprof(["submit", ...args("lost", "2")], env());
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    const first = readManifestOf(d.store, "lost").jobs[0]!.attempts[0]!.batchId;
    await waitFor(
      "the first job to end",
      () => arrays("lost").length === 1 && slurm.run(["squeue", "-h", "-n", "mlprof-lost-v1"]).trim() === "",
      120_000,
      1000,
    );
    // as a submit killed after writing submission 2's files but before sbatch leaves it
    const jobDir = join(d.store, "Scans", "lost", "v1", "jobs");
    const table = readFileSync(join(jobDir, "jobs_1.txt"), "utf8");
    writeFileSync(join(jobDir, "jobs_2.txt"), table);
    edit("lost", (m) => {
      m.jobs[0]!.state = "submitting";
      m.submissions = 2;
    });
    const col = await collect("lost");
    assert.equal(col.code, 0, col.stderr + col.stdout);
    assert.match(
      col.stdout,
      /j0000: submission 2 was interrupted before it reached slurm; it is submitted again/,
    );
    const m = JSON.parse(readFileSync(manifestPath("lost"), "utf8")) as Manifest;
    assert.equal(m.submissions, 3, "one submission more");
    assert.deepEqual(
      m.jobs[0]!.attempts.map((a) => a.submission),
      [1, 3],
    );
    assert.equal(m.jobs[0]!.attempts[0]!.batchId, first, "the first attempt is kept");
    assert.equal(m.jobs[0]!.state, "done");
    assert.equal(arrays("lost").length, 2, "the first array and the one resubmission");
  });
});
