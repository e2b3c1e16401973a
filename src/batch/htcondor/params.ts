/** The options of `mlprof submit` that HTCondor owns, and its settings. */
import type { Shell } from "../../remote/shell.js";
import { param, type Values } from "../../framework/parameters.js";
import { MlprofError } from "../../util/errors.js";
import type { SettingsContext } from "../system.js";
import { checkToken } from "../values.js";
import { humanDuration } from "../walltime.js";

/** lxbatch wall-time classes (+JobFlavour) and their limits in seconds (CERN batch documentation). */
export const FLAVOUR_LIMITS_S: Readonly<Record<string, number>> = {
  espresso: 20 * 60,
  microcentury: 60 * 60,
  longlunch: 2 * 3600,
  workday: 8 * 3600,
  tomorrow: 86400,
  testmatch: 3 * 86400,
  nextweek: 7 * 86400,
};

/** lxbatch wall-time classes (+JobFlavour). */
export const JOB_FLAVOURS = Object.keys(FLAVOUR_LIMITS_S);

const HOST = /^[A-Za-z0-9][A-Za-z0-9_.@:-]*$/;

export const HTCONDOR_PARAMS = {
  jobFlavour: param.string({
    flag: "job-flavour",
    default: "microcentury",
    choices: JOB_FLAVOURS,
    description: "HTCondor +JobFlavour (lxbatch wall-time class: espresso 20 min ... nextweek 1 week)",
  }),
  workerOs: param.string({
    flag: "worker-os",
    default: "",
    defaultText: "each job's from its SCRAM architecture, e.g. el9",
    description: "HTCondor MY.WantOS for every job",
    check: (v) => void (v && checkToken("--worker-os", v, /^[A-Za-z0-9_.-]+$/, "an OS name such as el9")),
  }),
  x509Proxy: param.string({
    flag: "x509-proxy",
    default: "auto",
    choices: ["auto", "yes", "no"],
    description:
      "pass the grid proxy (use_x509userproxy); auto: when one exists on the submit host. Its lifetime is checked against the wall time",
  }),
  schedd: param.string({
    flag: "htcondor-schedd",
    default: "",
    defaultText: "the submit host's, recorded at submission and used for every later query and removal",
    description: "the schedd to submit to (condor_submit -name)",
    check: (v) =>
      void (v && checkToken("--htcondor-schedd", v, HOST, "a schedd name such as bigbird18.cern.ch")),
  }),
  pool: param.string({
    flag: "htcondor-pool",
    default: "",
    description: "the pool (central manager) of the schedd (-pool host[:port])",
    check: (v) =>
      void (v && checkToken("--htcondor-pool", v, HOST, "a host[:port] such as tweetybird03.cern.ch")),
  }),
};

/** HTCondor's part of the submission settings. */
export interface HtcondorSettings {
  /** +JobFlavour (lxbatch wall-time class). */
  jobFlavour: string;
  /** The worker OS of every job (--worker-os), or "" when each job's follows from its architecture. */
  workerOs: string;
  /** The worker OS of each SCRAM architecture of the scan (MY.WantOS of its jobs). */
  osByArch: Record<string, string>;
  /** Pass the grid proxy (use_x509userproxy). */
  x509Proxy: boolean;
  /** +MaxRuntime in seconds when --walltime is given (0: the flavour's limit). */
  maxRuntimeS: number;
  /** The wall time a job may take: --walltime, else the flavour's limit. */
  walltimeS: number;
  /** condor_* -name and -pool: given, or the schedd recorded at the first submission. */
  schedd: string;
  pool: string;
}

/** Worker OS from a SCRAM architecture: el9_amd64_gcc12 → el9, slc7_... → el7, cs8/cc8 → el8. */
export function osFromArch(arch: string): string {
  const m = /^(el|slc|cc|cs|alma|rhel)(\d+)_/.exec(arch);
  return m ? `el${m[2]}` : "";
}

/** A grid proxy on the submit host: its path and the seconds it is still valid (negative: expired). */
export interface ProxyLifetime {
  path: string;
  notAfter: Date;
  leftS: number;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Parses openssl's `notAfter=May  1 20:17:28 2027 GMT`. */
export function parseNotAfter(line: string): Date | undefined {
  const m = /notAfter=(\w{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})\s+(\d{4})\s+GMT/.exec(line);
  if (!m || !MONTHS.includes(m[1]!)) return undefined;
  return new Date(
    Date.UTC(Number(m[6]), MONTHS.indexOf(m[1]!), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])),
  );
}

/**
 * The grid proxy HTCondor would pass ($X509_USER_PROXY, else /tmp/x509up_u<uid>) on the submit host and
 * its remaining lifetime by the submit host's clock (`openssl x509 -enddate` reads proxy files), or
 * undefined when there is none.
 */
