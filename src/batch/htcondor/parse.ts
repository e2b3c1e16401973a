import { MlprofError } from "../../util/errors.js";
import type { BatchStatus } from "../system.js";

/** A job ClassAd as the HTCondor tools print it (attribute → value). */
export type ClassAd = Record<string, unknown>;

/** The attributes MLProf asks condor_q and condor_history for. */
export const STATUS_ATTRIBUTES = [
  "ClusterId",
  "ProcId",
  "JobStatus",
  "ExitCode",
  "ExitBySignal",
  "ExitSignal",
  "HoldReason",
  "HoldReasonCode",
  "HoldReasonSubCode",
  "RemoveReason",
  "GlobalJobId",
] as const;

/**
 * Parses condor_submit's report: "N job(s) submitted to cluster C." (also the -terse form
 * "C.0 - C.M"). Returns the cluster and the number of jobs.
 */
export function parseCondorSubmit(stdout: string): { cluster: number; count: number } {
  const m = /(\d+) job\(s\) submitted to cluster (\d+)\./.exec(stdout);
  if (m) return { count: Number(m[1]), cluster: Number(m[2]) };
  const t = /^\s*(\d+)\.(\d+)\s*-\s*(\d+)\.(\d+)\s*$/m.exec(stdout);
  if (t && t[1] === t[3]) return { cluster: Number(t[1]), count: Number(t[4]) - Number(t[2]) + 1 };
  throw new MlprofError(`cannot find the cluster id in the output of condor_submit:\n${stdout.trim()}`);
}

/** Parses the output of condor_q/condor_history -json: a JSON array of ads, or nothing when no job matched. */
export function parseCondorJson(stdout: string): ClassAd[] {
  if (stdout.trim() === "") return [];
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch (err) {
    throw new MlprofError(`cannot parse the JSON output of HTCondor: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new MlprofError("expected a JSON array of job ads from HTCondor");
  return data.filter((ad): ad is ClassAd => typeof ad === "object" && ad !== null);
}

function autoValue(text: string): unknown {
  if (text === "undefined") return undefined;
  if (text === "true" || text === "false") return text === "true";
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  return text.replace(/^"(.*)"$/, "$1");
}

/**
 * Parses -af (autoformat) output: one line per ad, values in the order of `attrs`, separated by
 * spaces (or ", " with the ',' qualifier); the last attribute takes the rest of the line, so put
 * free text such as HoldReason last. With `jobId` (the 'j' qualifier) a "cluster.proc" field comes
 * first. "undefined" becomes a missing attribute.
 */
export function parseAutoformat(
  stdout: string,
  attrs: string[],
  opts: { jobId?: boolean; comma?: boolean } = {},
): ClassAd[] {
  const ads: ClassAd[] = [];
  for (const raw of stdout.split("\n")) {
    let line = raw.trim();
    if (!line) continue;
    const ad: ClassAd = {};
    if (opts.jobId) {
      const m = /^(\d+)\.(\d+)[,\s]+/.exec(line);
      if (!m) throw new MlprofError(`expected a job id first in condor autoformat output, found '${raw}'`);
      ad["ClusterId"] = Number(m[1]);
      ad["ProcId"] = Number(m[2]);
      line = line.slice(m[0].length);
    }
    const n = attrs.length;
    const re = opts.comma
      ? new RegExp(`^${"([^,]*),\\s*".repeat(n - 1)}(.*?),?$`)
      : new RegExp(`^${"(\\S+)\\s+".repeat(n - 1)}(.*)$`);
    const m = re.exec(line);
    if (!m)
      throw new MlprofError(
        `expected ${n} values (${attrs.join(", ")}) in condor autoformat output, found '${raw}'`,
      );
    attrs.forEach((attr, i) => {
      const value = autoValue(m[i + 1]!.trim());
      if (value !== undefined) ad[attr] = value;
    });
    ads.push(ad);
  }
  return ads;
}

/** The job id "cluster.proc" of an ad. */
export function adJobId(ad: ClassAd): string {
  return `${String(ad["ClusterId"])}.${String(ad["ProcId"])}`;
}

/** The schedd that holds a job: the first part of its GlobalJobId "<schedd>#<cluster>.<proc>#<time>". */
export function scheddOf(ad: ClassAd): string | undefined {
  const id = ad["GlobalJobId"];
  const m = typeof id === "string" ? /^([^#\s]+)#\d+\.\d+#/.exec(id) : null;
  return m?.[1];
}

/** HoldReasonCode 34 (JobOutOfResources) and its subcode for disk (condor_holdcodes.h). */
const HOLD_OUT_OF_RESOURCES = 34;
const HOLD_SUBCODE_DISK = 104;
/** 21 StartdHeldJob and 26 SystemPolicy: a machine or system policy, for memory when the reason says so. */
const HOLD_POLICIES = new Set([21, 26]);

/**
 * Whether a hold is for memory: code 34 (JobOutOfResources) unless its subcode says disk; a machine or
 * system policy hold (21, 26) whose reason names memory; any hold whose reason names a memory limit
 * (the HTCondor manual shows "Job has gone over cgroup memory limit" with other codes).
 */
export function isMemoryHold(code: unknown, subCode: unknown, reason: string): boolean {
  const c = Number(code);
  const mentionsMemory = /memory|\bOOM\b|out of memory/i.test(reason);
  if (c === HOLD_OUT_OF_RESOURCES) return Number(subCode) !== HOLD_SUBCODE_DISK;
  if (HOLD_POLICIES.has(c)) return mentionsMemory;
  return /memory (usage|limit)|over .*memory|out of memory/i.test(reason);
}

/**
 * Maps an ad to a batch state: JobStatus 1 idle and 7 suspended → pending, 2 running and
 * 6 transferring output → running, 5 held (with HoldReason and code), 3 removed → failed,
 * 4 completed → finished when ExitCode is 0, else failed with the exit code or signal.
 */
export function condorStatus(ad: ClassAd): BatchStatus {
  const status = Number(ad["JobStatus"]);
  switch (status) {
    case 1:
    case 7:
      return { state: "pending" };
    case 2:
    case 6:
      return { state: "running" };
    case 5: {
      const code = ad["HoldReasonCode"];
      const sub = ad["HoldReasonSubCode"];
      const reason = String(ad["HoldReason"] ?? "no hold reason given");
      return {
        state: "held",
        reason: `held: ${reason}${code !== undefined ? ` (HoldReasonCode ${String(code)}${sub !== undefined ? `/${String(sub)}` : ""})` : ""}`,
        ...(isMemoryHold(code, sub, reason) ? { outOfMemory: true } : {}),
      };
    }
    case 3: {
      const why = String(ad["RemoveReason"] ?? "condor_rm");
      // condor_rm writes "via condor_rm (by user <name>)"; the system's policies write their expression
      const byUser = /via condor_rm/i.test(why);
      return { state: "failed", reason: `removed: ${why}`, ...(byUser ? { removedByUser: true } : {}) };
    }
    case 4: {
      if (ad["ExitBySignal"] === true) {
        return { state: "failed", reason: `killed by signal ${String(ad["ExitSignal"] ?? "?")}` };
      }
      const exitCode = Number(ad["ExitCode"] ?? 0);
      return exitCode === 0
        ? { state: "finished", exitCode }
        : { state: "failed", exitCode, reason: `exit code ${exitCode}` };
    }
    default:
      return { state: "pending", reason: `JobStatus ${String(ad["JobStatus"])}` };
  }
}
