import { readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { cpus } from "node:os";
import { competitionRecord, readCompetition, type CompetitionCounters } from "./competition.js";
import { errorMessage } from "../util/errors.js";
import { trace } from "../util/trace.js";
import type { DumpedTensor, MeasureJob, MeasureProcessMeta, StabilityEvent } from "./job.js";
import { readRss } from "./memory.js";
import { endIfOrphaned } from "./parent-watch.js";

/** A model loaded by an engine inside the measurement process. */
export interface LoadedModel {
  engine: MeasureProcessMeta["engine"];
  threads: MeasureProcessMeta["threads"];
  /** Builds the inputs of one event (outside the clock). */
  prepareEvent(event: number): void;
  /** One synchronous inference call on the prepared inputs: the only thing inside the clock. */
  call(): void;
  /** Checks the first call's result outside the clock (e.g. that the call was synchronous); throws if not. */
  afterFirstCall?(): void;
  /** The prepared inputs and the outputs of one call, for reference checks (job.dumpPath). */
  dump(): Promise<{ inputs: Record<string, DumpedTensor>; outputs: Record<string, DumpedTensor> }>;
}

/** An error of the model or engine the user must see as is (wrong inputs, engine refusal). */
export class MeasureError extends Error {}

/** The median of a window of times. */
function medianNs(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 ? sorted[(n - 1) / 2]! : 0.5 * (sorted[n / 2 - 1]! + sorted[n / 2]!);
}

/** Whether the last three medians each lie within `threshold` (a fraction) of their mean (perf_analyzer's rule). */
export function lastThreeAgree(medians: number[], threshold: number): boolean {
  if (medians.length < 3) return false;
  const last = medians.slice(-3);
  const mean = (last[0]! + last[1]! + last[2]!) / 3;
  return mean > 0 && last.every((m) => Math.abs(m - mean) <= threshold * mean);
}

/** Reports progress on stdout with a blocking write (the timed loop never yields to the event loop). */
function progress(done: number, total: number, phase: string): void {
  endIfOrphaned(); // between events: a process whose run was killed ends here (parent-watch.ts)
  writeSync(1, JSON.stringify({ type: "progress", done, total, phase }) + "\n");
}

/**
 * Entry of a measurement process: reads the job file named on the command line, loads the model with
 * `load`, then per event prepares fresh inputs, runs the warm-up calls and `nCalls` timed calls, each
 * timed with the monotonic nanosecond clock around the inference call alone. Writes the CSV rows
 * (`batch_size,runtime_ms`) and the process metadata; on failure writes the error file and exits 3.
 */
export async function measureMain(load: (job: MeasureJob) => Promise<LoadedModel>): Promise<void> {
  const jobPath = process.argv[2];
  if (!jobPath) {
    process.stderr.write("usage: <measure process> <job.json>\n");
    process.exit(2);
  }
  trace("measure: modules loaded");
  const job = JSON.parse(readFileSync(jobPath, "utf8")) as MeasureJob;
  let phase = "load and check the model";
  try {
    const rssBeforeLoad = readRss().rssKb;
    const t0 = process.hrtime.bigint();
    const model = await load(job);
    const t1 = process.hrtime.bigint();
    trace("measure: model loaded and checked");
    const rssAfterLoad = readRss().rssKb;
    const { nEvents, nCalls, nWarmup } = job;
    const { warmupMs, minDurationMs } = job;
    const stable = job.untilStable
      ? { threshold: job.stability ?? 0.02, maxNs: BigInt(Math.round((job.maxDurationMs ?? 60000) * 1e6)) }
      : undefined;
    const warmupNsMin = BigInt(Math.round(warmupMs * 1e6));
    const minDurationNs = BigInt(Math.round(minDurationMs * 1e6));
    // a fixed-size buffer for the calls asked for (three windows per event until stable); calls beyond
    // (--min-duration) go to a growable list
    const times = new Float64Array(nEvents * nCalls * (stable ? 3 : 1));
    const extra: number[] = [];
    const events: StabilityEvent[] = [];
    // the competition counters of each event's timed window: read right before its first timed call and
    // right after its last (outside the clock; the reads take microseconds)
    const windows: { before: CompetitionCounters; after: CompetitionCounters; wallNs: number }[] = [];
    /** Times nCalls calls into `into` from `at`; returns the end of the last call. */
    const timedWindow = (into: Float64Array, at: number): bigint => {
      let end = 0n;
      for (let i = 0; i < nCalls; i++) {
        const start = process.hrtime.bigint();
        model.call();
        end = process.hrtime.bigint();
        into[at + i] = Number(end - start);
      }
      return end;
    };
    let warmupNs = 0n;
    let rssAfterWarmup = 0;
    let firstCallNs = 0n;
    const tMeasure0 = process.hrtime.bigint();
    let k = 0;
    for (let event = 0; event < nEvents; event++) {
      phase = "prepare inputs";
      model.prepareEvent(event);
      if (event === 0) {
        // the first call after loading: timed on its own (cold start), before the warm-up
        phase = "first call";
        const start = process.hrtime.bigint();
        model.call();
        firstCallNs = process.hrtime.bigint() - start;
        model.afterFirstCall?.();
      }
      phase = "warm-up";
      const w0 = process.hrtime.bigint();
      for (let i = 0; i < nWarmup; i++) model.call();
      while (warmupNsMin > 0n && process.hrtime.bigint() - w0 < warmupNsMin) model.call();
      warmupNs += process.hrtime.bigint() - w0;
      if (event === 0) rssAfterWarmup = readRss().rssKb;
      phase = "timed calls";
      const countersBefore = readCompetition();
      const eventStart = process.hrtime.bigint();
      let eventEnd = eventStart;
      if (stable) {
        // windows of nCalls calls until the medians of the last three agree (or the time bound passes)
        const ring = [new Float64Array(nCalls), new Float64Array(nCalls), new Float64Array(nCalls)];
        const medians: number[] = [];
        let reported = eventStart;
        let stableReached = false;
        for (let w = 0; ; w++) {
          const window = ring[w % 3]!;
          const end = timedWindow(window, 0);
          eventEnd = end;
          medians.push(medianNs(window) / 1e6);
          if (end - reported > 1_000_000_000n) {
            progress(medians.length, 0, "windows until stable");
            reported = end;
          }
          if (medians.length < 3) continue;
          if (lastThreeAgree(medians, stable.threshold)) {
            stableReached = true;
            break;
          }
          if (end - eventStart >= stable.maxNs) break;
        }
        const n = medians.length;
        for (let w = n - 3; w < n; w++) times.set(ring[w % 3]!, k + (w - (n - 3)) * nCalls);
        k += 3 * nCalls;
        events.push({ windowMediansMs: medians, stable: stableReached, discardedCalls: (n - 3) * nCalls });
      } else {
        const end = timedWindow(times, k);
        k += nCalls;
        let last = end;
        while (minDurationNs > 0n && last - eventStart < minDurationNs) {
          const start = process.hrtime.bigint();
          model.call();
          last = process.hrtime.bigint();
          extra.push(Number(last - start));
        }
        eventEnd = last;
      }
      const countersAfter = readCompetition();
      if (countersBefore && countersAfter) {
        windows.push({ before: countersBefore, after: countersAfter, wallNs: Number(eventEnd - eventStart) });
      }
      progress((event + 1) * nCalls, nEvents * nCalls, "timed calls");
    }
    const tMeasure1 = process.hrtime.bigint();
    trace("measure: timed calls done");
    const mem = readRss();
    phase = "write results";
    const prefix = `${job.batchSize},`;
    let csv = "";
    for (let i = 0; i < times.length; i++) csv += prefix + (times[i]! / 1e6).toFixed(6) + "\n";
    for (const t of extra) csv += prefix + (t / 1e6).toFixed(6) + "\n";
    writeFileSync(job.csvPath, csv);
    const meta: MeasureProcessMeta = {
      engine: model.engine,
      threads: model.threads,
      clock: "process.hrtime.bigint() (CLOCK_MONOTONIC, ns) around the synchronous inference call",
      timings: {
        loadMs: Number(t1 - t0) / 1e6,
        firstCallMs: Number(firstCallNs) / 1e6,
        warmupMs: Number(warmupNs) / 1e6,
        measureMs: Number(tMeasure1 - tMeasure0) / 1e6,
      },
      ...(stable
        ? {
            stability: {
              windowCalls: nCalls,
              threshold: stable.threshold,
              maxDurationMs: Number(stable.maxNs) / 1e6,
              events,
            },
          }
        : {}),
      ...(windows.length === nEvents ? { competition: competitionRecord(windows, cpus().length) } : {}),
      memory: {
        rssBeforeLoadKb: rssBeforeLoad,
        rssAfterLoadKb: rssAfterLoad,
        rssAfterWarmupKb: rssAfterWarmup,
        rssAfterTimingKb: mem.rssKb,
        peakRssKb: mem.peakKb,
      },
      rows: times.length + extra.length,
      pid: process.pid,
    };
    if (job.dumpPath) writeFileSync(job.dumpPath, JSON.stringify(await model.dump()));
    writeFileSync(job.metaPath, JSON.stringify(meta, null, 2) + "\n");
    trace("measure: results written");
  } catch (err) {
    reportFailure(job.errorPath, phase, errorMessage(err), err instanceof MeasureError);
    process.exit(3);
  }
}

/**
 * Writes the error file of a failed measurement ({phase, message, known}); when it cannot be written
 * (a full disk) the partial file is removed and the error goes to stderr, where the parent finds it.
 */
function reportFailure(path: string, phase: string, message: string, known: boolean): void {
  try {
    writeFileSync(path, JSON.stringify({ phase, message, known }) + "\n");
    return;
  } catch {
    rmSync(path, { force: true });
  }
  try {
    writeSync(2, `error (${phase}): ${message}\n`);
  } catch {
    // nowhere left to tell: the exit code says it failed
  }
}
