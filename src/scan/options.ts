/**
 * The options of `mlprof submit` and `mlprof collect` besides the scan parameters: the submit host, the
 * job folder, stage-out, the workers, resource requests; each batch system adds its own (batch/<name>/).
 */
import { posix } from "node:path";
import { BATCH_SYSTEMS, batchSystemNames } from "../batch/registry.js";
import type { BatchSystem, CpuIsolation, StageOutMode, SubmitSettings } from "../batch/system.js";
import { checkOneLine } from "../batch/values.js";
import { parseWalltime } from "../batch/walltime.js";
import { param, parseParams, positive, type Param, type Values } from "../framework/parameters.js";
import { MLP_BASE } from "../paths.js";
import type { Shell } from "../remote/shell.js";
import { checkKnownHostsFiles, checkPort, defaultKnownHosts, parseSshHost } from "../remote/ssh-target.js";
import { MlprofError } from "../util/errors.js";
import { scanDir, type Target } from "./manifest.js";
import type { Scan } from "./scan.js";

/** Options naming the submit host when it is not this machine. */
export const SSH_PARAMS = {
  sshHost: param.string({
    flag: "ssh-host",
    default: "",
    description: "submit over SSH to this login node: [user@]host[:port] (e.g. lxplus.cern.ch)",
  }),
  sshPort: param.int({
    flag: "ssh-port",
    default: 0,
    defaultText: "from --ssh-host, else 22",
    description: "SSH port",
    check: (v) => void (v !== 0 && checkPort("--ssh-port", v)),
  }),
  sshKey: param.string({
    flag: "ssh-key",
    default: "",
    description:
      "private key file; without it the agent ($SSH_AUTH_SOCK) is used (no passwords, no Kerberos)",
  }),
  sshKnownHosts: param.strings({
    flag: "ssh-known-hosts",
    default: [],
    defaultText: "~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts",
    description: "known_hosts files the host key is checked against",
  }),
};

