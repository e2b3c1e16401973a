import { setTimeout as sleep } from "node:timers/promises";
import chalk from "chalk";
import { Listr } from "listr2";
import type { BatchStatus } from "../batch/system.js";
import { progressMode } from "../framework/scheduler.js";
import type { Shell } from "../remote/shell.js";
import { storeFailure } from "../store.js";
import { errorMessage, MlprofError } from "../util/errors.js";
import { openSubmitted, type ScanIdentity } from "./identity.js";
import { manifestModels } from "./jobfiles.js";
import {
  inState,
  isWaiting,
  lockScan,
  setJobState,
  writeManifest,
  type Manifest,
  type ManifestJob,
  type Target,
} from "./manifest.js";
import { findOverlaps, overlapSummary } from "./overlaps.js";
import { failureTable, formatCounts, plotCommand } from "./report.js";
import { progressLine } from "./scan-progress.js";
import { ScanSession, connect } from "./session.js";

type Print = (line: string) => void;

/** Options of one `mlprof collect`. */
export interface CollectOptions {
  /** Resubmissions allowed per job (default: the manifest's). */
  retries?: number;
  watch: boolean;
  intervalS: number;
  /** With watch: stop after this many seconds (0: never). */
  timeoutS: number;
  /** With watch: consecutive failed polls tolerated before giving up. */
  pollFails: number;
  /** Also resubmit jobs removed by hand or by mlprof cancel. */
  resubmitCancelled: boolean;
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

/** A poll that could not be completed (the batch system or the stage area did not answer). */
class PollFailure extends Error {}

/**
 * Runs a step that talks to the batch system or the stage area; its failure is a failed poll, except a
 * write the store refuses (full disk, read-only), which is the store's error and ends collect at once.
 */
async function polled<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw storeFailure(err) ?? new PollFailure(`${what}: ${errorMessage(err)}`);
  }
}

/**
 * One polling round, as law's remote workflows do it: jobs whose outputs exist are done; the current
 * attempts of the others are queried; held jobs are removed and count as failed (those held for memory
 * ask for more next time); ended jobs have their outputs fetched, checked and moved into the store; jobs
 * removed by hand become cancelled; failed jobs are resubmitted while retries are left, and jobs waiting
 * for a slot (--parallel-jobs) are submitted as slots free. A failure to reach the batch system or the
 * stage area is a PollFailure, and changes no job's state.
 */
