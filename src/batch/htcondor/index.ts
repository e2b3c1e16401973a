import { posix } from "node:path";
import { MlprofError } from "../../util/errors.js";
import { execOrThrow, type Shell } from "../../remote/shell.js";
import { render } from "../render.js";
import { defineBatchSystem } from "../define.js";
import type { BatchStatus, GeneratedFile, SubmitFileContext } from "../system.js";
import { HTCONDOR_PARAMS, htcondorSettings } from "./params.js";
import {
  STATUS_ATTRIBUTES,
  adJobId,
  condorStatus,
  parseAutoformat,
  parseCondorJson,
  parseCondorSubmit,
  type ClassAd,
} from "./parse.js";

/** Attributes of the -af fallback (HTCondor without -json); HoldReason last, it holds spaces. */
const AF_ATTRIBUTES = ["JobStatus", "ExitCode", "ExitBySignal", "ExitSignal", "HoldReasonCode", "HoldReason"];

function clustersOf(ids: string[]): string[] {
  return [...new Set(ids.map((id) => id.split(".")[0]!))];
}

/** Queries one condor tool (condor_q or condor_history) for the clusters of `ids`. */
async function queryAds(
  shell: Shell,
  tool: "condor_q" | "condor_history",
  ids: string[],
  env: Record<string, string>,
): Promise<ClassAd[]> {
  const clusters = clustersOf(ids);
  const extra = tool === "condor_history" ? ["-match", String(ids.length)] : [];
  const json = await shell.exec(
    [tool, ...clusters, ...extra, "-json", "-attributes", STATUS_ATTRIBUTES.join(",")],
    {
      env,
    },
  );
  if (json.exitCode === 0) return parseCondorJson(json.stdout);
  if (!/json|attributes/i.test(json.stderr)) {
    throw new MlprofError(
      `${tool} failed on ${shell.label} (exit code ${json.exitCode}): ${json.stderr.trim()}`,
    );
  }
  // an HTCondor without -json: the autoformat output
  const af = await execOrThrow(shell, [tool, ...clusters, ...extra, "-af:j", ...AF_ATTRIBUTES], tool, {
    env,
  });
  return parseAutoformat(af, AF_ATTRIBUTES, { jobId: true });
}

/**
 * HTCondor (lxbatch): one cluster per submission, `queue job_id, items from jobs_<n>.txt`, so row i
 * is job <cluster>.<i>. Status from condor_q, then condor_history for the jobs that left the queue.
 */
export const htcondor = defineBatchSystem({
  name: "htcondor",
  summary: "HTCondor (CERN lxbatch): one cluster per submission, condor_q / condor_history",
  stageOutModes: ["transfer", "shared", "xrootd"],
  maxRows: 1000,
  transfersInput: true,
  params: HTCONDOR_PARAMS,
  settings: htcondorSettings,

  submitFile(ctx: SubmitFileContext): GeneratedFile {
    return { path: `submit_${ctx.n}.sub`, content: render("htcondor/submit.sub.njk", ctx) };
  },

  async submit(shell: Shell, ctx: SubmitFileContext, env: Record<string, string>): Promise<string[]> {
    const file = posix.join(ctx.jobDir, `submit_${ctx.n}.sub`);
    const out = await execOrThrow(shell, ["condor_submit", file], "condor_submit", { env, cwd: ctx.jobDir });
    const { cluster, count } = parseCondorSubmit(out);
    if (count !== ctx.rows.length) {
      throw new MlprofError(
        `condor_submit queued ${count} jobs in cluster ${cluster}, expected ${ctx.rows.length}`,
      );
    }
    return ctx.rows.map((_, i) => `${cluster}.${i}`);
  },

  async query(shell: Shell, ids: string[], env: Record<string, string>): Promise<Map<string, BatchStatus>> {
    const wanted = new Set(ids);
    const found = new Map<string, BatchStatus>();
    for (const ad of await queryAds(shell, "condor_q", ids, env)) {
      const id = adJobId(ad);
      if (wanted.has(id)) found.set(id, condorStatus(ad));
    }
    const left = ids.filter((id) => !found.has(id));
    if (left.length > 0) {
      for (const ad of await queryAds(shell, "condor_history", left, env)) {
        const id = adJobId(ad);
        if (wanted.has(id) && !found.has(id)) found.set(id, condorStatus(ad));
      }
    }
    for (const id of ids) if (!found.has(id)) found.set(id, { state: "gone" });
    return found;
  },

  async cancel(shell: Shell, ids: string[], env: Record<string, string>): Promise<void> {
    if (ids.length === 0) return;
    const res = await shell.exec(["condor_rm", ...ids], { env });
    // a job that already left the queue cannot be removed: not an error here
    if (res.exitCode !== 0 && !/not found|Couldn't find/i.test(res.stderr + res.stdout)) {
      throw new MlprofError(`condor_rm ${ids.join(" ")} failed on ${shell.label}: ${res.stderr.trim()}`);
    }
  },

  logFiles(batchId: string, jobId: string): string[] {
    const [cluster, proc] = batchId.split(".");
    return [`logs/${jobId}.${cluster}.${proc}.err`, `logs/${jobId}.${cluster}.${proc}.out`];
  },
});