/** Options of `mlprof submit` every batch system shares. */
export const SUBMIT_PARAMS = {
  batchSystem: param.string({
    flag: "batch-system",
    default: batchSystemNames()[0],
    choices: batchSystemNames(),
    description: "the batch system",
  }),
  ...SSH_PARAMS,
  remoteDir: param.string({
    flag: "remote-dir",
    default: "",
    defaultText: "<store>/Scans/<scan>/<version>/jobs",
    description:
      "folder for job folders on the submit host (<dir>/<scan>/<version>); required with --ssh-host",
  }),
  stageOut: param.string({
    flag: "stage-out",
    default: "",
    choices: ["", "transfer", "shared", "xrootd"],
    defaultText: "transfer for htcondor, shared for slurm",
    description:
      "how jobs hand back outputs: transfer (HTCondor output transfer), shared (a folder the workers see), xrootd (xrdcp to --xrootd-url)",
  }),
  xrootdUrl: param.string({
    flag: "xrootd-url",
    default: "",
    description: "stage-out base for --stage-out xrootd, e.g. root://eosuser.cern.ch//eos/user/u/user/mlprof",
  }),
  workerMlprof: param.string({
    flag: "worker-mlprof",
    default: "",
    defaultText: "this MLProf's folder",
    description: "MLProf on the workers: a folder they see (AFS/EOS) or 'tarball' (shipped with each job)",
  }),
  workerNode: param.string({
    flag: "worker-node",
    default: "",
    defaultText: "this node's path; on lxbatch e.g. 'node' after --worker-setup",
    description: "node on the workers",
  }),
  workerSetup: param.string({
    flag: "worker-setup",
    default: "",
    description: "shell lines run on the worker before the payload (e.g. source an LCG view that has node)",
  }),
  workerEnv: param.strings({
    flag: "worker-env",
    default: [],
    description: "comma-separated KEY=VALUE exported on the worker",
  }),
  batchEnv: param.strings({
    flag: "batch-env",
    default: [],
    description: "comma-separated KEY=VALUE set for every batch command (e.g. SLURM_CONF=/etc/slurm/x.conf)",
  }),
  group: param.string({
    flag: "group",
    default: "none",
    choices: ["none", "release"],
    description:
      "one job per measurement (none) or per release and architecture (release: a CMSSW area is built once per job)",
  }),
  retries: param.int({
    flag: "retries",
    default: 2,
    description: "resubmissions of a failed job before it is reported as failed",
    check: (v) => {
      if (!Number.isInteger(v) || v < 0)
        throw new MlprofError(`--retries: expected an integer >= 0, found ${v}`);
    },
  }),
  requestCpus: param.int({
    flag: "request-cpus",
    default: 0,
    defaultText:
      "--threads; a timing job owns the CPUs its engine threads run on (a throughput scan: streams x --threads per job, not settable)",
    description: "CPUs per job",
    check: (v) => {
      if (!Number.isInteger(v) || v < 0 || v > 1024)
        throw new MlprofError(`--request-cpus: expected a number of CPUs from 1 to 1024, found ${v}`);
    },
  }),
  requestMemory: param.int({
    flag: "request-memory",
    default: 2000,
    description: "memory per job in MB (doubled for a job held or killed for its memory, at most 4 times)",
    check: positive("request-memory"),
  }),
  walltime: param.string({
    flag: "walltime",
    default: "",
    description:
      "wall time per job (e.g. 45m, 2h, 01:30:00): HTCondor +MaxRuntime (checked against --job-flavour), Slurm --time; the grid proxy must outlive it",
    check: (v) => void (v && parseWalltime("--walltime", v)),
  }),
  parallelJobs: param.int({
    flag: "parallel-jobs",
    default: 0,
    description:
      "at most this many jobs of the scan in the queue at once (0: all); the rest are submitted by mlprof collect as jobs end (also HTCondor max_materialize, Slurm --array %N)",
    check: (v) => {
      if (!Number.isInteger(v) || v < 0)
        throw new MlprofError(`--parallel-jobs: expected an integer >= 0, found ${v}`);
    },
  }),
  cpuIsolation: param.string({
    flag: "cpu-isolation",
    default: "exclusive",
    choices: ["exclusive", "cores", "none"],
    description:
      "how a timing job keeps other jobs off its CPUs: exclusive (Slurm --exclusive: the node to itself), cores (Slurm --hint=nomultithread: whole cores), none; HTCondor requests --request-cpus and the job pins itself",
  }),
  workerTarball: param.string({
    flag: "worker-tarball",
    default: "auto",
    choices: ["auto", "transfer", "shared", "xrootd"],
    description:
      "with --worker-mlprof tarball, how mlprof.tar.gz reaches the jobs, once per submission: xrootd (uploaded beside the outputs, fetched by the job or HTCondor's xrootd plugin), shared (read from the job folder), transfer (HTCondor transfer_input_files); auto: xrootd with --stage-out xrootd, else shared for Slurm, transfer for HTCondor",
  }),
  batchExtra: param.string({
    flag: "batch-extra",
    default: "",
    description: "extra submit-file lines (HTCondor commands or sbatch options); repeat the flag for several",
  }),
  cmsswConfig: param.string({
    flag: "cmssw-config",
    default: "",
    defaultText: "the engine's, e.g. onnx_cfg.py.njk",
    description: "cmsRun config template of cmssw-templates/ for the cmssw payload",
  }),
  dryRun: param.bool({
    flag: "dry-run",
    default: false,
    description: "write and list the job files without submitting",
  }),
};

/** The options of every batch system (each system's own, after the shared ones), for help texts. */
export function systemParams(): { system: BatchSystem; params: readonly Param<unknown>[] }[] {
  return BATCH_SYSTEMS.map((system) => ({ system, params: Object.values(system.params) }));
}

/** Every option `mlprof submit` takes besides the scan parameters. */
export function allSubmitParams(): readonly Param<unknown>[] {
  return [...Object.values(SUBMIT_PARAMS), ...systemParams().flatMap((s) => s.params)];
}

