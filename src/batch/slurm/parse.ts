import { MlprofError } from "../../util/errors.js";
import type { BatchStatus } from "../system.js";

/** Parses `sbatch --parsable`: "<job id>" or "<job id>;<cluster>". */
export function parseSbatch(stdout: string): string {
  const m = /^(\d+)(;\S+)?\s*$/m.exec(stdout.trim());
  if (!m)
    throw new MlprofError(`cannot find the job id in the output of sbatch --parsable: '${stdout.trim()}'`);
  return m[1]!;
}

/** One line of `squeue -h -r -o '%i|%T|%r'`: job id (array tasks as <array>_<task>), state, reason. */
export interface SqueueRow {
  id: string;
  state: string;
  reason: string;
}

/** Parses `squeue -h -r -o '%i|%T|%r'`. */
export function parseSqueue(stdout: string): SqueueRow[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const [id = "", state = "", reason = ""] = l.split("|");
      return { id, state, reason };
    });
}

/** Parses `squeue -h -o '%F|%o'`: the array job id and the batch script of each job. */
export function parseSqueueCommands(stdout: string): { arrayId: string; command: string }[] {
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const bar = l.indexOf("|");
      return { arrayId: l.slice(0, bar), command: l.slice(bar + 1) };
    })
    .filter((r) => /^\d+$/.test(r.arrayId));
}

/** Parses `scontrol -o show job`: one line per job of Key=Value fields (array tasks carry ArrayJobId/ArrayTaskId). */
export function parseScontrolJobs(stdout: string): Record<string, string>[] {
  return stdout
    .split("\n")
    .filter((l) => l.includes("JobId="))
    .map((l) => {
      const rec: Record<string, string> = {};
      for (const m of l.matchAll(/(\w[\w/:]*)=(\S*)/g)) if (!(m[1]! in rec)) rec[m[1]!] = m[2]!;
      return rec;
    });
}

/** The id MLProf records for a scontrol record: <array>_<task> for array tasks, else the job id. */
export function scontrolId(rec: Record<string, string>): string {
  return rec["ArrayJobId"] && rec["ArrayTaskId"] && rec["ArrayTaskId"] !== "N/A"
    ? `${rec["ArrayJobId"]}_${rec["ArrayTaskId"]}`
    : (rec["JobId"] ?? "");
}

const PENDING = new Set([
  "PENDING",
  "CONFIGURING",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESIZING",
  "SUSPENDED",
]);
const RUNNING = new Set(["RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING"]);

/**
 * Maps a Slurm job state (with its reason and "code:signal" exit code) to a batch state: pending
 * jobs whose reason is a hold (JobHeldUser, JobHeldAdmin) are held; COMPLETED is finished; FAILED,
 * CANCELLED (removed by a person: scancel), TIMEOUT, OUT_OF_MEMORY (more memory helps), NODE_FAIL and
 * the like are failed with that reason.
 */
export function slurmStatus(state: string, reason = "", exitCode?: string): BatchStatus {
  const base = state.split(/\s+/)[0]!.replace(/\+$/, "");
  const [code, signal] = (exitCode ?? "").split(":").map(Number);
  if (PENDING.has(base)) {
    return /Held/i.test(reason) || base === "REQUEUE_HOLD"
      ? { state: "held", reason: `held: ${base} (${reason})` }
      : { state: "pending" };
  }
  if (RUNNING.has(base)) return { state: "running" };
  if (base === "COMPLETED") return { state: "finished", exitCode: code ?? 0 };
  const why = [base, reason && reason !== "None" ? reason : ""].filter(Boolean).join(", ");
  // scancel (by the user or an administrator); a time limit is TIMEOUT, a node failure NODE_FAIL
  if (base === "CANCELLED") return { state: "failed", reason: why, removedByUser: true };
  if (base === "OUT_OF_MEMORY") return { state: "failed", reason: why, outOfMemory: true };
  if (base === "FAILED" && code !== undefined && !Number.isNaN(code)) {
    return {
      state: "failed",
      exitCode: code,
      reason: `exit code ${code}${signal ? `, signal ${signal}` : ""} (${why})`,
    };
  }
  return { state: "failed", reason: why || "unknown Slurm state" };
}
