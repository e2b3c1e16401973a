/** Unit tests of the batch parts: known_hosts, output checks, Slurm parsers, scans and job planning. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import {
  parseSbatch,
  parseScontrolJobs,
  parseSqueue,
  scontrolId,
  slurmStatus,
} from "../../src/batch/slurm/parse.js";
import { checkHostKey } from "../../src/remote/known-hosts.js";
import { shq } from "../../src/util/quote.js";
import { parseSshHost } from "../../src/remote/ssh-target.js";
import { parseXrdUrl, parseXrdfsLs, xrdUrl } from "../../src/remote/xrootd.js";
import { parseStatusFile } from "../../src/scan/session.js";
import { findOverlaps, overlapSummary } from "../../src/scan/overlaps.js";
import type { Manifest, ManifestJob } from "../../src/scan/manifest.js";
import { ScanSession } from "../../src/scan/session.js";
import { formatDuration, formatProgress, progressLine, scanProgress } from "../../src/scan/scan-progress.js";
import type { Shell } from "../../src/remote/shell.js";
import { parseWalltime, slurmTime } from "../../src/batch/walltime.js";
import { classAdString, condorPath, sbatchPath } from "../../src/batch/values.js";
import { parseNotAfter } from "../../src/batch/htcondor/params.js";
import { planJobs, tarballContents } from "../../src/scan/jobfiles.js";
import { osFromArch } from "../../src/batch/htcondor/params.js";
import { loadScanFile, scanFromRaw, workerModelPath } from "../../src/scan/scan.js";
import { checkMeasurement } from "../../src/scan/validate.js";
import { parseParams } from "../../src/framework/parameters.js";
import { MEASUREMENT_PARAMS } from "../../src/tasks/params.js";
import { runSettings } from "../../src/tasks/mixins/runtime.js";
import { MlprofError } from "../../src/util/errors.js";
import { EXAMPLES, REPO } from "../helpers/cli.js";

const tmp = mkdtempSync(join(tmpdir(), "mlprof-batch-units-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("known_hosts", () => {
  const key = randomBytes(51);
  const other = randomBytes(51);
  const b64 = key.toString("base64");
  test("plain names, [host]:port, wildcards and negation", () => {
    assert.equal(checkHostKey(`lxplus.cern.ch ssh-ed25519 ${b64}\n`, "lxplus.cern.ch", 22, key), "ok");
    assert.equal(checkHostKey(`[127.0.0.1]:2222 ssh-ed25519 ${b64}\n`, "127.0.0.1", 2222, key), "ok");
    assert.equal(checkHostKey(`[127.0.0.1]:2222 ssh-ed25519 ${b64}\n`, "127.0.0.1", 22, key), "unknown");
    assert.equal(
      checkHostKey(`*.cern.ch,!bad.cern.ch ssh-ed25519 ${b64}\n`, "lxplus.cern.ch", 22, key),
      "ok",
    );
    assert.equal(
      checkHostKey(`*.cern.ch,!bad.cern.ch ssh-ed25519 ${b64}\n`, "bad.cern.ch", 22, key),
      "unknown",
    );
  });
  test("hashed names (HashKnownHosts yes)", () => {
    const salt = randomBytes(20);
    const hash = createHmac("sha1", salt).update("[127.0.0.1]:2222").digest("base64");
    const line = `|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${b64}\n`;
    assert.equal(checkHostKey(line, "127.0.0.1", 2222, key), "ok");
    assert.equal(checkHostKey(line, "127.0.0.2", 2222, key), "unknown");
  });
  test("another key for a known host, and a revoked key", () => {
    assert.equal(
      checkHostKey(`# comment\nlxplus ssh-rsa ${other.toString("base64")}\n`, "lxplus", 22, key),
      "mismatch",
    );
    assert.equal(
      checkHostKey(`@revoked * ssh-ed25519 ${b64}\nlxplus ssh-ed25519 ${b64}\n`, "lxplus", 22, key),
      "revoked",
    );
  });
});

describe("checks of fetched outputs", () => {
  const json = join(tmp, "m.json");
  const csv = join(tmp, "m.csv");
  const run = {
    ...runSettings(parseParams(MEASUREMENT_PARAMS, { "n-events": "2", "n-calls": "3" })),
    repeats: 1,
  };
  const expected = {
    batchSize: 4,
    run,
    engine: "onnx",
    graphSha256: "ab".repeat(32),
    release: "CMSSW_14_1_0_pre4",
    scramArch: "el9_amd64_gcc12",
  };
  const meta = (over: Record<string, Record<string, unknown>> = {}) => ({
    measurement: { batchSize: 4, nEvents: 2, nCalls: 3, ...over.measurement },
    model: { engine: "onnx", graphSha256: "ab".repeat(32), ...over.model },
    cmssw: { version: "CMSSW_14_1_0_pre4", scramArch: "el9_amd64_gcc12", executor: "local", ...over.cmssw },
  });
  const rows = (n: number, bs = 4, v = "0.25") =>
    Array.from({ length: n }, () => `${bs},${v}`).join("\n") + "\n";
  writeFileSync(json, JSON.stringify(meta()));
  test("valid outputs pass", () => {
    writeFileSync(csv, `# batch_size: 4\n${rows(6)}`);
    assert.equal(checkMeasurement(csv, json, expected), undefined);
  });
  test("truncated, malformed, wrong batch size, non-positive, bad metadata", () => {
    writeFileSync(csv, rows(5));
    assert.match(
      checkMeasurement(csv, json, expected)!,
      /truncated CSV: 5 rows, expected n_events x n_calls = 2 x 3 = 6/,
    );
    writeFileSync(csv, rows(5) + "4,");
    assert.match(checkMeasurement(csv, json, expected)!, /truncated CSV: its last line '4,' is cut off/);
    writeFileSync(csv, rows(5) + "4;0.2\n");
    assert.match(checkMeasurement(csv, json, expected)!, /malformed CSV: .*line 6/);
    writeFileSync(csv, rows(6, 8));
    assert.match(checkMeasurement(csv, json, expected)!, /rows of batch size 8, expected 4/);
    writeFileSync(csv, rows(6, 4, "0"));
    assert.match(checkMeasurement(csv, json, expected)!, /runtime of 0 ms, expected a positive value/);
    writeFileSync(csv, rows(6));
    writeFileSync(json, '{"measurement": {"batch');
    assert.match(checkMeasurement(csv, json, expected)!, /metadata m\.json is not readable JSON/);
    writeFileSync(json, JSON.stringify(meta({ measurement: { batchSize: 2 } })));
    assert.match(checkMeasurement(csv, json, expected)!, /metadata is of batch size 2, expected 4/);
  });
  test("outputs of another model, setting or release are refused (defect 6)", () => {
    writeFileSync(csv, rows(6));
    const cases: [Record<string, Record<string, unknown>>, RegExp][] = [
      [
        { model: { graphSha256: "cd".repeat(32) } },
        /metadata is of graph file SHA-256 "cdcd.*", expected "abab/,
      ],
      [{ model: { engine: "tf" } }, /metadata is of engine "tf", expected "onnx"/],
      [{ measurement: { nCalls: 30 } }, /metadata is of n_calls 30, expected 3/],
      [{ measurement: { nEvents: 1 } }, /metadata is of n_events 1, expected 2/],
      [{ measurement: { repeats: 3 } }, /metadata is of repeats 3, expected 1/],
      [
        { cmssw: { version: "CMSSW_13_3_1" } },
        /metadata is of release "CMSSW_13_3_1", expected "CMSSW_14_1_0_pre4"/,
      ],
      [{ cmssw: { executor: "cmssw" } }, /metadata is of executor "cmssw", expected "local"/],
      [{ model: { graphSha256: undefined } }, /graph file SHA-256 \(none recorded\)/],
    ];
    for (const [over, message] of cases) {
      writeFileSync(json, JSON.stringify(meta(over)));
      assert.match(checkMeasurement(csv, json, expected) ?? "accepted", message);
    }
    writeFileSync(json, JSON.stringify(meta()));
  });
});

describe("Slurm outputs recorded on the test Slurm", () => {
  const rec = (f: string) => readFileSync(join(REPO, "test", "recorded", "slurm", f), "utf8");
  test("sbatch --parsable", () => {
    assert.equal(parseSbatch(rec("sbatch_parsable.txt")), "1");
    assert.equal(parseSbatch("12345;cluster1\n"), "12345");
  });
  test("squeue: array tasks, a held job", () => {
    const rows = parseSqueue(rec("squeue.txt"));
    const held = rows.find((r) => r.reason.startsWith("JobHeld"))!;
    assert.deepEqual(slurmStatus(held.state, held.reason), {
      state: "held",
      reason: "held: PENDING (JobHeldAdmin)",
    });
    assert.ok(rows.some((r) => /^1_\d$/.test(r.id) && slurmStatus(r.state, r.reason).state === "running"));
  });
  test("scontrol show job: completed, failed with its exit code, running", () => {
    const states = Object.fromEntries(
      parseScontrolJobs(rec("scontrol_show_job.txt")).map((r) => [
        scontrolId(r),
        slurmStatus(r["JobState"]!, r["Reason"], r["ExitCode"]),
      ]),
    );
    assert.deepEqual(states["1_2"], { state: "finished", exitCode: 0 });
    assert.deepEqual(states["1_1"], {
      state: "failed",
      exitCode: 3,
      reason: "exit code 3 (FAILED, NonZeroExitCode)",
    });
    assert.deepEqual(states["1_0"], { state: "running" });
    assert.deepEqual(slurmStatus("TIMEOUT", "None"), { state: "failed", reason: "TIMEOUT" });
    assert.deepEqual(slurmStatus("CANCELLED+", "None"), {
      state: "failed",
      reason: "CANCELLED",
      removedByUser: true,
    });
    assert.deepEqual(slurmStatus("OUT_OF_MEMORY", "None"), {
      state: "failed",
      reason: "OUT_OF_MEMORY",
      outOfMemory: true,
    });
  });
});

describe("scans", () => {
  test("brace expansion, model names, job planning", () => {
    const scan = scanFromRaw({
      version: "v1",
      "model-files": join(EXAMPLES, "dnn", "model_onnx_l{10,20}u{128,256}.yaml"),
      "batch-sizes": "8,1,2,2",
      "scan-name": "s",
    });
    assert.equal(scan.models.length, 4);
    assert.deepEqual(scan.batchSizes, [1, 2, 8]);
    assert.equal(scan.measurements.length, 12);
    assert.equal(scan.models[0]!.workerFile, "$MLP_BASE/examples/dnn/model_onnx_l10u128.yaml");
    const jobs = planJobs(scan, "none");
    assert.equal(jobs.length, 12);
    assert.deepEqual(jobs[11], { id: "j0011", measurements: [11] });
    assert.equal(planJobs(scan, "release").length, 1);
  });
  test("a scan yaml: lists, relative model paths, its name", () => {
    const dir = mkdtempSync(join(tmp, "yaml-"));
    writeFileSync(
      join(dir, "model.yaml"),
      readFileSync(join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"), "utf8").replace(
        "./onnx_graph",
        join(EXAMPLES, "dnn", "onnx_graph"),
      ),
    );
    writeFileSync(
      join(dir, "dnn-scan.yaml"),
      "version: v2\nmodel_files: [model.yaml]\nbatch-sizes: [1, 4]\nn-calls: 5\nbatch-system: slurm\n",
    );
    const raw = loadScanFile(join(dir, "dnn-scan.yaml"));
    assert.equal(raw["scan-name"], "dnn-scan");
    assert.equal(raw["batch-system"], "slurm");
    const scan = scanFromRaw(raw);
    assert.equal(scan.models[0]!.file, join(dir, "model.yaml"));
    assert.equal(scan.models[0]!.workerFile, join(dir, "model.yaml"), "outside MLProf: as is");
    assert.equal(scan.values.nCalls, 5);
  });
  test("a model outside MLProf keeps its path on the worker", () => {
    assert.equal(workerModelPath("/eos/user/u/user/model.yaml"), "/eos/user/u/user/model.yaml");
  });
});

describe("small helpers", () => {
  test("shell quoting", () => {
    assert.equal(shq("plain/path-1.2"), "plain/path-1.2");
    assert.equal(shq("it's"), `'it'\\''s'`);
    assert.equal(shq(""), "''");
    assert.equal(shq("$MLP_BASE/x"), "'$MLP_BASE/x'");
  });
  test("ssh hosts, XRootD URLs, worker OS", () => {
    assert.deepEqual(parseSshHost("me@lxplus.cern.ch:2222"), {
      host: "lxplus.cern.ch",
      port: 2222,
      user: "me",
    });
    assert.equal(parseSshHost("lxplus.cern.ch", 22, "u").port, 22);
    assert.deepEqual(parseXrdUrl("root://eosuser.cern.ch//eos/user/u/user/"), {
      server: "root://eosuser.cern.ch",
      path: "/eos/user/u/user",
    });
    assert.equal(
      xrdUrl(parseXrdUrl("root://h:1094//eos/a"), "j0001/status"),
      "root://h:1094//eos/a/j0001/status",
    );
    assert.equal(osFromArch("el9_amd64_gcc12"), "el9");
    assert.equal(osFromArch("slc7_amd64_gcc900"), "el7");
  });
});

describe("xrdfs ls -l in both forms (recorded: test/recorded/xrootd/SOURCES.md)", () => {
  const rec = (f: string) => readFileSync(join(REPO, "test", "recorded", "xrootd", f), "utf8");
  test("the long form of the loopback XRootD server", () => {
    const entries = parseXrdfsLs(rec("xrdfs_ls_l_R_long.txt"), "test");
    const files = entries.filter((e) => !e.dir).map((e) => [e.path.split("/v1/")[1], e.size]);
    assert.deepEqual(files, [
      ["j0000/status", 12],
      ["j0001/status", 12],
      ["j0000/m0/runtime_bs_1.csv", 22],
      ["j0000/m0/runtime_bs_1.json", 3],
    ]);
    assert.equal(entries.filter((e) => e.dir).length, 3);
  });
  test("the short form a server without extended stat gives (xrootd issue 403): no file lost", () => {
    const entries = parseXrdfsLs(rec("xrdfs_ls_l_short.txt"), "test");
    assert.equal(entries.length, 14);
    const files = entries.filter((e) => !e.dir);
    assert.deepEqual(
      files.map((e) => [e.path, e.size]),
      [
        ["/store/user/lannon/.__acl", 98],
        ["/store/user/lannon/chirp_test.txt", 6],
        ["/store/user/lannon/not_published.txt", 5],
        ["/store/user/lannon/test.tmp", 2809],
        ["/store/user/lannon/test.txt", 5],
        ["/store/user/lannon/test2.txt", 5],
        ["/store/user/lannon/test3.txt", 5],
      ],
    );
    // a size of 12 digits touches the time (xrootd issue 823); an entry without stat has '?'
    assert.deepEqual(parseXrdfsLs("---- 2018-03-24 23:06:12193619312112 /full/filename\n", "x"), [
      { dir: false, size: 193619312112, path: "/full/filename" },
    ]);
    assert.deepEqual(parseXrdfsLs("---- 0000-00-00 00:00:00            ? /eos/a/j0001/status\n", "x"), [
      { dir: false, size: undefined, path: "/eos/a/j0001/status" },
    ]);
  });
  test("a line of another form is an error, not a silently missing file", () => {
    assert.throws(
      () => parseXrdfsLs("-rw-r--r-- 12 /eos/x\n", "root://h//eos"),
      /cannot parse a line of `xrdfs ls -l` for root:\/\/h\/\/eos: expected .*found "-rw-r--r-- 12 \/eos\/x"/,
    );
  });
});

describe("job status files, overlaps, wall times, submit-file values", () => {
  test("a status file of job.sh, a killed one too, with the node's CPU model and count", () => {
    const s = parseStatusFile(
      "exit_code=143\nstep=measurement 1\nsignal=TERM\nhost=node1\nstarted=2026-12-01T10:00:00Z\nfinished=2026-12-01T10:00:09Z\nload_start=0.50 0.40 0.30\nload_end=1.00 0.50 0.30\ncpus_allowed=0-1\npinned=0\n",
    );
    assert.deepEqual(s, {
      exitCode: 143,
      step: "measurement 1",
      signal: "TERM",
      run: {
        host: "node1",
        started: "2026-12-01T10:00:00Z",
        finished: "2026-12-01T10:00:09Z",
        loadStart: [0.5, 0.4, 0.3],
        loadEnd: [1, 0.5, 0.3],
        cpusAllowed: "0-1",
        pinned: "0",
      },
    });
    // the node's CPU model and count (job.sh writes them since the throughput scans)
    assert.deepEqual(
      parseStatusFile(
        "exit_code=0\nstep=done\nhost=n1\nstarted=a\nfinished=b\ncpus_allowed=0-63\npinned=0-7\nnode_cpu_model=AMD EPYC 7763 64-Core Processor\nnode_cpus=64\n",
      ).run,
      {
        host: "n1",
        started: "a",
        finished: "b",
        loadStart: undefined,
        loadEnd: undefined,
        cpusAllowed: "0-63",
        pinned: "0-7",
        nodeCpuModel: "AMD EPYC 7763 64-Core Processor",
        nodeCpus: 64,
      },
    );
    // unknown on the node: left out
    const unknown = parseStatusFile("host=n1\nstarted=a\nfinished=b\nnode_cpu_model=\nnode_cpus=\n").run!;
    assert.equal("nodeCpuModel" in unknown || "nodeCpus" in unknown, false);
    // the status file of an older job.sh
    assert.deepEqual(parseStatusFile("exit_code=0\nstep=done\nhost=n\nfinished=x\n"), {
      exitCode: 0,
      step: "done",
      signal: undefined,
      run: undefined,
    });
  });
  test("jobs that ran on one node at the same time are found and named", () => {
    const run = (host: string, a: number, b: number) => ({
      host,
      started: new Date(Date.UTC(2026, 11, 1, 10, 0, a)).toISOString(),
      finished: new Date(Date.UTC(2026, 11, 1, 10, 0, b)).toISOString(),
    });
    const job = (id: string, r: ReturnType<typeof run>, state = "done") => ({
      id,
      measurements: [0],
      state,
      attempts: [{ batchId: id, submission: 1, at: "", run: r }],
    });
    const m = {
      jobs: [
        job("j0", run("n1", 0, 10)),
        job("j1", run("n1", 5, 20)),
        job("j2", run("n2", 0, 20)),
        job("j3", run("n1", 20, 30)),
      ],
    } as unknown as Manifest;
    const o = findOverlaps(m);
    assert.deepEqual(
      o.map((x) => [x.job, x.other, x.seconds]),
      [
        ["j0", "j1", 5],
        ["j1", "j0", 5],
      ],
    );
    assert.deepEqual(m.jobs[0]!.overlaps, ["j1"]);
    assert.equal(m.jobs[2]!.overlaps, undefined);
    assert.match(
      overlapSummary(m, o)[0]!,
      /2 measurement job\(s\) ran at the same time as other jobs of this scan on one node \(n1\)/,
    );
  });
  test("wall times", () => {
    assert.equal(parseWalltime("--walltime", "45m"), 2700);
    assert.equal(parseWalltime("--walltime", "1h30m"), 5400);
    assert.equal(parseWalltime("--walltime", "01:30:00"), 5400);
    assert.equal(parseWalltime("--walltime", "30:00"), 1800);
    assert.equal(parseWalltime("--walltime", "2-00:00:00"), 172800);
    assert.equal(parseWalltime("--walltime", "90"), 90);
    assert.throws(() => parseWalltime("--walltime", "soon"), /--walltime: expected a wall time such as 45m/);
    assert.throws(() => parseWalltime("--walltime", "0"), /expected a wall time/);
    assert.equal(slurmTime(5400), "1:30:00");
    assert.equal(slurmTime(172800 + 61), "2-00:01:01");
  });
  test("ClassAd strings, submit-file paths, #SBATCH paths", () => {
    assert.equal(classAdString("x", 'a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.throws(
      () => classAdString("--worker-os", 'el9"\n+Evil = 1'),
      /--worker-os: expected a single line/,
    );
    assert.equal(sbatchPath("p", "/a b/c"), '"/a b/c"');
    assert.equal(sbatchPath("p", "/a/c"), "/a/c");
    assert.throws(() => sbatchPath("p", '/a"b'), /cannot hold a path with/);
    assert.throws(() => condorPath("the job folder", "/a b"), /HTCondor submit files cannot hold this path/);
    assert.throws(
      () => condorPath("the job folder", "/a/$(x)"),
      /HTCondor submit files cannot hold this path/,
    );
  });
  test("grid proxy end dates as openssl prints them", () => {
    assert.equal(
      parseNotAfter("notAfter=May  1 20:17:28 2027 GMT")!.toISOString(),
      "2027-05-01T20:17:28.000Z",
    );
    assert.equal(
      parseNotAfter("notAfter=Dec 31 23:59:59 2026 GMT")!.toISOString(),
      "2026-12-31T23:59:59.000Z",
    );
    assert.equal(parseNotAfter("notAfter=soon"), undefined);
  });
  test("SSH ports are checked at once", () => {
    assert.throws(
      () => parseSshHost("lxplus.cern.ch:99999"),
      /--ssh-host lxplus\.cern\.ch:99999: expected a port from 1 to 65535, found 99999/,
    );
    assert.throws(() => parseSshHost("lxplus.cern.ch:0"), /expected a port from 1 to 65535/);
    assert.throws(() => parseSshHost("lx plus"), /--ssh-host: expected \[user@\]host\[:port\]/);
  });
});

describe("what the workers get", () => {
  test("the tarball holds the production dependencies and the scan's models only (defect 10)", () => {
    const scan = scanFromRaw({
      version: "v1",
      "model-files": join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
      "scan-name": "t",
    });
    const { paths, excludes } = tarballContents(scan);
    for (const dev of [
      "typescript",
      "eslint",
      "prettier",
      "tsx",
      "esbuild",
      "@types/node",
      "typescript-eslint",
    ])
      assert.ok(!paths.includes(`node_modules/${dev}`), `${dev} is a development tool`);
    for (const prod of [
      "node_modules/onnxruntime-node",
      "node_modules/yargs",
      "node_modules/ssh2",
      "dist",
      "bin",
    ])
      assert.ok(paths.includes(prod), prod);
    assert.ok(!paths.some((p) => p === "test" || p === "examples" || p.startsWith("data")));
    assert.deepEqual(
      paths.filter((p) => p.startsWith("examples/")),
      ["examples/dnn/model_onnx_l10u128.yaml", "examples/dnn/onnx_graph_l10u128.onnx"],
    );
    assert.ok(excludes.includes("*/bin/napi-v*/darwin") && excludes.includes("*/bin/napi-v*/linux/arm64"));
  });
});

