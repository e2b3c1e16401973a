import { posix } from "node:path";
import { MLP_BASE } from "../paths.js";
import type { BatchSystem, StageOutMode, SubmitSettings } from "../batch/types.js";
import { defaultKnownHosts, parseSshHost } from "../remote/ssh-target.js";
import { convertArgs, type ParamDef } from "../tasks/params.js";
import { MlprofError } from "../util/errors.js";
import { scanDir, type Target } from "./manifest.js";
import type { Scan } from "./scan.js";

/** lxbatch wall-time classes (+JobFlavour). */
export const JOB_FLAVOURS = [
  "espresso",
  "microcentury",
  "longlunch",
  "workday",
  "tomorrow",
  "testmatch",
  "nextweek",
];

/** Options naming the submit host when it is not this machine. */
export const SSH_PARAMS: ParamDef[] = [
  {
    name: "ssh-host",
    type: "string",
    default: "",
    description: "submit over SSH to this login node: [user@]host[:port] (e.g. lxplus.cern.ch)",
  },
  { name: "ssh-port", type: "int", default: 0, description: "SSH port (default: from --ssh-host, else 22)" },
  {
    name: "ssh-key",
    type: "string",
    default: "",
    description:
      "private key file; without it the agent ($SSH_AUTH_SOCK) is used (no passwords, no Kerberos)",
  },
  {
    name: "ssh-known-hosts",
    type: "strings",
    default: [],
    description:
      "known_hosts files the host key is checked against (default: ~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts)",
  },
];

/** Options of `mlprof submit` besides the scan parameters. */
export const SUBMIT_PARAMS: ParamDef[] = [
  {
    name: "batch-system",
    type: "string",
    default: "htcondor",
    choices: ["htcondor", "slurm"],
    description: "the batch system",
  },
  ...SSH_PARAMS,
  {
    name: "remote-dir",
    type: "string",
    default: "",
    description:
      "folder for job folders on the submit host (<dir>/<scan>/<version>); required with --ssh-host; default: <store>/Scans/<scan>/<version>/jobs",
  },
  {
    name: "stage-out",
    type: "string",
    default: "",
    choices: ["", "transfer", "shared", "xrootd"],
    description:
      "how jobs hand back outputs: transfer (HTCondor output transfer), shared (a folder the workers see), xrootd (xrdcp to --xrootd-url); default: transfer for htcondor, shared for slurm",
  },
  {
    name: "xrootd-url",
    type: "string",
    default: "",
    description: "stage-out base for --stage-out xrootd, e.g. root://eosuser.cern.ch//eos/user/u/user/mlprof",
  },
  {
    name: "worker-mlprof",
    type: "string",
    default: "",
    description:
      "MLProf on the workers: a folder they see (AFS/EOS) or 'tarball' (shipped with each job); default: this MLProf's folder",
  },
  {
    name: "worker-node",
    type: "string",
    default: "",
    description:
      "node on the workers (default: this node's path; on lxbatch e.g. 'node' after --worker-setup)",
  },
  {
    name: "worker-setup",
    type: "string",
    default: "",
    description: "shell lines run on the worker before the payload (e.g. source an LCG view that has node)",
  },
  {
    name: "worker-env",
    type: "strings",
    default: [],
    description: "comma-separated KEY=VALUE exported on the worker",
  },
  {
    name: "batch-env",
    type: "strings",
    default: [],
    description: "comma-separated KEY=VALUE set for every batch command (e.g. SLURM_CONF=/etc/slurm/x.conf)",
  },
  {
    name: "group",
    type: "string",
    default: "none",
    choices: ["none", "release"],
    description:
      "one job per measurement (none) or per release and architecture (release: a CMSSW area is built once per job)",
  },
  {
    name: "retries",
    type: "int",
    default: 2,
    description: "resubmissions of a failed job before it is reported as failed",
  },
  { name: "request-cpus", type: "int", default: 0, description: "CPUs per job (default: --threads)" },
  { name: "request-memory", type: "int", default: 2000, description: "memory per job in MB" },
  {
    name: "job-flavour",
    type: "string",
    default: "microcentury",
    choices: JOB_FLAVOURS,
    description: "HTCondor +JobFlavour (lxbatch wall-time class)",
  },
  {
    name: "worker-os",
    type: "string",
    default: "",
    description: "HTCondor MY.WantOS (default: from the SCRAM architecture, e.g. el9)",
  },
  {
    name: "x509-proxy",
    type: "string",
    default: "auto",
    choices: ["auto", "yes", "no"],
    description: "pass the grid proxy (auto: when one exists on the submit host)",
  },
  {
    name: "slurm-partition",
    type: "string",
    default: "",
    description: "Slurm partition (default: the cluster's default)",
  },
  { name: "slurm-time", type: "string", default: "01:00:00", description: "Slurm time limit per job" },
  {
    name: "batch-extra",
    type: "string",
    default: "",
    description: "extra submit-file lines (HTCondor commands or sbatch options); repeat the flag for several",
  },
  {
    name: "cmssw-config",
    type: "string",
    default: "",
    description:
      "cmsRun config template of cmssw-templates/ for the cmssw payload (default: the engine's, e.g. onnx_cfg.py.njk)",
  },
  {
    name: "dry-run",
    type: "bool",
    default: false,
    description: "write and list the job files without submitting",
  },
];