async function round(
  session: ScanSession,
  o: { retries: number; resubmitCancelled: boolean },
  mode: ReturnType<typeof progressMode>,
): Promise<string[]> {
  const m = session.manifest;
  const events: string[] = [];
  let statuses = new Map<string, BatchStatus>();
  let toHarvest: ManifestJob[] = [];
  const limit = session.target.settings.parallelJobs;
  const list = new Listr(
    [
      {
        title: "check the store",
        task: async (_: unknown, t: { title: string }) => {
          // a submission a stopped run left unrecorded: found in the batch system, or submitted again
          events.push(
            ...(await polled(`looking for an interrupted submission in ${session.system.name}`, () =>
              session.settleInterrupted(),
            )),
          );
          const n = session.markComplete();
          t.title = `check the store: ${m.jobs.filter((j) => j.state === "done").length} of ${m.jobs.length} job(s) done${n ? ` (${n} new)` : ""}`;
        },
      },
      {
        title: `query ${session.system.name}`,
        task: async (_: unknown, t: { title: string }) => {
          const active = m.jobs.filter((j) => inState(j, "active"));
          if (active.length === 0) {
            t.title = `query ${session.system.name}: no job in the queue`;
            return;
          }
          statuses = await polled(`query of ${session.system.name} on ${session.shell.label}`, () =>
            session.query(active),
          );
          const held: ManifestJob[] = [];
          const harvest: ManifestJob[] = [];
          for (const job of active) {
            const s = statuses.get(job.attempts.at(-1)!.batchId) ?? { state: "gone" as const };
            if (s.state === "pending" || s.state === "running") setJobState(m, job, s.state);
            else if (s.state === "held") held.push(job);
            else harvest.push(job);
          }
          if (held.length) {
            await polled(`removing held jobs from ${session.system.name}`, () => session.cancel(held));
            for (const job of held) {
              const s = statuses.get(job.attempts.at(-1)!.batchId)!;
              setJobState(m, job, "failed", { reason: s.reason });
              if (s.outOfMemory) {
                const mem = session.moreMemory(job);
                if (mem) job.reason += `; the next attempt asks for ${mem} MB`;
              }
            }
          }
          toHarvest = harvest;
          writeManifest(m);
          t.title = `query ${session.system.name} on ${session.shell.label}: ${formatCounts(m)}`;
        },
      },
      {
        title: "collect outputs",
        task: async (_: unknown, t: { title: string }) => {
          const n = toHarvest.length;
          await polled(`collecting the outputs of ${n} job(s)`, () => session.harvest(toHarvest, statuses));
          const ok = toHarvest.filter((j) => j.state === "done").length;
          for (const j of toHarvest.filter((j) => j.state === "cancelled"))
            events.push(`${j.id} ${j.reason}`);
          t.title = n
            ? `collect outputs of ${n} ended job(s): ${ok} done, ${n - ok} not`
            : "collect outputs: no job ended";
          toHarvest = [];
        },
      },
      {
        title: "resubmit failed jobs",
        task: async (_: unknown, t: { title: string }) => {
          // final failures too: a later collect with more --retries takes them up again
          const failed = m.jobs.filter((j) => j.state === "failed");
          const again = failed.filter((j) => j.attempts.length < 1 + o.retries);
          const cancelled = o.resubmitCancelled ? m.jobs.filter((j) => j.state === "cancelled") : [];
          const created = m.jobs.filter((j) => j.state === "created");
          const candidates = [...again, ...cancelled, ...created];
          const cap = session.capacity();
          const now = cap === Infinity ? candidates : candidates.slice(0, cap);
          for (const j of failed) {
            if (!again.includes(j)) {
              if (!j.final) {
                j.final = true;
                events.push(
                  `${j.id} failed after ${j.attempts.length} attempt(s): ${j.reason ?? "unknown reason"}`,
                );
              }
            } else if (now.includes(j)) {
              events.push(
                `${j.id} failed (${j.reason ?? "unknown reason"}); resubmitting, attempt ${j.attempts.length + 1} of ${1 + o.retries}`,
              );
            } else {
              events.push(
                `${j.id} failed (${j.reason ?? "unknown reason"}); resubmitted when a slot frees (--parallel-jobs ${limit})`,
              );
            }
          }
          for (const j of cancelled.filter((c) => now.includes(c)))
            events.push(`${j.id} was cancelled; resubmitting (--resubmit-cancelled)`);
          writeManifest(m);
          if (now.length) await polled(`submitting to ${session.system.name}`, () => session.submit(now));
          const waiting = candidates.length - now.length;
          if (waiting)
            events.push(
              `${waiting} job(s) wait for a slot (--parallel-jobs ${limit})${now.length ? `; submitted ${now.length}` : ""}`,
            );
          t.title = now.length
            ? `submitted ${now.length} job(s)${waiting ? `; ${waiting} wait for a slot (--parallel-jobs ${limit})` : ""}`
            : waiting
              ? `submit: ${waiting} job(s) wait for a slot (--parallel-jobs ${limit})`
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

/** Jobs collect still waits for: queued, waiting for a slot, or failed with a resubmission to come. */
function waitingFor(m: Manifest): number {
  return m.jobs.filter(isWaiting).length;
}

/**
 * `mlprof collect`: takes the scan's lock first and reads the manifest under it (so that two collects never
 * resubmit the same job), then polls the scan's jobs, moves every valid result into the store, resubmits
 * failures up to the retry limit; with watch it repeats until nothing is left to wait for, tolerating up to
 * `pollFails` consecutive failed polls. It is idempotent and resumable: all state lives in the manifest and
 * the store.
 */
export async function collectScan(id: ScanIdentity, o: CollectOptions, print: Print): Promise<CollectResult> {
  const release = await lockScan(id.name, id.version, {
    doing: o.watch ? "collecting (--watch)" : "collecting",
    wait: true,
    progress: print,
    signal: o.signal,
  });
  let shell: Shell | undefined;
  try {
    const { scan, manifest } = openSubmitted(id);
    const target = manifest.target;
    if (o.ssh && target.ssh) target.ssh = { ...target.ssh, ...o.ssh };
    // manifests of older versions name no model facts: the scan's files as they are now
    manifest.models ??= manifestModels(scan);
    const retries = o.retries ?? target.retries;
    const mode = progressMode();
    const started = Date.now();
    shell = await connect(target);
    let session = new ScanSession(scan, manifest, shell);
    let fails = 0;
    for (let n = 1; ; n++) {
      try {
        if (!shell) {
          shell = await polled("connecting to the submit host", () => connect(target));
          session = new ScanSession(scan, manifest, shell);
        }
        // the steps of the first poll are shown; later polls of a watch print their line and events only
        const shown = n === 1 ? mode : "quiet";
        for (const event of await round(session, { retries, resubmitCancelled: o.resubmitCancelled }, shown))
          print(`  ${event}`);
        fails = 0;
        print(`${o.watch ? `poll ${n}: ` : ""}${progressLine(manifest, formatCounts(manifest))}`);
      } catch (err) {
        if (!(err instanceof PollFailure)) throw err;
        fails++;
        writeManifest(manifest);
        if (!o.watch || fails > o.pollFails) {
          throw new MlprofError(
            o.watch
              ? `giving up after ${fails} consecutive failed polls (--poll-fails ${o.pollFails}); the last: ${err.message}`
              : `poll failed: ${err.message}`,
            "no job was counted as failed for it; run mlprof collect again once the batch system answers",
          );
        }
        print(
          chalk.yellow(
            `poll ${n} failed (${fails} of ${o.pollFails} tolerated in a row; no job is counted as failed for it): ${err.message}`,
          ),
        );
        // the connection may be what failed: a fresh one for the next poll
        await shell?.close().catch(() => undefined);
        shell = undefined;
      }
      if (!o.watch || (waitingFor(manifest) === 0 && fails === 0)) break;
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
    const overlaps = findOverlaps(manifest);
    writeManifest(manifest);
    for (const line of overlapSummary(manifest, overlaps)) print(chalk.yellow(line));
    const failed = manifest.jobs.filter((j) => j.state === "failed");
    const table = failureTable(manifest);
    if (table.length) {
      print("");
      print(chalk.red(`${failed.length} failed job(s):`));
      table.forEach((l) => print(`  ${l}`));
    }
    const cancelled = manifest.jobs.filter((j) => j.state === "cancelled");
    if (cancelled.length) {
      print(
        `${cancelled.length} cancelled job(s) (mlprof cancel, condor_rm or scancel): not resubmitted; mlprof collect --resubmit-cancelled runs them again`,
      );
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
      pending: manifest.jobs.filter((j) => j.state !== "done" && j.state !== "cancelled" && !j.final).length,
    };
  } catch (err) {
    // a manifest or result the store cannot take: named with the store and the real cause
    throw storeFailure(err) ?? err;
  } finally {
    await shell?.close();
    release();
  }
}
