/**
 * The 100-job demonstration (not a test): 4 models x 25 batch sizes submitted over SSH to the
 * loopback Slurm, staged out to the loopback XRootD server, collected and plotted with
 * PlotMultiRuntimes; prints each command with its wall time. Needs root and the services' packages.
 *
 *   npm run build && node --import tsx test/helpers/services/demo-scan.ts [data folder]
 *
 * The store (with the plot) stays in the data folder (default: data/batch-demo).
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { REPO } from "../cli.js";
import { startSlurm } from "./slurm.js";
import { startSshd } from "./sshd.js";
import { startXrootd } from "./xrootd.js";

const data = resolve(process.argv[2] ?? join(REPO, "data", "batch-demo"));
const env = { ...process.env, MLP_DATA: data, MLP_STORE: "", MLPROF_PROGRESS: "plain", SSH_AUTH_SOCK: "" };

function mlprof(args: string[]): number {
  console.log(`\n$ mlprof ${args.join(" ")}`);
  const t0 = Date.now();
  const res = spawnSync(process.execPath, [join(REPO, "bin", "mlprof.js"), ...args], {
    env,
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const lines = (res.stdout + res.stderr).split("\n").filter((l) => l && !/^\s*[❯✔›]|^warning:/.test(l));
  console.log(lines.slice(-6).join("\n"));
  const s = (Date.now() - t0) / 1000;
  console.log(`-> exit ${res.status}, ${s.toFixed(1)} s`);
  if (res.status !== 0) throw new Error(`mlprof ${args[0]} failed`);
  return s;
}

const [slurm, sshd, xrd] = await Promise.all([startSlurm(), startSshd(), startXrootd()]);
try {
  const scan = [
    "--version",
    "v1",
    "--model-files",
    join(REPO, "examples", "dnn", "model_onnx_l{10,20}u{128,256}.yaml"),
    "--model-names",
    "l10u128,l10u256,l20u128,l20u256",
    "--batch-sizes",
    Array.from({ length: 25 }, (_, i) => i + 1).join(","),
    "--n-calls",
    "20",
    "--n-warmup",
    "2",
  ];
  mlprof([
    "submit",
    "--scan-name",
    "demo100",
    ...scan,
    "--batch-system",
    "slurm",
    "--batch-env",
    `SLURM_CONF=${slurm.conf}`,
    "--ssh-host",
    `${sshd.user}@127.0.0.1`,
    "--ssh-port",
    String(sshd.port),
    "--ssh-key",
    sshd.keyFile,
    "--ssh-known-hosts",
    sshd.knownHosts,
    "--remote-dir",
    join(data, "login-node"),
    "--stage-out",
    "xrootd",
    "--xrootd-url",
    `${xrd.server}//eos/user/d/demo/mlprof`,
  ]);
  const t0 = Date.now();
  while (slurm.run(["squeue", "-h", "-r", "-n", "mlprof-demo100-v1"]).trim() !== "") {
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(`\nall jobs ended ${((Date.now() - t0) / 1000).toFixed(1)} s after submission`);
  mlprof(["collect", "--scan-name", "demo100", "--version", "v1"]);
  mlprof(["plot", ...scan, "--file-types", "png,pdf", "--x-log", "true", "--y-log", "true"]);
} finally {
  await Promise.all([slurm.stop(), sshd.stop(), xrd.stop()]);
}