/** Options of `mlprof collect` besides the scan's identity. */
export const COLLECT_PARAMS: ParamDef[] = [
  ...SSH_PARAMS,
  {
    name: "retries",
    type: "int",
    description: "resubmissions of a failed job (default: the value given at submission)",
  },
  {
    name: "watch",
    type: "bool",
    default: false,
    description: "poll until every job is done or failed for good",
  },
  { name: "interval", type: "int", default: 30, description: "seconds between polls with --watch" },
  {
    name: "timeout",
    type: "int",
    default: 0,
    description: "with --watch, give up after this many seconds (0: never)",
  },
];

/** Converted submit options. */
export type Options = Record<string, unknown>;

/** Converts raw option values with the given definitions; repeated --batch-extra flags are kept as lines. */
export function convertOptions(defs: ParamDef[], raw: Record<string, unknown>): Options {
  const extra = raw["batch-extra"];
  const opts = convertArgs(defs, { ...raw, "batch-extra": undefined });
  if (defs.some((d) => d.name === "batch-extra")) {
    opts["batch-extra"] = (Array.isArray(extra) ? extra.map(String) : extra ? String(extra).split("\n") : [])
      .map((l) => l.trim())
      .filter(Boolean);
  }
  return opts;
}

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
export function sshFromOptions(o: Options): Target["ssh"] {
  const spec = String(o["ssh-host"] ?? "");
  if (!spec) return undefined;
  const port = Number(o["ssh-port"] ?? 0) || undefined;
  const known = (o["ssh-known-hosts"] as string[] | undefined) ?? [];
  const keyFile = String(o["ssh-key"] ?? "") || undefined;
  return { ...parseSshHost(spec, port), keyFile, knownHosts: known.length ? known : defaultKnownHosts() };
}

/** Worker OS from a SCRAM architecture: el9_amd64_gcc12 → el9, slc7_... → el7, cs8/cc8 → el8. */
export function osFromArch(arch: string): string {
  const m = /^(el|slc|cc|cs|alma|rhel)(\d+)_/.exec(arch);
  return m ? `el${m[2]}` : "";
}

/** Where the scan's jobs run and hand back their outputs, from the submit options. */
export function targetFromOptions(
  o: Options,
  scan: Scan,
  system: BatchSystem,
): Omit<Target, "settings" | "transferInput"> {
  const ssh = sshFromOptions(o);
  const remoteDir = String(o["remote-dir"] ?? "");
  if (ssh && !remoteDir) {
    throw new MlprofError(
      "--remote-dir is required with --ssh-host: the folder for job folders on the login node",
      "e.g. --remote-dir /afs/cern.ch/work/u/user/mlprof-jobs",
    );
  }
  if (remoteDir && !posix.isAbsolute(remoteDir))
    throw new MlprofError(`--remote-dir: expected an absolute path, found '${remoteDir}'`);
  const jobDir = remoteDir
    ? posix.join(remoteDir, scan.name, scan.version)
    : posix.join(scanDir(scan.name, scan.version), "jobs");
  const stageOut = (String(o["stage-out"] ?? "") || system.stageOutModes[0]) as StageOutMode;
  if (!system.stageOutModes.includes(stageOut)) {
    throw new MlprofError(
      `--stage-out ${stageOut} is not possible with ${system.name}; use ${system.stageOutModes.join(" or ")}`,
    );
  }
  let outputBase = posix.join(jobDir, "outputs");
  if (stageOut === "xrootd") {
    const url = String(o["xrootd-url"] ?? "").replace(/\/+$/, "");
    if (!/^(root|xroot|roots):\/\/[^/]+\/\//.test(url)) {
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
    batchEnv: parseEnvList("batch-env", o["batch-env"] as string[]),
    retries: o["retries"] as number,
    jobName: `mlprof-${scan.name}-${scan.version}`,
  };
}

/** Resource requests and lxbatch conventions from the options. */
export function settingsFromOptions(o: Options, scan: Scan, x509Proxy: boolean): SubmitSettings {
  const cpus = (o["request-cpus"] as number) || (scan.args["threads"] as number) || 1;
  return {
    requestCpus: cpus,
    requestMemoryMb: o["request-memory"] as number,
    jobFlavour: String(o["job-flavour"]),
    workerOs: String(o["worker-os"] ?? "") || osFromArch(scan.archs[0] ?? ""),
    x509Proxy,
    partition: String(o["slurm-partition"] ?? ""),
    timeLimit: String(o["slurm-time"]),
    extra: o["batch-extra"] as string[],
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
export function workerFromOptions(o: Options): WorkerSpec {
  const mlprof = String(o["worker-mlprof"] ?? "") || MLP_BASE;
  return {
    mlprofPath: mlprof === "tarball" ? undefined : mlprof,
    node: String(o["worker-node"] ?? "") || process.execPath,
    setup: String(o["worker-setup"] ?? ""),
    env: parseEnvList("worker-env", o["worker-env"] as string[]),
  };
}
