import { readFileSync, writeFileSync, writeSync } from "node:fs";
import { errorMessage } from "../util/errors.js";
import type { DumpedTensor, MeasureJob, MeasureProcessMeta } from "./job.js";
import { readRss } from "./memory.js";

/** A model loaded by an engine inside the measurement process. */
export interface LoadedModel {
  engine: MeasureProcessMeta["engine"];
  threads: MeasureProcessMeta["threads"];
  /** Builds the inputs of one event (outside the clock). */
  prepareEvent(event: number): void;
  /** One synchronous inference call on the prepared inputs: the only thing inside the clock. */
  call(): void;
  /** The prepared inputs and the outputs of one call, for reference checks (job.dumpPath). */
  dump(): Promise<{ inputs: Record<string, DumpedTensor>; outputs: Record<string, DumpedTensor> }>;
}

/** An error of the model or engine the user must see as is (wrong inputs, engine refusal). */
export class MeasureError extends Error {}

/** Reports progress on stdout with a blocking write (the timed loop never yields to the event loop). */
function progress(done: number, total: number, phase: string): void {
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
  const job = JSON.parse(readFileSync(jobPath, "utf8")) as MeasureJob;
  let phase = "load and check the model";
  try {
    const rssBeforeLoad = readRss().rssKb;
    const t0 = process.hrtime.bigint();
    const model = await load(job);
    const t1 = process.hrtime.bigint();
    const rssAfterLoad = readRss().rssKb;
    const { nEvents, nCalls, nWarmup } = job;
    const { warmupMs, minDurationMs } = job;
    const warmupNsMin = BigInt(Math.round(warmupMs * 1e6));
    const minDurationNs = BigInt(Math.round(minDurationMs * 1e6));
    // a fixed-size buffer for the calls asked for; calls beyond (--min-duration) go to a growable list
    const times = new Float64Array(nEvents * nCalls);
    const extra: number[] = [];
    let warmupNs = 0n;
    let rssAfterWarmup = 0;
    const tMeasure0 = process.hrtime.bigint();
    let k = 0;
    for (let event = 0; event < nEvents; event++) {
      phase = "prepare inputs";
      model.prepareEvent(event);
      phase = "warm-up";
      const w0 = process.hrtime.bigint();
      for (let i = 0; i < nWarmup; i++) model.call();
      while (warmupNsMin > 0n && process.hrtime.bigint() - w0 < warmupNsMin) model.call();
      warmupNs += process.hrtime.bigint() - w0;
      if (event === 0) rssAfterWarmup = readRss().rssKb;
      phase = "timed calls";
      let end = 0n;
      const eventStart = process.hrtime.bigint();
      for (let i = 0; i < nCalls; i++) {
        const start = process.hrtime.bigint();
        model.call();
        end = process.hrtime.bigint();
        times[k++] = Number(end - start);
        if ((i + 1) % 5000 === 0) progress(event * nCalls + i + 1, nEvents * nCalls, "timed calls");
      }
      while (minDurationNs > 0n && end - eventStart < minDurationNs) {
        const start = process.hrtime.bigint();
        model.call();
        end = process.hrtime.bigint();
        extra.push(Number(end - start));
      }
      progress((event + 1) * nCalls, nEvents * nCalls, "timed calls");
    }
    const tMeasure1 = process.hrtime.bigint();
    const mem = readRss();
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
        warmupMs: Number(warmupNs) / 1e6,
        measureMs: Number(tMeasure1 - tMeasure0) / 1e6,
      },
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
  } catch (err) {
    const known = err instanceof MeasureError;
    writeFileSync(job.errorPath, JSON.stringify({ phase, message: errorMessage(err), known }) + "\n");
    process.exit(3);
  }
}
