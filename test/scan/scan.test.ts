/** Unit tests of the batch parts: known_hosts, output checks, Slurm parsers, scans and job planning. */
import assert from "node:assert/strict";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { parseXrdUrl, xrdUrl } from "../../src/remote/xrootd.js";
import { planJobs } from "../../src/scan/jobfiles.js";
import { osFromArch } from "../../src/batch/htcondor/params.js";
import { loadScanFile, scanFromRaw, workerModelPath } from "../../src/scan/scan.js";
import { checkMeasurement } from "../../src/scan/validate.js";
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
  const expected = { batchSize: 4, nEvents: 2, nCalls: 3 };
  const rows = (n: number, bs = 4, v = "0.25") =>
    Array.from({ length: n }, () => `${bs},${v}`).join("\n") + "\n";
  writeFileSync(json, JSON.stringify({ measurement: { batchSize: 4 } }));
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
    writeFileSync(json, JSON.stringify({ measurement: { batchSize: 2 } }));
    assert.match(checkMeasurement(csv, json, expected)!, /metadata is of batch size 2, expected 4/);
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
    assert.deepEqual(slurmStatus("CANCELLED+", "None"), { state: "failed", reason: "CANCELLED" });
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
