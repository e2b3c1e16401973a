/**
 * Faults of scans on batch systems through the real command line, without the batch systems: hostile option
 * values that would add lines to submit files, options a submit host would only refuse later (or never),
 * damaged manifests, bad credentials files, a busy scan. Each must fail at once with a message that names
 * what, where, what was expected and what was found, exit with 1, and leave the store as it was.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { makeProxy } from "../helpers/services/proxy.js";

const data = tempData();
after(() => data.cleanup());
const model = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
const scan = (name: string, ...extra: string[]) => [
  "--scan-name",
  name,
  "--version",
  "v1",
  "--model-files",
  model,
  "--model-names",
  "l10",
  "--batch-sizes",
  "1",
  ...extra,
];
const submit = (name: string, ...extra: string[]) => ["submit", "--dry-run", ...scan(name, ...extra)];

interface Case {
  name: string;
  args: string[];
  message: RegExp;
  env?: NodeJS.ProcessEnv;
  /** Seconds the refusal may take at most (an instant check, not a timeout). */
  within?: number;
}

/** A submitted scan's manifest written by hand (as a damaged or edited one would be). */
function writeManifest(name: string, content: string): string {
  const dir = join(data.store, "Scans", name, "v1");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "manifest.json"), content);
  return join(dir, "manifest.json");
}

const knownHostsDir = join(data.dir, "known_hosts.d");
mkdirSync(knownHostsDir, { recursive: true });
// a "billion laughs" scan file: each alias doubles the one before
const aliasBomb = join(data.dir, "bomb.yaml");
writeFileSync(
  aliasBomb,
  [
    "version: v1",
    "a0: &a0 [x, x]",
    ...Array.from({ length: 20 }, (_, i) => `a${i + 1}: &a${i + 1} [*a${i}, *a${i}]`),
    "",
  ].join("\n"),
);
const notYaml = join(data.dir, "broken.yaml");
writeFileSync(notYaml, "version: v1\nmodel-files: [unclosed\n");