export async function proxyLifetime(
  shell: Shell,
  env: Record<string, string>,
): Promise<ProxyLifetime | undefined> {
  const script =
    'f="${X509_USER_PROXY:-/tmp/x509up_u$(id -u)}"; if [ ! -e "$f" ]; then echo "absent $f"; exit 0; fi; ' +
    'echo "file $f"; date +%s; openssl x509 -noout -enddate -in "$f"';
  const res = await shell.exec(["sh", "-c", script], { env });
  const lines = res.stdout.split("\n").map((l) => l.trim());
  const absent = /^absent (.*)$/.exec(lines[0] ?? "");
  if (absent && res.exitCode === 0) return undefined;
  const path = /^file (.*)$/.exec(lines[0] ?? "")?.[1] ?? "the grid proxy";
  const now = Number(lines[1]);
  const notAfter = parseNotAfter(lines.find((l) => l.startsWith("notAfter=")) ?? "");
  if (res.exitCode !== 0 || !notAfter || !Number.isFinite(now)) {
    const detail = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-2).join(" ");
    throw new MlprofError(
      `cannot read the grid proxy ${path} on ${shell.label} with openssl x509 -enddate: ${detail || "no notAfter line"}`,
      "renew it (voms-proxy-init), or pass --x509-proxy no",
    );
  }
  return { path, notAfter, leftS: Math.round(notAfter.getTime() / 1000 - now) };
}

/** Refuses a proxy that expires before a job of `walltimeS` could end (condor_submit would refuse it too). */
export function checkProxyLifetime(p: ProxyLifetime, walltimeS: number, why: string, where: string): void {
  const until = p.notAfter
    .toISOString()
    .replace(/\.\d+Z$/, " UTC")
    .replace("T", " ");
  if (p.leftS <= 0) {
    throw new MlprofError(
      `the grid proxy ${p.path} on ${where} expired ${humanDuration(-p.leftS)} ago (${until}); condor_submit refuses expired proxies`,
      "renew it (e.g. voms-proxy-init --voms cms --valid 168:00), or pass --x509-proxy no",
    );
  }
  if (p.leftS < walltimeS) {
    throw new MlprofError(
      `the grid proxy ${p.path} on ${where} has ${humanDuration(p.leftS)} left (until ${until}), but a job may run ` +
        `${humanDuration(walltimeS)} (${why}); the jobs would lose their credentials before they end`,
      "renew it for longer (e.g. voms-proxy-init --voms cms --valid 168:00), shorten --walltime, or pass --x509-proxy no",
    );
  }
}

/** HTCondor's settings from its options: the wall time checked against the flavour, the proxy's lifetime. */
export async function htcondorSettings(
  v: Values<typeof HTCONDOR_PARAMS>,
  ctx: SettingsContext,
): Promise<HtcondorSettings> {
  const limit = FLAVOUR_LIMITS_S[v.jobFlavour]!;
  if (ctx.walltimeS !== undefined && ctx.walltimeS > limit) {
    const fits = JOB_FLAVOURS.find((f) => FLAVOUR_LIMITS_S[f]! >= ctx.walltimeS!);
    throw new MlprofError(
      `--walltime ${humanDuration(ctx.walltimeS)} is longer than --job-flavour ${v.jobFlavour} allows (${humanDuration(limit)}); lxbatch would remove the jobs at the flavour's limit`,
      fits
        ? `use --job-flavour ${fits}, or a shorter --walltime`
        : "use a shorter --walltime (nextweek allows 1 week)",
    );
  }
  const walltimeS = ctx.walltimeS ?? limit;
  const osByArch: Record<string, string> = {};
  for (const arch of ctx.archs) {
    const os = v.workerOs || osFromArch(arch);
    if (!os) {
      throw new MlprofError(
        `cannot tell the worker OS (MY.WantOS) of the SCRAM architecture '${arch}': expected el<N>_..., slc<N>_..., cs<N>_... or alma<N>_...`,
        "give it with --worker-os el9",
      );
    }
    osByArch[arch] = os;
  }
  let x509Proxy = false;
  if (v.x509Proxy !== "no") {
    if (!ctx.shell) throw new Error("the proxy check needs the submit host");
    const proxy = await proxyLifetime(ctx.shell, ctx.env);
    if (!proxy && v.x509Proxy === "yes") {
      throw new MlprofError(
        `--x509-proxy yes: there is no grid proxy on ${ctx.shell.label} ($X509_USER_PROXY, else /tmp/x509up_u<uid>)`,
        "create one (voms-proxy-init --voms cms), or pass --x509-proxy auto|no",
      );
    }
    if (proxy) {
      const why = ctx.walltimeS !== undefined ? "--walltime" : `--job-flavour ${v.jobFlavour}`;
      checkProxyLifetime(proxy, walltimeS, why, ctx.shell.label);
      x509Proxy = true;
    }
  }
  return {
    jobFlavour: v.jobFlavour,
    workerOs: v.workerOs,
    osByArch,
    x509Proxy,
    maxRuntimeS: ctx.walltimeS ?? 0,
    walltimeS,
    schedd: v.schedd,
    pool: v.pool,
  };
}

/** Why a dry run over SSH must reach the submit host: the proxy check (unless --x509-proxy no). */
export function htcondorNeedsHost(v: Values<typeof HTCONDOR_PARAMS>): string | undefined {
  return v.x509Proxy === "no" ? undefined : "to check the grid proxy's lifetime (--x509-proxy no skips it)";
}
