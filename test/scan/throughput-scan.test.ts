/**
 * Throughput scans (mlprof submit --streams): the scan's measurements and its manifest record, and a real
 * job: job.sh of a dry run runs MeasureThroughput on the onnx DNN pinned to streams × threads CPUs, and
 * collect's harvest takes its outputs into the store, or refuses them when they are not the measurement
 * the job was given. No batch system: the job script runs here, its stage area is the job folder.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LocalShell } from "../../src/remote/shell.js";
import { manifestModels, planJobs } from "../../src/scan/jobfiles.js";
import type { Manifest } from "../../src/scan/manifest.js";
import {
  measurementTask,
  scanFlagRecord,
  scanFromRaw,
  scanFromStored,
  throughputSettingsOf,
} from "../../src/scan/scan.js";
import { plotCommand } from "../../src/scan/report.js";
import { ScanSession } from "../../src/scan/session.js";
import { checkThroughputMeasurement } from "../../src/scan/validate.js";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";

const MODEL = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
/** A short throughput point: one process, a window of 0.5 s or 50 calls. */
const QUICK = {
  version: "v1",
  "model-files": MODEL,
  "batch-sizes": "1",
  streams: "1,2",
  "warmup-duration": "0.2",
  "min-duration": "0.5",
  "min-calls": "50",
  repeats: "1",
};

describe("a throughput scan's measurements", () => {
  test("model × batch size × streams, each a MeasureThroughput; the manifest's record rebuilds the same scan", () => {
    const scan = scanFromRaw({ ...QUICK, "batch-sizes": "1,16", streams: "4,1,2", "scan-name": "s" });
    assert.equal(scan.kind, "throughput");
    assert.deepEqual(scan.streams, [1, 2, 4]);
    assert.deepEqual(
      scan.measurements.map((m) => [m.batchSize, m.streams]),
      [
        [1, 1],
        [1, 2],
        [1, 4],
        [16, 1],
        [16, 2],
        [16, 4],
      ],
    );
    const task = measurementTask(scan, scan.measurements[4]!);
    assert.equal(task.family, "MeasureThroughput");
    assert.match(task.outputs()[1]!, /\/MeasureThroughput\/.*\/throughput_bs_16_streams_2\.json$/);
    const stored = scanFlagRecord(scan);
    assert.deepEqual(stored["streams"], [4, 1, 2], "as given");
    const again = scanFromStored(JSON.parse(JSON.stringify(stored)) as Record<string, unknown>, "s");
    assert.equal(again.kind, "throughput");
    assert.equal(again.hash, scan.hash);
    assert.deepEqual(again.measurements, scan.measurements);
    // collect's plot command: PlotMultiThroughput with the scan's streams and the settings given
    assert.equal(
      plotCommand(scan),
      `mlprof run PlotMultiThroughput --version v1 --model-files ${MODEL} --batch-sizes 1,16 --streams 1,2,4 ` +
        "--warmup-duration 0.2 --min-duration 0.5 --min-calls 50 --repeats 1 " +
        `--cmssw-version ${scan.releases[0]} --scram-arch ${scan.archs[0]}`,
    );
    // other streams are another scan
    assert.notEqual(scanFromRaw({ ...QUICK, streams: "1,2,4,8", "scan-name": "s" }).hash, scan.hash);
  });
});

