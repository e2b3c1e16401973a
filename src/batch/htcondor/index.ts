import { posix } from "node:path";
import { MlprofError } from "../../util/errors.js";
import { execOrThrow, type Shell } from "../../remote/shell.js";
import { render } from "../render.js";
import { defineBatchSystem } from "../define.js";
import type { BatchContext, BatchStatus, GeneratedFile, SubmitFileContext, SubmitResult } from "../system.js";
import { classAdString, condorExtraLine, condorPath } from "../values.js";
import { checkCondorExtra } from "./reserved.js";
import { HTCONDOR_PARAMS, htcondorNeedsHost, htcondorSettings, type HtcondorSettings } from "./params.js";
import {
  STATUS_ATTRIBUTES,
  adJobId,
  condorStatus,
  parseAutoformat,
  parseCondorJson,
  parseCondorSubmit,
  scheddOf,
  type ClassAd,
} from "./parse.js";

/** Attributes of the -af fallback (HTCondor without -json); HoldReason last, it holds spaces. */
const AF_ATTRIBUTES = [
  "JobStatus",
  "ExitCode",
  "ExitBySignal",
  "ExitSignal",
  "HoldReasonCode",
  "HoldReasonSubCode",
  "HoldReason",
];

function clustersOf(ids: string[]): string[] {
  return [...new Set(ids.map((id) => id.split(".")[0]!))];
}

/** -name <schedd> and -pool <pool> of the submission's settings (the schedd recorded at submission). */
export function scheddArgs(settings: Partial<HtcondorSettings>): string[] {
  return [
    ...(settings.schedd ? ["-name", settings.schedd] : []),
    ...(settings.pool ? ["-pool", settings.pool] : []),
  ];
}

/** Queries one condor tool (condor_q or condor_history) for the jobs `ids` of the recorded schedd. */
async function queryAds(
  shell: Shell,
  tool: "condor_q" | "condor_history",
  ids: string[],
  ctx: BatchContext,
  attributes: readonly string[] = STATUS_ATTRIBUTES,
): Promise<ClassAd[]> {
  const clusters = clustersOf(ids);
  const where = scheddArgs(ctx.settings as Partial<HtcondorSettings>);
  const extra = tool === "condor_history" ? ["-match", String(ids.length)] : [];
  const json = await shell.exec(
    [tool, ...where, ...clusters, ...extra, "-json", "-attributes", attributes.join(",")],
    {
      env: ctx.env,
    },
  );
  if (json.exitCode === 0) return parseCondorJson(json.stdout);
  if (!/json|attributes/i.test(json.stderr)) {
    throw new MlprofError(
      `${tool} failed on ${shell.label} (exit code ${json.exitCode}): ${(json.stderr.trim() || json.stdout.trim()).split("\n").slice(-3).join(" ")}`,
    );
  }
  // an HTCondor without -json: the autoformat output
  const af = await execOrThrow(
    shell,
    [tool, ...where, ...clusters, ...extra, "-af:j", ...AF_ATTRIBUTES],
    tool,
    {
      env: ctx.env,
    },
  );
  return parseAutoformat(af, AF_ATTRIBUTES, { jobId: true });
}

/**
 * HTCondor (lxbatch): one cluster per submission, `queue job_id, items, want_os from jobs_<n>.txt`, so
 * row i is job <cluster>.<i> and each job asks for the OS of its own architecture. The schedd that took
 * the first submission is recorded and named (-name/-pool) in every later command. Status from condor_q,
 * then condor_history for the jobs that left the queue.
 */