const cases: Case[] = [
  {
    name: "--worker-os with a quote and a newline (a line added to the submit file)",
    args: submit(
      "hostile1",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--worker-os",
      'el9"\n+Evil = 1',
    ),
    message:
      /--worker-os: expected a single line without control characters \(it goes into a submit file\), found "el9\\"\\n\+Evil = 1"/,
  },
  {
    name: "--worker-os with a quote only (a ClassAd string broken open)",
    args: submit(
      "hostile2",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--worker-os",
      'el9" || true || "',
    ),
    message: /--worker-os: expected an OS name such as el9, found "el9\\" \|\| true \|\| \\""/,
  },
  {
    name: "--slurm-partition with an #SBATCH directive after a newline",
    args: submit("hostile3", "--batch-system", "slurm", "--slurm-partition", "debug\n#SBATCH --wrap=evil"),
    message:
      /--slurm-partition: expected a single line without control characters .*found "debug\\n#SBATCH --wrap=evil"/,
  },
  {
    name: "--batch-extra with a newline (one flag, one line)",
    args: submit("hostile4", "--batch-system", "slurm", "--batch-extra=--account=cms\n#SBATCH --wrap=evil"),
    message:
      /--batch-extra \(one line per flag; repeat the flag for several\): expected a single line .*found "--account=cms\\n#SBATCH --wrap=evil"/,
  },
  {
    name: "--batch-extra for HTCondor that is no submit command",
    args: submit(
      "hostile5",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--batch-extra",
      "queue 100",
    ),
    message: /--batch-extra \(htcondor\): expected a submit command 'name = value' .*found "queue 100"/,
  },
  {
    name: "--batch-extra for Slurm that is no sbatch option",
    args: submit("hostile6", "--batch-system", "slurm", "--batch-extra", "rm -rf ~"),
    message: /--batch-extra \(slurm\): expected an sbatch option such as '--account=cms', found "rm -rf ~"/,
  },
  {
    name: "--remote-dir with a newline",
    args: submit("hostile7", "--batch-system", "slurm", "--remote-dir", "/tmp/jobs\n#SBATCH --wrap=evil"),
    message:
      /--remote-dir: expected a single line without control characters .*found "\/tmp\/jobs\\n#SBATCH --wrap=evil"/,
  },
  {
    name: "a job folder HTCondor cannot name (a macro in its path)",
    args: submit(
      "hostile8",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--remote-dir",
      join(data.dir, "$(Evil)"),
    ),
    message:
      /the job folder: HTCondor submit files cannot hold this path .*found ".*\$\(Evil\)\/hostile8\/v1"/,
  },
  {
    name: "--htcondor-schedd that is no host name",
    args: submit(
      "hostile9",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--htcondor-schedd=-constraint true",
    ),
    message:
      /--htcondor-schedd: expected a schedd name such as bigbird18\.cern\.ch, found "-constraint true"/,
  },
  {
    name: "--xrootd-url with a newline",
    args: submit(
      "hostile10",
      "--batch-system",
      "slurm",
      "--stage-out",
      "xrootd",
      "--xrootd-url",
      "root://eos//eos/x\nrm",
    ),
    message: /--xrootd-url: expected a single line without control characters/,
  },
  {
    name: "--ssh-host with a port beyond 65535 (refused at once, not after a connection timeout)",
    args: ["submit", ...scan("port"), "--ssh-host", "127.0.0.1:99999", "--remote-dir", "/tmp/x"],
    message: /--ssh-host 127\.0\.0\.1:99999: expected a port from 1 to 65535, found 99999/,
    within: 5,
  },
  {
    name: "--ssh-port 0 is no port",
    args: [
      "submit",
      ...scan("port0"),
      "--ssh-host",
      "127.0.0.1",
      "--ssh-port",
      "-1",
      "--remote-dir",
      "/tmp/x",
    ],
    message: /--ssh-port: expected a port from 1 to 65535, found -1/,
    within: 5,
  },
  {
    name: "a folder given as --ssh-known-hosts",
    args: [
      "submit",
      ...scan("known"),
      "--ssh-host",
      "127.0.0.1:1",
      "--ssh-key",
      model,
      "--ssh-known-hosts",
      knownHostsDir,
      "--remote-dir",
      "/tmp/x",
    ],
    message: new RegExp(
      `--ssh-known-hosts: ${knownHostsDir.replace(/[.]/g, "\\.")} is a folder, expected a known_hosts file`,
    ),
    within: 5,
  },
  {
    name: "--walltime longer than the --job-flavour allows",
    args: submit(
      "wall1",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--job-flavour",
      "espresso",
      "--walltime",
      "3h",
    ),
    message:
      /--walltime 3 h is longer than --job-flavour espresso allows \(20 min\); lxbatch would remove the jobs at the flavour's limit/,
  },
  {
    name: "--walltime that is no duration",
    args: submit("wall2", "--batch-system", "slurm", "--walltime", "soon"),
    message: /--walltime: expected a wall time such as 45m, 2h, 1h30m, 01:30:00 or 2-00:00:00, found "soon"/,
  },
  {
    name: "--slurm-time that is no duration",
    args: submit("wall3", "--batch-system", "slurm", "--slurm-time", "1 hour"),
    message: /--slurm-time: expected a wall time such as 45m/,
  },
  {
    name: "--parallel-jobs below zero",
    args: submit("par", "--batch-system", "slurm", "--parallel-jobs", "-1"),
    message: /--parallel-jobs: expected an integer >= 0, found -1/,
  },
  {
    name: "--request-memory of 0 MB",
    args: submit("mem", "--batch-system", "slurm", "--request-memory", "0"),
    message: /--request-memory: expected a positive integer, found 0/,
  },
  {
    name: "--worker-tarball transfer where the batch system sends no files",
    args: submit(
      "tar",
      "--batch-system",
      "slurm",
      "--worker-mlprof",
      "tarball",
      "--worker-tarball",
      "transfer",
    ),
    message: /--worker-tarball transfer: slurm sends no files with its jobs; use shared .* or xrootd/,
  },
  {
    name: "--cmssw-config naming no template",
    args: submit(
      "cfg",
      "--batch-system",
      "slurm",
      "--executor",
      "cmssw",
      "--cmssw-config",
      "mine_cfg.py.njk",
    ),
    message: /--cmssw-config: expected a template of .*cmssw-templates, found 'mine_cfg\.py\.njk'/,
  },
  {
    name: "a SCRAM architecture without a worker OS",
    args: submit(
      "os",
      "--batch-system",
      "htcondor",
      "--x509-proxy",
      "no",
      "--executor",
      "cmssw",
      "--scram-archs",
      "osx_arm64_clang",
    ),
    message: /cannot tell the worker OS \(MY\.WantOS\) of the SCRAM architecture 'osx_arm64_clang'/,
  },
  {
    name: "collect of a scan that was never submitted",
    args: ["collect", "--scan-name", "never", "--version", "v1"],
    message: /scan never\/v1 was never submitted \(no .*Scans\/never\/v1\/manifest\.json\)/,
  },
  {
    name: "cancel of a scan that was never submitted",
    args: ["cancel", "--scan-name", "never", "--version", "v1"],
    message: /scan never\/v1 was never submitted/,
  },
  {
    name: "collect --scan-name that leaves its folder (checked before the lock and the manifest)",
    args: ["collect", "--scan-name", "../../outside", "--version", "v1"],
    message:
      /--scan-name: expected a name of letters, digits, .*found '\.\.\/\.\.\/outside' \(the character '\/'\)/,
  },
  {
    name: "collect --version with a newline",
    args: ["collect", "--scan-name", "named", "--version", "v1\nv2"],
    message: /--version: expected a name of letters, digits, .*found 'v1\\nv2' \(the character '\\n'\)/,
  },
  {
    name: "cancel --scan-name with a leading dot",
    args: ["cancel", "--scan-name", ".hidden", "--version", "v1"],
    message: /--scan-name: expected a name .*found '\.hidden' \(a leading '\.'\)/,
  },
  {
    name: "collect --ssh-host with a port beyond 65535 (not dropped silently)",
    args: ["collect", "--scan-name", "never", "--version", "v1", "--ssh-host", "127.0.0.1:99999"],
    message: /--ssh-host 127\.0\.0\.1:99999: expected a port from 1 to 65535, found 99999/,
    within: 5,
  },
  {
    name: "collect with a folder as --ssh-known-hosts",
    args: ["collect", "--scan-name", "never", "--version", "v1", "--ssh-known-hosts", knownHostsDir],
    message: new RegExp(
      `--ssh-known-hosts: ${knownHostsDir.replace(/[.]/g, "\\.")} is a folder, expected a known_hosts file`,
    ),
    within: 5,
  },
  {
    name: "a scan yaml whose aliases expand without end (the one yaml reader)",
    args: ["submit", "--dry-run", "--scan", aliasBomb, "--batch-system", "slurm"],
    message: new RegExp(
      `scan file ${aliasBomb.replace(/[.]/g, "\\.")}: its aliases expand to more than 100 copies`,
    ),
    within: 5,
  },
  {
    name: "a scan yaml that is not YAML",
    args: ["submit", "--dry-run", "--scan", notYaml, "--batch-system", "slurm"],
    message: new RegExp(`scan file ${notYaml.replace(/[.]/g, "\\.")} is not valid YAML: `),
  },
];

