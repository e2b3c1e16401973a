/**
 * A scan submitted over SSH (a loopback sshd with a throw-away key) to the loopback Slurm, with
 * outputs staged to a loopback XRootD server standing in for EOS; then the failures of that path:
 * a missing EOS file, an unreachable SSH host, an unknown host key. All services are started and
 * stopped here.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { freePort, waitFor } from "../helpers/services/common.js";
import { makeProxy } from "../helpers/services/proxy.js";
import { outputsOf, readManifestOf, storeFiles } from "../helpers/services/scan.js";
import { SLURM_COMMANDS, startSlurm, type TestSlurm } from "../helpers/services/slurm.js";
import { SSHD_COMMANDS, startSshd, type TestSshd } from "../helpers/services/sshd.js";
import { XROOTD_COMMANDS, startXrootd, type TestXrootd } from "../helpers/services/xrootd.js";
import { describeUnless, firstSkip, needCommands, needRoot } from "../helpers/skip.js";

const skip = firstSkip(
  () => needRoot("the loopback Slurm and sshd"),
  () => needCommands("slurm", SLURM_COMMANDS, "apt-get install slurm-wlm munge"),
  () => needCommands("sshd", SSHD_COMMANDS, "apt-get install openssh-server openssh-client"),
  () => needCommands("xrootd", XROOTD_COMMANDS, "apt-get install xrootd-server xrootd-client"),
);

const models = join(EXAMPLES, "dnn", "model_onnx_l{10,20}u128.yaml");

describeUnless(skip, "scans over SSH with stage-out to XRootD", () => {
  let slurm: TestSlurm;
  let sshd: TestSshd;
  let xrd: TestXrootd;
  const data = tempData();
  const remote = join(data.dir, "login-node");
  const ssh = () => [
    "--ssh-host",
    `${sshd.user}@127.0.0.1`,
    "--ssh-port",
    String(sshd.port),
    "--ssh-key",
    sshd.keyFile,
    "--ssh-known-hosts",
    sshd.knownHosts,
  ];
  const scan = [
    "--scan-name",
    "remote",
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
  ];
  // the agent of the developer's shell must not stand in for the test key
  const env = () => ({ ...data.env, SSH_AUTH_SOCK: "" });

  before(async () => {
    // allSettled: when one service fails to start, the others are still stopped in after()
    const [a, b, c] = await Promise.allSettled([startSlurm(), startSshd(), startXrootd()]);
    if (a.status === "fulfilled") slurm = a.value;
    if (b.status === "fulfilled") sshd = b.value;
    if (c.status === "fulfilled") xrd = c.value;
    for (const r of [a, b, c]) if (r.status === "rejected") throw r.reason;
  });
  after(async () => {
    await Promise.all([slurm?.stop(), sshd?.stop(), xrd?.stop()]);
    data.cleanup();
  });

  test("submit over SSH, stage out to XRootD; a missing EOS file and an unreachable host are reported; collect recovers and plots", async () => {
    const sub = await mlprof(
      [
        "submit",
        ...scan,
        ...ssh(),
        "--batch-system",
        "slurm",
        "--batch-env",
        `SLURM_CONF=${slurm.conf}`,
        "--remote-dir",
        remote,
        "--stage-out",
        "xrootd",
        "--xrootd-url",
        `${xrd.server}//eos/user/t/test/mlprof`,
      ],
      env(),
    );
    assert.equal(sub.code, 0, sub.stderr + sub.stdout);
    assert.match(
      sub.stdout,
      new RegExp(`submitted 4 job\\(s\\) to slurm on ssh ${sshd.user}@127.0.0.1:${sshd.port}`),
    );
    assert.ok(existsSync(join(remote, "remote", "v1", "job.sh")), "the job folder was uploaded by SFTP");
    await waitFor(
      "the jobs to end",
      () => slurm.run(["squeue", "-h", "-n", "mlprof-remote-v1"]).trim() === "",
      120_000,
      1000,
    );
    const staged = join(xrd.eosDir, "user", "t", "test", "mlprof", "remote", "v1");
    assert.ok(existsSync(join(staged, "j0003", "status")), "outputs are on the XRootD server");

    // a file lost on EOS
    rmSync(join(staged, "j0003", "m3", "runtime_bs_4.csv"));
    const lost = await mlprof(
      ["collect", "--scan-name", "remote", "--version", "v1", "--retries", "0"],
      env(),
    );
    assert.equal(lost.code, 1, lost.stdout + lost.stderr);
    assert.match(
      lost.stdout,
      new RegExp(
        `j0003 .*missing ${xrd.server.replace(/[.]/g, "\\.")}//eos/user/t/test/mlprof/remote/v1/j0003/m3/runtime_bs_4\\.csv`,
      ),
    );
    const outputs = outputsOf(readManifestOf(data.store, "remote"));
    assert.ok(
      !existsSync(outputs[3]![0]) && !existsSync(outputs[3]![1]),
      "nothing of j0003 entered the store",
    );
    assert.ok(outputs.slice(0, 3).every(([csv, json]) => existsSync(csv) && existsSync(json)));

    // the login node cannot be reached: a clear error, nothing changes
    const closed = await freePort("MLPROF_TEST_CLOSED_PORT");
    const before = readFileSync(join(data.store, "Scans", "remote", "v1", "manifest.json"), "utf8");
    const down = await mlprof(
      ["collect", "--scan-name", "remote", "--version", "v1", "--ssh-port", String(closed)],
      env(),
    );
    assert.equal(down.code, 1);
    assert.match(
      down.stderr,
      new RegExp(`cannot reach ssh host ${sshd.user}@127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED`),
    );
    assert.equal(readFileSync(join(data.store, "Scans", "remote", "v1", "manifest.json"), "utf8"), before);

    // an unknown host key is refused
    const empty = join(data.dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const unknown = await mlprof(
      ["collect", "--scan-name", "remote", "--version", "v1", "--ssh-known-hosts", empty],
      env(),
    );
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /host key of \[127\.0\.0\.1\]:\d+ is not in .*refusing to connect/);

    // a later collect resubmits the job and recovers
    const col = await mlprof(
      [
        "collect",
        "--scan-name",
        "remote",
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
    assert.equal(col.code, 0, col.stdout + col.stderr);
    assert.match(col.stdout, /j0003 failed \(missing .*runtime_bs_4\.csv\); resubmitting, attempt 2 of 3/);
    assert.match(col.stdout, /all 4 job\(s\) of scan remote\/v1 are in the store/);
    assert.ok(outputs.every(([csv, json]) => existsSync(csv) && existsSync(json)));

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
    assert.ok(storeFiles(data.store).some((f) => /PlotMultiRuntimes\/.*\.png$/.test(f)));

    // every job collected: cleanup removes the job folder on the login node and the staged outputs on EOS
    const clean = await mlprof(["cleanup", "--scan-name", "remote", "--version", "v1"], env());
    assert.equal(clean.code, 0, clean.stdout + clean.stderr);
    assert.match(clean.stdout, /cleaned up 4 collected job\(s\) of scan remote\/v1/);
    assert.match(
      clean.stdout,
      new RegExp(
        `removed the job folder ${remote}/remote/v1 and ${xrd.server}//eos/user/t/test/mlprof/remote/v1 on ssh `,
      ),
    );
    assert.ok(!existsSync(join(remote, "remote", "v1")), "the job folder on the login node is gone");
    assert.deepEqual(storeFiles(staged), [], "nothing is left on EOS");
    assert.ok(
      outputs.every(([csv, json]) => existsSync(csv) && existsSync(json)),
      "the store keeps the results",
    );
  });

  test("a dry run over SSH checks the grid proxy on the submit host and renders what a submission would", async () => {
    const dry = (name: string, ...extra: string[]) =>
      mlprof(
        [
          "submit",
          "--dry-run",
          // other measurements than the first test's, which are in the store by now (a dry run of jobs
          // that are done writes no submit file)
          ...scan.map((a, i) => (a === "remote" ? name : scan[i - 1] === "--n-calls" ? "11" : a)),
          ...ssh(),
          "--batch-system",
          "htcondor",
          "--remote-dir",
          remote,
          ...extra,
        ],
        env(),
      );
    const sub = (name: string) =>
      readFileSync(join(data.store, "Scans", name, "v1", "jobs", "submit_1.sub"), "utf8");
    // the proxy of the login node ($X509_USER_PROXY there, set through --batch-env)
    const valid = makeProxy(8 * 60, data.dir);
    const ok = await dry("proxyok", "--batch-env", `X509_USER_PROXY=${valid}`);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(sub("proxyok"), /^use_x509userproxy {7}= true$/m);
    const none = await dry("proxynone", "--batch-env", `X509_USER_PROXY=${join(data.dir, "no-proxy")}`);
    assert.equal(none.code, 0, none.stdout + none.stderr);
    assert.doesNotMatch(sub("proxynone"), /use_x509userproxy/);
    const short = makeProxy(20, data.dir);
    const refused = await dry("proxyshort", "--batch-env", `X509_USER_PROXY=${short}`);
    assert.equal(refused.code, 1, refused.stdout);
    assert.match(
      refused.stderr,
      new RegExp(
        `the grid proxy .*x509up_20 on ssh ${sshd.user}@127\\.0\\.0\\.1:${sshd.port} has (19|20) min left .* a job may run 1 h \\(--job-flavour microcentury\\)`,
      ),
    );
    assert.ok(
      !existsSync(join(data.store, "Scans", "proxyshort", "v1", "jobs", "submit_1.sub")),
      "nothing written",
    );
  });
});