export const htcondor = defineBatchSystem({
  name: "htcondor",
  summary: "HTCondor (CERN lxbatch): one cluster per submission, condor_q / condor_history",
  stageOutModes: ["transfer", "shared", "xrootd"],
  maxRows: 1000,
  transfersInput: true,
  // no exclusive nodes or cores on lxbatch's shared slots: request_cpus, and the job pins where it can
  cpuIsolations: ["none"],
  params: HTCONDOR_PARAMS,
  settings: htcondorSettings,
  needsSubmitHost: htcondorNeedsHost,

  jobTable(ctx: SubmitFileContext): string {
    const s = ctx.settings as unknown as HtcondorSettings;
    return ctx.rows.map((r) => `${r.jobId} ${r.items} ${s.workerOs || s.osByArch[r.arch] || ""}\n`).join("");
  },

  submitFile(ctx: SubmitFileContext): GeneratedFile {
    condorPath("the job folder", ctx.jobDir);
    for (const f of ctx.transferInput) condorPath("transfer_input_files", f);
    const settings = {
      ...ctx.settings,
      extra: ctx.settings.extra.map((l) => checkCondorExtra(condorExtraLine(l))),
    };
    return {
      path: `submit_${ctx.n}.sub`,
      content: render("htcondor/submit.sub.njk", { ...ctx, settings }),
    };
  },

  async submit(shell: Shell, ctx: SubmitFileContext, env: Record<string, string>): Promise<SubmitResult> {
    const file = posix.join(ctx.jobDir, `submit_${ctx.n}.sub`);
    const settings = ctx.settings as unknown as HtcondorSettings;
    const out = await execOrThrow(shell, ["condor_submit", ...scheddArgs(settings), file], "condor_submit", {
      env,
      cwd: ctx.jobDir,
    });
    const { cluster, count } = parseCondorSubmit(out);
    if (count !== ctx.rows.length) {
      throw new MlprofError(
        `condor_submit queued ${count} jobs in cluster ${cluster}, expected ${ctx.rows.length}`,
      );
    }
    const ids = ctx.rows.map((_, i) => `${cluster}.${i}`);
    if (settings.schedd) return { ids };
    // lxplus maps each user to a schedd: record the one that took the jobs for every later command
    const bctx: BatchContext = { env, jobName: ctx.jobName, settings: ctx.settings };
    for (const tool of ["condor_q", "condor_history"] as const) {
      const ads = await queryAds(shell, tool, [ids[0]!], bctx, ["ClusterId", "ProcId", "GlobalJobId"]).catch(
        () => [],
      );
      const schedd = ads.map(scheddOf).find(Boolean);
      if (schedd) return { ids, recorded: { schedd } };
    }
    return { ids };
  },

  async findSubmission(
    shell: Shell,
    sub: { n: number; jobDir: string; rows: number },
    ctx: BatchContext,
  ): Promise<string[] | undefined> {
    // the cluster of a submission is the one whose jobs write its user log (logs/submit_<n>.log)
    const log = classAdString("the job folder", `${sub.jobDir}/logs/submit_${sub.n}.log`);
    const where = scheddArgs(ctx.settings as Partial<HtcondorSettings>);
    for (const tool of ["condor_q", "condor_history"] as const) {
      const extra = tool === "condor_history" ? ["-match", "1"] : [];
      const out = await execOrThrow(
        shell,
        [tool, ...where, "-constraint", `UserLog == ${log}`, ...extra, "-af", "ClusterId"],
        tool,
        { env: ctx.env },
      );
      const cluster = out
        .split("\n")
        .map((l) => l.trim())
        .find((l) => /^\d+$/.test(l));
      if (cluster) return Array.from({ length: sub.rows }, (_, i) => `${cluster}.${i}`);
    }
    return undefined;
  },

  async query(shell: Shell, ids: string[], ctx: BatchContext): Promise<Map<string, BatchStatus>> {
    const wanted = new Set(ids);
    const found = new Map<string, BatchStatus>();
    for (const ad of await queryAds(shell, "condor_q", ids, ctx)) {
      const id = adJobId(ad);
      if (wanted.has(id)) found.set(id, condorStatus(ad));
    }
    const left = ids.filter((id) => !found.has(id));
    if (left.length > 0) {
      for (const ad of await queryAds(shell, "condor_history", left, ctx)) {
        const id = adJobId(ad);
        if (wanted.has(id) && !found.has(id)) found.set(id, condorStatus(ad));
      }
    }
    for (const id of ids) if (!found.has(id)) found.set(id, { state: "gone" });
    return found;
  },

  async cancel(shell: Shell, ids: string[], ctx: BatchContext): Promise<void> {
    if (ids.length === 0) return;
    const where = scheddArgs(ctx.settings as Partial<HtcondorSettings>);
    const res = await shell.exec(["condor_rm", ...where, ...ids], { env: ctx.env });
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