describe("memory holds", () => {
  test("a job held for memory asks for twice as much, in a submission of its own, at most 16 times the first", async () => {
    const store = mkdtempSync(join(tmp, "store-"));
    process.env.MLP_STORE = store;
    try {
      const scan = scanFromRaw({
        version: "v1",
        "model-files": join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
        "batch-sizes": "1,2",
        "scan-name": "mem",
      });
      const jobDir = join(store, "jobs");
      const manifest = {
        format: 1,
        scan: { name: "mem", version: "v1", hash: scan.hash, args: {} },
        target: {
          batchSystem: "slurm",
          jobDir,
          stageOut: "shared",
          outputBase: join(jobDir, "outputs"),
          batchEnv: {},
          retries: 2,
          jobName: "mlprof-mem-v1",
          settings: {
            requestCpus: 1,
            requestMemoryMb: 2000,
            extra: [],
            walltimeS: 3600,
            parallelJobs: 0,
            cpuIsolation: "none",
            partition: "",
            timeLimit: "1:00:00",
          },
          transferInput: [],
        },
        createdAt: "",
        updatedAt: "",
        submissions: 0,
        jobs: planJobs(scan, "none").map((p) => ({ ...p, state: "failed", attempts: [] })),
        outputs: [],
      } as unknown as Manifest;
      const files = new Map<string, string>();
      let arrays = 0;
      const shell: Shell = {
        label: "recorded",
        exec: async (argv) => ({
          exitCode: 0,
          stdout: argv[0] === "sbatch" ? `${++arrays}\n` : "",
          stderr: "",
        }),
        putFile: async (path, content) => void files.set(path, String(content)),
        putLocalFile: async () => undefined,
        getFile: async () => undefined,
        close: async () => undefined,
      };
      const session = new ScanSession(scan, manifest, shell);
      const [held, other] = manifest.jobs as ManifestJob[];
      assert.equal(session.moreMemory(held!), 4000);
      await session.submit([held!, other!]);
      assert.match(files.get(join(jobDir, "submit_1.sh"))!, /^#SBATCH --mem=4000M$/m);
      assert.match(files.get(join(jobDir, "jobs_1.txt"))!, /^j0000 0$/m);
      assert.match(files.get(join(jobDir, "submit_2.sh"))!, /^#SBATCH --mem=2000M$/m);
      assert.deepEqual(
        manifest.jobs.map((j) => j.attempts[0]!.batchId),
        ["1_0", "2_0"],
      );
      const steps = [8000, 16000, 32000].map(() => session.moreMemory(held!));
      assert.deepEqual(steps, [8000, 16000, 32000]);
      assert.equal(session.moreMemory(held!), undefined, "no more than 16 times the first request");
    } finally {
      delete process.env.MLP_STORE;
    }
  });
});

describe("a store that refuses collect's moves", () => {
  /** A read-only tmpfs mounted on `dir` (false where mounting is not allowed). */
  const mountReadOnly = (dir: string): boolean => {
    try {
      mkdirSync(dir, { recursive: true });
      execFileSync("mount", ["-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", dir], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  const store = mkdtempSync(join(tmp, "store-ro-"));
  const dest = join(store, "MeasureRuntime");
  const mounted = process.getuid?.() === 0 && mountReadOnly(dest);
  after(() => {
    if (mounted) execFileSync("umount", [dest]);
  });

  test(
    "a read-only store is the store's error (named, with the path), not a failed job",
    { skip: mounted ? false : "mounting a tmpfs needs root" },
    async () => {
      process.env.MLP_STORE = store;
      try {
        const scan = scanFromRaw({
          version: "v1",
          "model-files": join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
          "batch-sizes": "1",
          "n-events": "2",
          "n-calls": "3",
          "scan-name": "ro",
        });
        const jobDir = join(store, "jobs");
        const sha = "ab".repeat(32);
        const manifest = {
          format: 1,
          scan: { name: "ro", version: "v1", hash: scan.hash, args: {} },
          target: { batchSystem: "slurm", jobDir, stageOut: "shared", outputBase: join(jobDir, "outputs") },
          models: [
            { name: scan.models[0]!.name, file: scan.models[0]!.file, engine: "onnx", graphSha256: sha },
          ],
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
        const staged: Record<string, string> = {
          status: "exit_code=0\n",
          "m0/runtime_bs_1.json": JSON.stringify(meta),
          "m0/runtime_bs_1.csv": `# batch_size: 1\n${"1,0.25\n".repeat(18)}`,
        };
        const shell: Shell = {
          label: "recorded",
          exec: async (argv) => ({
            exitCode: 0,
            stdout:
              // the stage area's listing script: "f <path>" per file
              argv[0] === "sh"
                ? Object.keys(staged)
                    .map((f) => `f j0000/${f}`)
                    .join("\n") + "\n"
                : "",
            stderr: "",
          }),
          putFile: async () => undefined,
          putLocalFile: async () => undefined,
          getFile: async (remote, local) => {
            mkdirSync(dirname(local), { recursive: true });
            writeFileSync(local, staged[remote.split("/j0000/")[1]!]!);
          },
          close: async () => undefined,
        };
        const session = new ScanSession(scan, manifest, shell);
        const job = manifest.jobs[0]!;
        await assert.rejects(
          session.harvest([job], new Map([["1_0", { state: "finished" as const }]])),
          (err: unknown) =>
            err instanceof MlprofError &&
            err.message.startsWith(`cannot write into the store ${store}: `) &&
            /read-only/i.test(err.message) &&
            err.message.includes(`(writing ${dest}`),
        );
        assert.equal(job.state, "running", "the job is not counted as failed for the store's fault");
        assert.equal(job.reason, undefined);
      } finally {
        delete process.env.MLP_STORE;
      }
    },
  );
});

describe("scan progress", () => {
  const at = "2026-12-01T10:00:00.000Z";
  const t0 = Date.parse(at);
  const job = (state: string, attempts: number, final = false) =>
    ({
      id: "j",
      measurements: [],
      state,
      final,
      attempts: Array.from({ length: attempts }, () => ({ batchId: "1", submission: 1, at })),
    }) as unknown as ManifestJob;
  const manifest = (jobs: ManifestJob[]) =>
    ({ scan: { name: "p", version: "v1" }, jobs }) as unknown as Manifest;

  test("done, failed, running and queued of the total; ETA from the jobs finished so far", () => {
    // 2 finished in 100 s, 2 left: 100 s more; a job done without an attempt (in the store) is no rate
    const m = manifest([
      job("done", 1),
      job("done", 1),
      job("done", 0),
      job("running", 1),
      job("pending", 1),
    ]);
    const p = scanProgress(m, t0 + 100_000);
    assert.deepEqual(
      { ...p },
      { total: 5, done: 3, failed: 0, running: 1, queued: 1, cancelled: 0, finished: 2, etaS: 100 },
    );
    assert.equal(
      progressLine(m, "1 pending, 1 running, 3 done", t0 + 100_000),
      "scan p/v1: 1 pending, 1 running, 3 done; 3 of 5 done; ETA 2 min (from 2 finished jobs)",
    );
  });

  test("no estimate before a job has finished; nothing left once every job is done or failed for good", () => {
    assert.equal(
      formatProgress(scanProgress(manifest([job("running", 1), job("created", 0)]), t0 + 5000)),
      "0 of 2 done; ETA once a job has finished",
    );
    const ended = manifest([job("done", 1), job("failed", 3, true), job("cancelled", 1)]);
    assert.equal(formatProgress(scanProgress(ended, t0 + 5000)), "1 of 3 done; nothing left to run");
    // a failure with retries left is still to run
    const retry = manifest([job("done", 1), job("failed", 1)]);
    assert.equal(scanProgress(retry, t0 + 60_000).etaS, 60);
  });

  test("durations for people", () => {
    assert.deepEqual([45, 720, 3600 * 3 + 1200, 86400 * 2 + 3600 * 4].map(formatDuration), [
      "45 s",
      "12 min",
      "3 h 20 min",
      "2 d 4 h",
    ]);
  });
});