describe("a throughput job: job.sh runs MeasureThroughput, collect checks and stores its outputs", () => {
  const data = tempData();
  const saved = { data: process.env.MLP_DATA, store: process.env.MLP_STORE };
  let jobDir = "";
  before(async () => {
    // the in-process harvest writes into the same store as the CLI
    process.env.MLP_DATA = data.dir;
    process.env.MLP_STORE = "";
    const res = await mlprof(
      [
        "submit",
        "--dry-run",
        "--batch-system",
        "slurm",
        "--scan-name",
        "tput",
        ...Object.entries(QUICK).flatMap(([k, v]) => [`--${k}`, v]),
      ],
      data.env,
    );
    assert.equal(res.code, 0, res.stderr + res.stdout);
    jobDir = join(data.store, "Scans", "tput", "v1", "jobs");
    mkdirSync(join(jobDir, "outputs"), { recursive: true });
    mkdirSync(join(jobDir, "logs"), { recursive: true });
  });
  after(() => {
    process.env.MLP_DATA = saved.data;
    process.env.MLP_STORE = saved.store;
    data.cleanup();
  });

  test(
    "the 2-stream job is pinned to 2 CPUs, its point enters the store; the same outputs as another point are refused",
    { skip: cpus().length < 2 ? "needs 2 CPUs" : false, timeout: 300_000 },
    async () => {
      // measurement 1: 2 streams × 1 thread (the job's status names the CPUs it pinned)
      execFileSync("bash", [join(jobDir, "job.sh"), "j0001", "1"], { env: data.env, stdio: "pipe" });
      const out = join(jobDir, "outputs");
      const status = readFileSync(join(out, "j0001", "status"), "utf8");
      assert.match(status, /^exit_code=0$/m);
      const pinned = /^pinned=(.*)$/m.exec(status)![1]!;
      assert.equal(pinned.split(",").length, 2, `pinned to ${pinned}`);
      const staged = join(out, "j0001", "m1");
      const json = join(staged, "throughput_bs_1_streams_2.json");
      const csv = join(staged, "throughput_bs_1_streams_2.csv");
      const record = JSON.parse(readFileSync(json, "utf8")) as {
        point: { streams: number; cpusAvailable: number };
        processes: { point: { cpusAvailable: number } }[];
      };
      assert.equal(record.point.streams, 2);
      // the measurement ran on the 2 CPUs job.sh gave it
      assert.equal(record.processes[0]!.point.cpusAvailable, 2);

      // measurement 0 (1 stream) handed back the 2-stream point under its own names
      mkdirSync(join(out, "j0000", "m0"), { recursive: true });
      copyFileSync(json, join(out, "j0000", "m0", "throughput_bs_1_streams_1.json"));
      copyFileSync(csv, join(out, "j0000", "m0", "throughput_bs_1_streams_1.csv"));
      writeFileSync(join(out, "j0000", "status"), "exit_code=0\nstep=done\n");

      const scan = scanFromRaw({ ...QUICK, "scan-name": "tput" });
      const manifest = {
        format: 1,
        scan: { name: "tput", version: "v1", hash: scan.hash, args: scanFlagRecord(scan) },
        target: {
          batchSystem: "slurm",
          jobDir,
          stageOut: "shared",
          outputBase: out,
          batchEnv: {},
          retries: 0,
          jobName: "tput",
          settings: { requestCpus: 2, requestMemoryMb: 2000, parallelJobs: 0, cpuIsolation: "none" },
          transferInput: [],
        },
        models: manifestModels(scan),
        jobs: planJobs(scan, "none").map((p) => ({
          ...p,
          state: "running",
          attempts: [{ batchId: `1_${p.id}`, submission: 1, at: "" }],
        })),
      } as unknown as Manifest;
      const session = new ScanSession(scan, manifest, new LocalShell());
      assert.deepEqual(
        manifest.jobs.map((j) => session.jobCpus(j)),
        [1, 2],
        "each job requests streams x threads CPUs",
      );
      const [j0, j1] = manifest.jobs as [Manifest["jobs"][0], Manifest["jobs"][0]];
      await session.harvest(
        [j0, j1],
        new Map([
          ["1_j0000", { state: "finished" as const }],
          ["1_j0001", { state: "finished" as const }],
        ]),
      );
      assert.equal(j1.state, "done", j1.reason);
      const [storeCsv, storeJson] = measurementTask(scan, scan.measurements[1]!).outputs() as [
        string,
        string,
      ];
      assert.ok(existsSync(storeCsv) && existsSync(storeJson), "the 2-stream point is in the store");
      assert.equal(j1.attempts[0]!.run?.pinned, pinned);
      assert.equal(j0.state, "failed");
      assert.match(
        j0.reason!,
        /throughput_bs_1_streams_1\.csv: metadata is of streams 2, expected 1 \(the measurement this job was given\)/,
      );
      for (const p of measurementTask(scan, scan.measurements[0]!).outputs())
        assert.ok(!existsSync(p), `${p}: nothing of a refused point enters the store`);

      // the calls CSV and the settings are checked too
      const expected = {
        batchSize: 1,
        streams: 2,
        settings: throughputSettingsOf(scan.values as Parameters<typeof throughputSettingsOf>[0]),
        engine: "onnx",
        graphSha256: manifest.models![0]!.graphSha256,
        release: scan.releases[0]!,
        scramArch: scan.archs[0]!,
      };
      assert.equal(checkThroughputMeasurement(storeCsv, storeJson, expected), undefined);
      assert.match(
        checkThroughputMeasurement(storeCsv, storeJson, {
          ...expected,
          settings: { ...expected.settings, minCalls: 100 },
        })!,
        /^metadata is of --min-calls 50, expected 100/,
      );
      const lines = readFileSync(storeCsv, "utf8").split("\n").filter(Boolean);
      const oneStream = join(data.dir, "one-stream.csv");
      writeFileSync(oneStream, lines.filter((l) => l.split(",")[1] === "0").join("\n") + "\n");
      assert.equal(
        checkThroughputMeasurement(oneStream, storeJson, expected),
        "one-stream.csv: repeat 1 has no call of stream 1 of 2",
      );
      const cut = join(data.dir, "cut.csv");
      writeFileSync(cut, lines.slice(0, 3).join("\n") + "\n1,0,5");
      assert.equal(
        checkThroughputMeasurement(cut, storeJson, expected),
        "cut.csv is truncated (its last line has no end)",
      );
    },
  );
});