/** Faults that need a file in place first (a damaged manifest, a proxy, a busy lock). */
const prepared: (Case & { prepare: () => void })[] = [
  {
    name: "a manifest with missing fields (no raw TypeError)",
    args: ["collect", "--scan-name", "damaged", "--version", "v1"],
    prepare: () =>
      writeManifest(
        "damaged",
        JSON.stringify({
          format: 1,
          scan: { name: "damaged", version: "v1", hash: "x", args: {} },
          jobs: [],
        }),
      ),
    message:
      /scan manifest .*Scans\/damaged\/v1\/manifest\.json: field 'target': expected an object, found nothing/,
  },
  {
    name: "a manifest whose stored parameters lack the version",
    args: ["collect", "--scan-name", "noargs", "--version", "v1"],
    prepare: () =>
      writeManifest(
        "noargs",
        JSON.stringify({
          format: 1,
          scan: { name: "noargs", version: "v1", hash: "x", args: {} },
          target: {
            batchSystem: "slurm",
            jobDir: "/x",
            stageOut: "shared",
            outputBase: "/x",
            batchEnv: {},
            retries: 1,
            jobName: "j",
            settings: {},
            transferInput: [],
          },
          submissions: 1,
          outputs: [],
          createdAt: "",
          updatedAt: "",
          jobs: [],
        }),
      ),
    message:
      /scan manifest .*Scans\/noargs\/v1\/manifest\.json: field 'scan\.args' \(the scan's parameters\): --version is required/,
  },
  {
    name: "a manifest whose job has an unknown state",
    args: ["cancel", "--scan-name", "state", "--version", "v1"],
    prepare: () => {
      const text = JSON.stringify({
        format: 1,
        scan: { name: "state", version: "v1", hash: "x", args: {} },
        target: {
          batchSystem: "slurm",
          jobDir: "/tmp/x",
          stageOut: "shared",
          outputBase: "/tmp/x/outputs",
          jobName: "mlprof-state-v1",
          batchEnv: {},
          settings: {},
          transferInput: [],
          retries: 2,
        },
        submissions: 1,
        outputs: [],
        createdAt: "",
        updatedAt: "",
        jobs: [{ id: "j0000", measurements: [0], state: "lost", attempts: [] }],
      });
      writeManifest("state", text);
    },
    message:
      /manifest\.json: job j0000: field 'jobs\[0\]\.state': expected one of created, submitting, pending, running, held, done, failed, cancelled, found string "lost"/,
  },
  {
    name: "a manifest that is not JSON",
    args: ["collect", "--scan-name", "notjson", "--version", "v1"],
    prepare: () => void writeManifest("notjson", '{ "format": 1, "jobs": ['),
    message: /cannot read the scan manifest .*Scans\/notjson\/v1\/manifest\.json: /,
  },
  {
    name: "an expired grid proxy (condor_submit would abort)",
    args: submit("proxy1", "--batch-system", "htcondor"),
    prepare: () => undefined,
    env: { X509_USER_PROXY: "" },
    message:
      /the grid proxy .*x509up_expired on localhost expired (\d+ h )?\d+ (min|h) ago \(\d{4}-\d\d-\d\d [\d:]+ UTC\); condor_submit refuses expired proxies/,
  },
  {
    name: "a grid proxy that ends before the jobs may",
    args: submit("proxy2", "--batch-system", "htcondor", "--job-flavour", "workday"),
    prepare: () => undefined,
    env: { X509_USER_PROXY: "" },
    message:
      /the grid proxy .*x509up_30 on localhost has \d+ min left \(until .* UTC\), but a job may run 8 h \(--job-flavour workday\)/,
  },
  {
    name: "--x509-proxy yes without a proxy",
    args: submit("proxy3", "--batch-system", "htcondor", "--x509-proxy", "yes"),
    prepare: () => undefined,
    env: { X509_USER_PROXY: "/nonexistent/x509up" },
    message: /--x509-proxy yes: there is no grid proxy on localhost/,
  },
  {
    name: "a file that is no certificate as the proxy",
    args: submit("proxy4", "--batch-system", "htcondor"),
    prepare: () => undefined,
    env: { X509_USER_PROXY: model },
    message: /cannot read the grid proxy .*model_onnx_l10u128\.yaml on localhost with openssl x509 -enddate/,
  },
  {
    name: "a collect --watch of the scan is running",
    args: ["collect", "--scan-name", "busy", "--version", "v1"],
    prepare: () => {
      writeManifest("busy", "{}");
      const lock = join(data.store, "Scans", "busy", "v1", ".lock");
      mkdirSync(lock, { recursive: true });
      const owner = {
        pid: process.pid,
        host: hostname(),
        since: "2026-12-01T10:00:00.000Z",
        what: "collecting (--watch) scan busy/v1",
      };
      writeFileSync(join(lock, "owner.json"), JSON.stringify(owner));
    },
    message: new RegExp(
      `another mlprof \\(pid ${process.pid} on ${hostname()}, since 2026-12-01T10:00:00\\.000Z\\) is collecting \\(--watch\\) scan busy/v1`,
    ),
  },
];

describe("batch faults: refused at once, named, nothing changed", () => {
  let expired = "";
  let short = "";
  before(() => {
    expired = makeProxy(-60);
    short = makeProxy(30);
    prepared.find((c) => c.name.startsWith("an expired"))!.env = { X509_USER_PROXY: expired };
    prepared.find((c) => c.name.startsWith("a grid proxy that ends"))!.env = { X509_USER_PROXY: short };
  });

  for (const c of [...cases, ...prepared]) {
    test(c.name, async () => {
      if ("prepare" in c) (c as { prepare: () => void }).prepare();
      const files = listFiles(data.store);
      const contents = files.map((f) => readFileSync(join(data.store, f), "utf8"));
      const started = Date.now();
      const res = await mlprof(c.args, { ...data.env, ...c.env });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(res.code, 1, `exit code; stdout: ${res.stdout}\nstderr: ${res.stderr}`);
      assert.match(res.stderr, c.message);
      assert.doesNotMatch(res.stderr, /TypeError|at .*\.js:\d+/, "a message, not a stack trace");
      if (c.within !== undefined) assert.ok(seconds < c.within, `refused after ${seconds.toFixed(1)} s`);
      assert.deepEqual(listFiles(data.store), files, "the store's files are the same");
      assert.deepEqual(
        files.map((f) => readFileSync(join(data.store, f), "utf8")),
        contents,
        "and unchanged",
      );
    });
  }
});

describe("collect interrupted: the exit status of the signal, as mlprof run", () => {
  for (const [signal, code] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    test(`${signal} while collect waits for the scan's lock exits ${code}`, async () => {
      const name = `sig${code}`;
      writeManifest(name, "{}");
      // another (non-watch) collect holds the scan: this one waits for it
      const lock = join(data.store, "Scans", name, "v1", ".lock");
      mkdirSync(lock, { recursive: true });
      writeFileSync(
        join(lock, "owner.json"),
        JSON.stringify({
          pid: process.pid,
          host: hostname(),
          since: new Date().toISOString(),
          what: `collecting scan ${name}/v1`,
        }),
      );
      let sent = false;
      const res = await mlprof(["collect", "--scan-name", name, "--version", "v1"], data.env, {
        onStdout: (text, kill) => {
          if (!sent && /waiting: another mlprof/.test(text)) {
            sent = true;
            kill(signal);
          }
        },
      });
      assert.ok(sent, `collect waited for the lock; stdout: ${res.stdout}\nstderr: ${res.stderr}`);
      assert.equal(res.code, code, `exit code; stderr: ${res.stderr}`);
      assert.match(res.stderr, /interrupted while waiting for the lock .*Scans\/sig\d+\/v1\/\.lock/);
      assert.ok(existsSync(join(lock, "owner.json")), "the other's lock stays");
    });
  }
});
