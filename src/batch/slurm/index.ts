import { posix } from "node:path";
import { execOrThrow, type Shell } from "../../remote/shell.js";
import { MlprofError } from "../../util/errors.js";
import { render } from "../render.js";
import { defineBatchSystem } from "../define.js";
import type { BatchContext, BatchStatus, GeneratedFile, SubmitFileContext, SubmitResult } from "../system.js";
import { sbatchExtraLine } from "../values.js";
import { SLURM_PARAMS, slurmSettings } from "./params.js";
import { checkSlurmExtra } from "./reserved.js";
import {
  parseSbatch,
  parseScontrolJobs,
  parseSqueue,
  parseSqueueCommands,
  scontrolId,
  slurmStatus,
} from "./parse.js";

/**
 * Slurm: one job array per submission (task i runs row i of jobs_<n>.txt), so row i is job
 * <array>_<i>. Status from squeue (by the scan's job name), then `scontrol show job` for jobs that
 * left the queue but are still within MinJobAge, then sacct where accounting exists; jobs known to
 * none of them are "gone" and judged by their outputs.
 */
export const slurm = defineBatchSystem({
  name: "slurm",
  summary: "Slurm: one job array per submission, squeue / scontrol / sacct",
  stageOutModes: ["shared", "xrootd"],
  // Slurm's default MaxArraySize is 1001
  maxRows: 1000,
  transfersInput: false,
  cpuIsolations: ["exclusive", "cores", "none"],
  params: SLURM_PARAMS,
  settings: slurmSettings,

  submitFile(ctx: SubmitFileContext): GeneratedFile {
    const settings = {
      ...ctx.settings,
      extra: ctx.settings.extra.map((l) => checkSlurmExtra(sbatchExtraLine(l))),
    };
    return {
      path: `submit_${ctx.n}.sh`,
      content: render("slurm/submit.sh.njk", { ...ctx, settings }),
      mode: 0o755,
    };
  },

  async submit(shell: Shell, ctx: SubmitFileContext, env: Record<string, string>): Promise<SubmitResult> {
    const file = posix.join(ctx.jobDir, `submit_${ctx.n}.sh`);
    const out = await execOrThrow(shell, ["sbatch", "--parsable", file], "sbatch", { env, cwd: ctx.jobDir });
    const arrayId = parseSbatch(out);
    return { ids: ctx.rows.map((_, i) => `${arrayId}_${i}`) };
  },

  async findSubmission(
    shell: Shell,
    sub: { n: number; jobDir: string; rows: number },
    ctx: BatchContext,
  ): Promise<string[] | undefined> {
    // every state slurmctld still remembers (ended jobs for MinJobAge): array id and batch script
    const out = await execOrThrow(
      shell,
      ["squeue", "-h", "-t", "all", "-n", ctx.jobName, "-o", "%F|%o"],
      "squeue",
      { env: ctx.env },
    );
    const script = posix.join(sub.jobDir, `submit_${sub.n}.sh`);
    const arrayId = parseSqueueCommands(out).find((r) => r.command === script)?.arrayId;
    return arrayId ? Array.from({ length: sub.rows }, (_, i) => `${arrayId}_${i}`) : undefined;
  },

  async query(shell: Shell, ids: string[], ctx: BatchContext): Promise<Map<string, BatchStatus>> {
    const { env, jobName } = ctx;
    const wanted = new Set(ids);
    const found = new Map<string, BatchStatus>();
    const q = await execOrThrow(shell, ["squeue", "-h", "-r", "-n", jobName, "-o", "%i|%T|%r"], "squeue", {
      env,
    });
    for (const row of parseSqueue(q)) {
      if (wanted.has(row.id)) found.set(row.id, slurmStatus(row.state, row.reason));
    }
    // finished jobs: scontrol knows them for MinJobAge after they end
    const arrays = [...new Set(ids.filter((id) => !found.has(id)).map((id) => id.split("_")[0]!))];
    for (const array of arrays) {
      const res = await shell.exec(["scontrol", "-o", "show", "job", array], { env });
      if (res.exitCode !== 0) {
        if (/Invalid job id/i.test(res.stderr)) continue;
        throw new MlprofError(`scontrol show job ${array} failed on ${shell.label}: ${res.stderr.trim()}`);
      }
      for (const rec of parseScontrolJobs(res.stdout)) {
        const id = scontrolId(rec);
        if (wanted.has(id) && !found.has(id))
          found.set(id, slurmStatus(rec["JobState"] ?? "", rec["Reason"], rec["ExitCode"]));
      }
    }
    const left = ids.filter((id) => !found.has(id));
    if (left.length > 0) {
      // sacct answers only where accounting storage exists; otherwise it fails and is ignored
      const acct = await shell.exec(
        ["sacct", "-n", "-P", "-X", "-j", left.join(","), "-o", "JobID,State,ExitCode"],
        {
          env,
        },
      );
      if (acct.exitCode === 0) {
        for (const line of acct.stdout.split("\n")) {
          const [id = "", state = "", exit = ""] = line.trim().split("|");
          if (wanted.has(id) && !found.has(id)) found.set(id, slurmStatus(state, "", exit));
        }
      }
    }
    for (const id of ids) if (!found.has(id)) found.set(id, { state: "gone" });
    return found;
  },

  async cancel(shell: Shell, ids: string[], ctx: BatchContext): Promise<void> {
    if (ids.length === 0) return;
    const res = await shell.exec(["scancel", ...ids], { env: ctx.env });
    if (res.exitCode !== 0 && !/Invalid job id|already completing or completed/i.test(res.stderr)) {
      throw new MlprofError(`scancel ${ids.join(" ")} failed on ${shell.label}: ${res.stderr.trim()}`);
    }
  },

  logFiles(batchId: string): string[] {
    return [`logs/slurm-${batchId}.out`];
  },
});
