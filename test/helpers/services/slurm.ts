/**
 * A single-node Slurm on loopback for the batch tests: munged with its own key and socket,
 * slurmctld and slurmd on their own ports (MLPROF_TEST_SLURMCTLD_PORT, MLPROF_TEST_SLURMD_PORT),
 * no accounting storage. Every client call needs SLURM_CONF=<conf>.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, hostname, userInfo } from "node:os";
import { join } from "node:path";
import { exitedEarly, freePort, serviceDir, startDaemon, waitFor, type Daemon } from "./common.js";

/** A running test Slurm. */
export interface TestSlurm {
  dir: string;
  conf: string;
  /** Environment of client calls (SLURM_CONF). */
  env: Record<string, string>;
  node: string;
  /** Runs a Slurm client command with SLURM_CONF; returns its stdout (throws on failure). */
  run(args: string[]): string;
  /** Stops slurmctld (jobs on the node go on; clients fail until it is back). */
  stopController(): Promise<void>;
  /** Starts slurmctld again (it reads its saved state) and waits until it answers. */
  startController(): Promise<void>;
  stop(): Promise<void>;
}

/** The binaries the test Slurm needs. */
export const SLURM_COMMANDS = [
  "munged",
  "slurmctld",
  "slurmd",
  "sbatch",
  "squeue",
  "scontrol",
  "scancel",
  "sinfo",
];

/** Starts munged, slurmctld and slurmd, and waits (at most 60 s) until the node is idle. */
export async function startSlurm(): Promise<TestSlurm> {
  const dir = serviceDir("slurm");
  const node = hostname().split(".")[0]!;
  const [ctldPort, dPort] = [
    await freePort("MLPROF_TEST_SLURMCTLD_PORT"),
    await freePort("MLPROF_TEST_SLURMD_PORT"),
  ];
  for (const sub of ["munge", "state", "spool", "log"]) mkdirSync(join(dir, sub));
  chmodSync(join(dir, "munge"), 0o700);
  writeFileSync(join(dir, "munge", "munge.key"), randomBytes(1024), { mode: 0o600 });
  const socket = join(dir, "munge", "munge.sock");
  const conf = join(dir, "slurm.conf");
  writeFileSync(
    conf,
    [
      "ClusterName=mlproftest",
      `SlurmctldHost=${node}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${socket}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/log/slurmctld.log`,
      `SlurmdLogFile=${dir}/log/slurmd.log`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "AccountingStorageType=accounting_storage/none",
      "JobAcctGatherType=jobacct_gather/none",
      "JobCompType=jobcomp/none",
      "MpiDefault=none",
      "ReturnToService=2",
      "SchedulerParameters=sched_interval=2",
      "MinJobAge=300",
      "MaxArraySize=1001",
      `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=4000 State=UNKNOWN`,
      `PartitionName=debug Nodes=${node} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  const env = { SLURM_CONF: conf };
  const daemons: Daemon[] = [];
  let ctld: Daemon | undefined;
  const answers = () =>
    spawnSync("squeue", ["-h"], { env: { ...process.env, ...env }, encoding: "utf8", timeout: 10_000 })
      .status === 0;
  const stopController = async () => {
    await ctld?.stop();
  };
  const startController = async () => {
    const i = daemons.indexOf(ctld!);
    ctld = startDaemon("slurmctld", "slurmctld", ["-D", "-f", conf], join(dir, "log", "slurmctld.out"));
    daemons[i >= 0 ? i : daemons.length] = ctld;
    await waitFor("slurmctld to answer again", answers, 30_000, 300);
  };
  const run = (args: string[]): string => {
    const [cmd, ...rest] = args;
    const res = spawnSync(cmd!, rest, { env: { ...process.env, ...env }, encoding: "utf8", timeout: 30_000 });
    if (res.status !== 0) throw new Error(`${args.join(" ")} failed: ${res.stderr || res.error?.message}`);
    return res.stdout;
  };
  const stop = async () => {
    try {
      spawnSync("scancel", ["-u", userInfo().username], { env: { ...process.env, ...env }, timeout: 10_000 });
      await waitFor(
        "the test jobs to end",
        () => {
          const q = spawnSync("squeue", ["-h"], {
            env: { ...process.env, ...env },
            encoding: "utf8",
            timeout: 10_000,
          });
          return q.status !== 0 || q.stdout.trim() === "";
        },
        15_000,
      ).catch(() => undefined);
    } finally {
      for (const d of daemons.reverse()) await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  try {
    const munge = startDaemon(
      "munged",
      "munged",
      [
        "--foreground",
        "--force",
        `--key-file=${dir}/munge/munge.key`,
        `--socket=${socket}`,
        `--pid-file=${dir}/munge/munged.pid`,
        `--log-file=${dir}/munge/munged.log`,
        `--seed-file=${dir}/munge/munged.seed`,
      ],
      join(dir, "log", "munged.out"),
    );
    daemons.push(munge);
    await waitFor(
      "munged's socket",
      () => exitedEarly(munge) || spawnSync("test", ["-S", socket]).status === 0,
      10_000,
    );
    ctld = startDaemon("slurmctld", "slurmctld", ["-D", "-f", conf], join(dir, "log", "slurmctld.out"));
    daemons.push(ctld);
    const slurmd = startDaemon("slurmd", "slurmd", ["-D", "-f", conf], join(dir, "log", "slurmd.out"));
    daemons.push(slurmd);
    await waitFor(
      "the Slurm node to become idle",
      () => {
        const dead = daemons.find(exitedEarly);
        if (dead) throw new Error(`${dead.name} exited during start-up:\n${readLog(dir, dead.name)}`);
        const res = spawnSync("sinfo", ["-h", "-o", "%t"], {
          env: { ...process.env, ...env },
          encoding: "utf8",
          timeout: 10_000,
        });
        return res.status === 0 && /^idle/m.test(res.stdout);
      },
      60_000,
      500,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, conf, env, node, run, stopController, startController, stop };
}

function readLog(dir: string, name: string): string {
  for (const f of [join(dir, "log", `${name}.log`), join(dir, "log", `${name}.out`)]) {
    try {
      return readFileSync(f, "utf8").split("\n").slice(-15).join("\n");
    } catch {
      // try the next one
    }
  }
  return "(no log)";
}
