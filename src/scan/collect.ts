import { setTimeout as sleep } from "node:timers/promises";
import chalk from "chalk";
import { Listr } from "listr2";
import type { BatchStatus } from "../batch/system.js";
import { progressMode } from "../framework/scheduler.js";
import type { Shell } from "../remote/shell.js";
import { lockScan, writeManifest, type Manifest, type ManifestJob, type Target } from "./manifest.js";
import { failureTable, formatCounts, plotCommand } from "./report.js";
import { ScanSession, connect } from "./session.js";
import type { Scan } from "./scan.js";

type Print = (line: string) => void;

/** Options of one `mlprof collect`. */
export interface CollectOptions {
  /** Resubmissions allowed per job (default: the manifest's). */
  retries?: number;
  watch: boolean;
  intervalS: number;
  /** With watch: stop after this many seconds (0: never). */
  timeoutS: number;
  /** Overrides of the SSH settings stored at submission (another key, known_hosts, port). */
  ssh?: Partial<NonNullable<Target["ssh"]>>;
  signal?: AbortSignal;
}

/** Outcome of a collect: whether every job is done, and how many failed for good. */
export interface CollectResult {
  complete: boolean;
  failedForGood: number;
  pending: number;
}

const ACTIVE = new Set(["pending", "running", "held"]);

/**
 * One polling round, as law's remote workflows do it: jobs whose outputs exist are done; the
 * current attempts of the others are queried; held jobs are removed and count as failed; finished,
 * failed and vanished jobs have their outputs fetched, checked and moved into the store; failed
 * jobs are resubmitted while retries are left.
 */
async function round(
  session: ScanSession,
  retries: number,
  mode: ReturnType<typeof progressMode>,
): Promise<string[]> {
  const m = session.manifest;
  const events: string[] = [];
  let statuses = new Map<string, BatchStatus>();
  let toHarvest: ManifestJob[] = [];
  const list = new Listr(
    [
      {
        title: "check the store",
        task: (_: unknown, t: { title: string }) => {
          const n = session.markComplete();
          for (const job of m.jobs.filter((j) => j.state === "submitting")) {
            job.state = "failed";
            job.reason = "its submission was interrupted before the batch id was recorded";
          }
          t.title = `check the store: ${m.jobs.filter((j) => j.state === "done").length} of ${m.jobs.length} job(s) done${n ? ` (${n} new)` : ""}`;
        },
      },
      {
        title: `query ${session.system.name}`,
        task: async (_: unknown, t: { title: string }) => {
          const active = m.jobs.filter((j) => ACTIVE.has(j.state));
          if (active.length === 0) {
            t.title = `query ${session.system.name}: no job in the queue`;
            return;
          }
          statuses = await session.query(active);
          const held: ManifestJob[] = [];
          for (const job of active) {
            const s = statuses.get(job.attempts.at(-1)!.batchId) ?? { state: "gone" as const };
            if (s.state === "pending" || s.state === "running") job.state = s.state;
            else if (s.state === "held") {
              held.push(job);
              job.state = "failed";
              job.reason = s.reason;
            } else toHarvest.push(job);
          }
          if (held.length) await session.cancel(held);
          writeManifest(m);
          t.title = `query ${session.system.name} on ${session.shell.label}: ${formatCounts(m)}`;
        },
      },
      {
        title: "collect outputs",
        task: async (_: unknown, t: { title: string }) => {
          const n = toHarvest.length;
          await session.harvest(toHarvest, statuses);
          const ok = toHarvest.filter((j) => j.state === "done").length;
          t.title = n
            ? `collect outputs of ${n} ended job(s): ${ok} done, ${n - ok} failed`
            : "collect outputs: no job ended";
          toHarvest = [];
        },
      },
      {
        title: "resubmit failed jobs",
        task: async (_: unknown, t: { title: string }) => {
          // final failures too: a later collect with more --retries takes them up again
          const failed = m.jobs.filter((j) => j.state === "failed");
          const again = failed.filter((j) => j.attempts.length < 1 + retries);
          for (const j of failed) {
            if (again.includes(j)) {
              events.push(
                `${j.id} failed (${j.reason ?? "unknown reason"}); resubmitting, attempt ${j.attempts.length + 1} of ${1 + retries}`,
              );
            } else if (!j.final) {
              j.final = true;
              events.push(
                `${j.id} failed after ${j.attempts.length} attempt(s): ${j.reason ?? "unknown reason"}`,
              );
            }
          }
          writeManifest(m);
          if (again.length) await session.submit(again);
          t.title = again.length
            ? `resubmitted ${again.length} failed job(s) (up to --retries ${retries})`
            : "resubmit: none";
        },
      },
    ],
    {
      concurrent: false,
      exitOnError: true,
      renderer: mode === "tty" ? "default" : mode === "plain" ? "simple" : "silent",
      fallbackRenderer: "simple",
      rendererOptions: { collapseErrors: false },
    },
  );
  await list.run();
  return events;
}

/**
 * `mlprof collect`: polls the scan's jobs, moves every valid result into the store, resubmits
 * failures up to the retry limit; with watch it repeats until nothing is left to wait for. It is
 * idempotent and resumable: all state lives in the manifest and the store.
 */
export async function collectScan(
  scan: Scan,
  manifest: Manifest,
  o: CollectOptions,
  print: Print,
): Promise<CollectResult> {
  const release = await lockScan(scan.name, scan.version);
  let shell: Shell | undefined;
  try {
    const target = manifest.target;
    if (o.ssh && target.ssh) target.ssh = { ...target.ssh, ...o.ssh };
    const retries = o.retries ?? target.retries;
    const mode = progressMode();
    const started = Date.now();
    shell = await connect(target);
    const session = new ScanSession(scan, manifest, shell);
    for (let n = 1; ; n++) {
      for (const event of await round(session, retries, mode)) print(`  ${event}`);
      const waiting = manifest.jobs.filter((j) => ACTIVE.has(j.state) || j.state === "created").length;
      print(`${o.watch ? `poll ${n}: ` : ""}scan ${scan.name}/${scan.version}: ${formatCounts(manifest)}`);
      if (!o.watch || waiting === 0) break;
      if (o.timeoutS > 0 && Date.now() - started > o.timeoutS * 1000) {
        print(
          chalk.yellow(`stopped watching after --timeout ${o.timeoutS} s; run mlprof collect again to go on`),
        );
        break;
      }
      try {
        await sleep(o.intervalS * 1000, undefined, { signal: o.signal });
      } catch {
        print(chalk.yellow("interrupted; run mlprof collect again to go on"));
        break;
      }
    }
    const failed = manifest.jobs.filter((j) => j.state === "failed");
    const table = failureTable(manifest);
    if (table.length) {
      print("");
      print(chalk.red(`${failed.length} failed job(s):`));
      table.forEach((l) => print(`  ${l}`));
    }
    const complete = manifest.jobs.every((j) => j.state === "done");
    if (complete) {
      print(
        chalk.green(
          `all ${manifest.jobs.length} job(s) of scan ${scan.name}/${scan.version} are in the store`,
        ),
      );
      print(`plot: ${plotCommand(scan)}`);
    }
    return {
      complete,
      failedForGood: failed.filter((j) => j.final).length,
      pending: manifest.jobs.filter((j) => j.state !== "done" && !j.final).length,
    };
  } finally {
    await shell?.close();
    release();
  }
}