/** Options of `mlprof collect` besides the scan's identity. */
export const COLLECT_PARAMS = {
  ...SSH_PARAMS,
  retries: param.optionalInt({
    flag: "retries",
    defaultText: "the value given at submission",
    description: "resubmissions of a failed job",
  }),
  watch: param.bool({
    flag: "watch",
    default: false,
    description: "poll until every job is done or failed for good",
  }),
  interval: param.int({ flag: "interval", default: 30, description: "seconds between polls with --watch" }),
  timeout: param.int({
    flag: "timeout",
    default: 0,
    description: "with --watch, give up after this many seconds (0: never)",
  }),
  pollFails: param.int({
    flag: "poll-fails",
    default: 5,
    description:
      "with --watch, consecutive failed polls (expired ticket, busy schedd, query timeout) tolerated before giving up; no job counts as failed for them",
    check: (v) => {
      if (!Number.isInteger(v) || v < 0)
        throw new MlprofError(`--poll-fails: expected an integer >= 0, found ${v}`);
    },
  }),
  resubmitCancelled: param.bool({
    flag: "resubmit-cancelled",
    default: false,
    description: "also resubmit jobs removed by hand (condor_rm, scancel) or by mlprof cancel",
  }),
};

/** Converted submit options; `batchExtra` holds the lines of every --batch-extra flag. */
export type SubmitOptions = Omit<Values<typeof SUBMIT_PARAMS>, "batchExtra"> & {
  batchExtra: string[];
  /** The raw options, for the batch system's own. */
  raw: Record<string, unknown>;
};

/**
 * Converts raw submit options; repeated --batch-extra flags are kept as lines (each one line: a value with
 * a newline in it is refused, not split).
 */
export function submitOptions(raw: Record<string, unknown>): SubmitOptions {
  const extra = raw["batch-extra"];
  const values = parseParams(SUBMIT_PARAMS, { ...raw, "batch-extra": undefined });
  const lines = (Array.isArray(extra) ? extra.map(String) : extra !== undefined ? [String(extra)] : [])
    .map((l) => checkOneLine("--batch-extra (one line per flag; repeat the flag for several)", l.trim()))
    .filter(Boolean);
  return { ...values, batchExtra: lines, raw };
}

/** Converted collect options. */
export type CollectValues = Values<typeof COLLECT_PARAMS>;

