/** The options of `mlprof submit` that HTCondor owns, and its settings. */
import type { Shell } from "../../remote/shell.js";
import { param, type Values } from "../../framework/parameters.js";
import type { SettingsContext } from "../system.js";

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

export const HTCONDOR_PARAMS = {
  jobFlavour: param.string({
    flag: "job-flavour",
    default: "microcentury",
    choices: JOB_FLAVOURS,
    description: "HTCondor +JobFlavour (lxbatch wall-time class)",
  }),
  workerOs: param.string({
    flag: "worker-os",
    default: "",
    description: "HTCondor MY.WantOS (default: from the SCRAM architecture, e.g. el9)",
  }),
  x509Proxy: param.string({
    flag: "x509-proxy",
    default: "auto",
    choices: ["auto", "yes", "no"],
    description: "pass the grid proxy (auto: when one exists on the submit host)",
  }),
};

/** HTCondor's part of the submission settings. */
export interface HtcondorSettings {
  /** +JobFlavour (lxbatch wall-time class). */
  jobFlavour: string;
  /** Worker OS (MY.WantOS on lxbatch), derived from the SCRAM architecture unless given. */
  workerOs: string;
  /** Pass the grid proxy (use_x509userproxy). */
  x509Proxy: boolean;
}

/** Worker OS from a SCRAM architecture: el9_amd64_gcc12 → el9, slc7_... → el7, cs8/cc8 → el8. */
export function osFromArch(arch: string): string {
  const m = /^(el|slc|cc|cs|alma|rhel)(\d+)_/.exec(arch);
  return m ? `el${m[2]}` : "";
}

/** Whether a grid proxy exists on the submit host ($X509_USER_PROXY, else /tmp/x509up_u<uid>). */
async function hasProxy(shell: Shell): Promise<boolean> {
  const res = await shell.exec(["sh", "-c", 'test -f "${X509_USER_PROXY:-/tmp/x509up_u$(id -u)}"']);
  return res.exitCode === 0;
}

/** HTCondor's settings from its options (the proxy looked for on the submit host with `auto`). */
export async function htcondorSettings(
  v: Values<typeof HTCONDOR_PARAMS>,
  ctx: SettingsContext,
): Promise<HtcondorSettings> {
  const x509Proxy =
    v.x509Proxy === "yes" ||
    (v.x509Proxy === "auto" && ctx.shell !== undefined && (await hasProxy(ctx.shell)));
  return { jobFlavour: v.jobFlavour, workerOs: v.workerOs || osFromArch(ctx.archs[0] ?? ""), x509Proxy };
}