/** Parses KEY=VALUE items. */
export function parseEnvList(flag: string, items: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of items) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new MlprofError(`--${flag}: expected KEY=VALUE, found '${item}'`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

/** The SSH part of a target from the options, or undefined for this machine. */
export function sshFromOptions(o: Values<typeof SSH_PARAMS>): Target["ssh"] {
  if (!o.sshHost) return undefined;
  const port = o.sshPort || undefined;
  const keyFile = o.sshKey || undefined;
  const known = o.sshKnownHosts;
  return {
    ...parseSshHost(o.sshHost, port),
    keyFile,
    knownHosts: known.length ? checkKnownHostsFiles(known) : defaultKnownHosts(),
  };
}

/**
 * The SSH settings a command on a submitted scan may override (another key, known_hosts file, port or host),
 * checked as submit checks them: --ssh-host [user@]host[:port] with a valid port, known_hosts files not folders.
 */
export function sshOverridesFromOptions(o: Values<typeof SSH_PARAMS>): Partial<NonNullable<Target["ssh"]>> {
  const ssh: Partial<NonNullable<Target["ssh"]>> = {};
  if (o.sshKey) ssh.keyFile = o.sshKey;
  if (o.sshKnownHosts.length) ssh.knownHosts = checkKnownHostsFiles(o.sshKnownHosts);
  if (o.sshHost) {
    const given = parseSshHost(o.sshHost, o.sshPort || undefined);
    ssh.host = given.host;
    // a port or user only where the flag names one (else the submission's stay)
    if (o.sshPort || /:\d+$/.test(o.sshHost.trim())) ssh.port = given.port;
    if (o.sshHost.includes("@")) ssh.user = given.user;
  } else if (o.sshPort) ssh.port = o.sshPort;
  return ssh;
}

/** Where the scan's jobs run and hand back their outputs, from the submit options. */
export function targetFromOptions(
  o: SubmitOptions,
  scan: Scan,
  system: BatchSystem,
): Omit<Target, "settings" | "transferInput"> {
  const ssh = sshFromOptions(o);
  const remoteDir = o.remoteDir;
  if (ssh && !remoteDir) {
    throw new MlprofError(
      "--remote-dir is required with --ssh-host: the folder for job folders on the login node",
      "e.g. --remote-dir /afs/cern.ch/work/u/user/mlprof-jobs",
    );
  }
  if (remoteDir && !posix.isAbsolute(remoteDir))
    throw new MlprofError(`--remote-dir: expected an absolute path, found '${remoteDir}'`);
  if (remoteDir) checkOneLine("--remote-dir", remoteDir);
  const jobDir = remoteDir
    ? posix.join(remoteDir, scan.name, scan.version)
    : posix.join(scanDir(scan.name, scan.version), "jobs");
  const stageOut = (o.stageOut || system.stageOutModes[0]) as StageOutMode;
  if (!system.stageOutModes.includes(stageOut)) {
    throw new MlprofError(
      `--stage-out ${stageOut} is not possible with ${system.name}; use ${system.stageOutModes.join(" or ")}`,
    );
  }
  let outputBase = posix.join(jobDir, "outputs");
  if (stageOut === "xrootd") {
    const url = checkOneLine("--xrootd-url", o.xrootdUrl.replace(/\/+$/, ""));
    if (!/^(root|xroot|roots):\/\/[^/\s]+\/\/\S*$/.test(url)) {
      throw new MlprofError(
        `--stage-out xrootd needs --xrootd-url root://host//path, found '${url}'`,
        "e.g. --xrootd-url root://eosuser.cern.ch//eos/user/u/user/mlprof",
      );
    }
    outputBase = `${url}/${scan.name}/${scan.version}`;
  }
  return {
    batchSystem: system.name,
    ssh,
    jobDir,
    stageOut,
    outputBase,
    batchEnv: parseEnvList("batch-env", o.batchEnv),
    retries: o.retries,
    jobName: `mlprof-${scan.name}-${scan.version}`,
  };
}

/**
 * The settings of a submission: resource requests shared by every system, then the batch system's own
 * (from its options; `shell` is the submit host, undefined in a dry run over SSH that needs none).
 */
export async function submissionSettings(
  o: SubmitOptions,
  scan: Scan,
  system: BatchSystem,
  shell: Shell | undefined,
  env: Record<string, string>,
): Promise<SubmitSettings> {
  const walltimeS = o.walltime ? parseWalltime("--walltime", o.walltime) : undefined;
  if (scan.kind === "throughput" && o.requestCpus) {
    throw new MlprofError(
      `--request-cpus ${o.requestCpus}: a throughput scan (--streams) requests streams x --threads CPUs for each job, the CPUs its streams run on`,
      "leave --request-cpus out; --threads sets the threads per stream",
    );
  }
  const own = await system.settings(o.raw, { archs: scan.archs, shell, walltimeS, env });
  return {
    // a throughput scan: its largest job's; each submission requests its own jobs' (ScanSession.jobCpus)
    requestCpus:
      scan.kind === "throughput"
        ? Math.max(...scan.streams) * scan.values.threads
        : o.requestCpus || scan.values.threads || 1,
    requestMemoryMb: o.requestMemory,
    extra: o.batchExtra,
    parallelJobs: o.parallelJobs,
    cpuIsolation: system.cpuIsolations.includes(o.cpuIsolation as CpuIsolation)
      ? (o.cpuIsolation as CpuIsolation)
      : "none",
    ...own,
    walltimeS: Number(own["walltimeS"] ?? walltimeS ?? 3600),
  };
}

/** MLProf and node on the workers. */
export interface WorkerSpec {
  /** A folder the workers see, or undefined when MLProf travels as mlprof.tar.gz. */
  mlprofPath?: string;
  node: string;
  setup: string;
  env: Record<string, string>;
}

/** The worker side from the options (defaults: this MLProf and this node, as on a shared file system). */
export function workerFromOptions(o: SubmitOptions): WorkerSpec {
  const mlprof = o.workerMlprof || MLP_BASE;
  return {
    mlprofPath: mlprof === "tarball" ? undefined : mlprof,
    node: o.workerNode || process.execPath,
    setup: o.workerSetup,
    env: parseEnvList("worker-env", o.workerEnv),
  };
}
