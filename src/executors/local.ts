import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { ProcessCommand } from "../engines/engine.js";
import { getEngine } from "../engines/index.js";
import type { Model } from "../model/model.js";
import { csvMetaLines, readRuntimeCsv } from "../measure/csv.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS, type InputKind, type MeasureJob, type MeasureProcessMeta } from "../measure/job.js";
import { projectRevision, storeRoot } from "../paths.js";
import type { RunParts } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs, writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { sha256File } from "../util/hash.js";

/** What one measurement needs to know. */
export interface MeasurementRequest {
  model: Model;
  batchSize: number;
  run: RunParts;
  cmsswVersion: string;
  scramArch: string;
  /** Final output paths. */
  csvPath: string;
  metaPath: string;
  progress: (message: string) => void;
  signal: AbortSignal;
}

/** Seed of the random inputs (event e of input i uses seed + 1000 e + i); recorded in the metadata. */
export const INPUT_SEED = 12345;

/**
 * Runs one measurement with the local executor: the engine's measurement process runs in a fresh
 * process (the analogue of cmsRun) and writes into a temporary folder of the store; only a complete,
 * checked result is moved into place (metadata first, the CSV last), so a failure or an interrupt
 * leaves no CSV behind.
 */
export async function measureLocally(req: MeasurementRequest): Promise<void> {
  const { model, batchSize, run } = req;
  const spec = model.spec;
  if (!(INPUT_KINDS as readonly string[]).includes(run.inputData)) {
    throw new MlprofError(
      `--input-data: '${run.inputData}' is not one of ${INPUT_KINDS.join(", ")}; ` +
        "reading inputs from a ROOT file needs CMSSW (--executor cmssw)",
    );
  }
  const driver = getEngine(spec.engine);
  const tmpParent = join(storeRoot(), ".tmp");
  const tmp = makeTempDir("measure", tmpParent);
  try {
    const job: MeasureJob = {
      engine: spec.engine,
      modelPath: driver.modelPath(spec),
      modelLabel: model.label,
      inputs: spec.inputs,
      outputs: spec.outputs.map((o) => o.name),
      batchSize,
      nEvents: run.nEvents,
      nCalls: run.nCalls,
      nWarmup: run.nWarmup,
      warmupMs: run.warmupSeconds * 1000,
      minDurationMs: run.minDurationSeconds * 1000,
      inputData: run.inputData as InputKind,
      seed: INPUT_SEED,
      threads: run.threads,
      interOpThreads: run.interOpThreads,
      csvPath: join(tmp, "runtime.csv"),
      metaPath: join(tmp, "process.json"),
      errorPath: join(tmp, "error.json"),
      ...(run.tfaotBatchRules ? { batchRules: run.tfaotBatchRules } : {}),
    };
    const preparation = await driver.prepare?.(job, spec, req.progress);
    const jobFile = join(tmp, "job.json");
    writeFileSync(jobFile, JSON.stringify(job, null, 2));
    const startedAt = new Date().toISOString();
    const host = hostInfo();
    await runMeasureProcess(pinned(driver.command(jobFile), run.cpuAffinity), job, req, spec.yamlPath);

    const processMeta = JSON.parse(readFileSync(job.metaPath, "utf8")) as MeasureProcessMeta;
    const rows = readRuntimeCsv(job.csvPath).rows;
    const expected = run.nEvents * run.nCalls;
    const tooFew = run.minDurationSeconds > 0 ? rows.length < expected : rows.length !== expected;
    if (tooFew || rows.some((r) => r.batchSize !== batchSize)) {
      throw new MlprofError(
        `measurement process of ${spec.yamlPath} wrote ${rows.length} rows, expected ${expected} at batch size ${batchSize}`,
      );
    }
    const metadata = {
      mlprof: { revision: projectRevision() },
      model: {
        file: spec.yamlPath,
        graph: job.modelPath,
        graphSha256: existsSync(job.modelPath) ? await sha256File(job.modelPath) : undefined,
        name: model.fullName,
        label: model.label,
        engine: spec.engine,
      },
      measurement: {
        batchSize,
        nEvents: run.nEvents,
        nCalls: run.nCalls,
        nWarmup: run.nWarmup,
        nWarmupMin: run.nWarmup,
        warmupSeconds: run.warmupSeconds,
        minDurationSeconds: run.minDurationSeconds,
        interOpThreads: run.interOpThreads,
        cpuAffinity: run.cpuAffinity || "none",
        warmupPolicy:
          "per event, on that event's inputs: n-warmup untimed calls, continued until warmup-duration has passed",
        inputData: run.inputData,
        inputSeed: INPUT_SEED,
        unit: "ms",
      },
      cmssw: {
        version: req.cmsswVersion,
        scramArch: req.scramArch,
        executor: run.executor,
        note: "local executor: the engines installed on this machine were measured, not those of this release",
      },
      host,
      process: preparation ? { ...processMeta, preparation } : processMeta,
      startedAt,
      finishedAt: new Date().toISOString(),
    };
    const header = csvMetaLines({
      mlprof_revision: projectRevision(),
      engine: `${processMeta.engine.name} ${processMeta.engine.version}`,
      threads: `intra-op ${processMeta.threads.intraOp}, inter-op ${processMeta.threads.interOp}`,
      cpu: host.cpuModel,
      host: host.hostname,
      batch_size: batchSize,
      n_events: run.nEvents,
      n_calls: run.nCalls,
      n_warmup: run.nWarmup,
      input_data: run.inputData,
      input_seed: INPUT_SEED,
      warmup_duration_s: run.warmupSeconds,
      min_duration_s: run.minDurationSeconds,
      cpu_affinity: run.cpuAffinity || "none",
      graph_sha256: metadata.model.graphSha256 ?? "unknown",
      model: model.fullName,
      cmssw_version: req.cmsswVersion,
      scram_arch: req.scramArch,
      executor: run.executor,
      columns: "batch_size,runtime_ms",
    });
    // the pair is complete only once the CSV is in place: a failed CSV write takes its metadata with it
    rmSync(req.csvPath, { force: true });
    writeJsonAtomic(req.metaPath, metadata);
    try {
      writeFileAtomic(req.csvPath, header + readFileSync(job.csvPath, "utf8"));
    } catch (err) {
      rmSync(req.metaPath, { force: true });
      throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    removeEmptyDirs(tmpParent, storeRoot());
  }
}

/** Prefixes the measurement command with `taskset -c <cpus>` when a CPU affinity is asked for. */
function pinned(cmd: ProcessCommand, cpus: string): ProcessCommand {
  if (!cpus) return cmd;
  return { ...cmd, file: "taskset", args: ["-c", cpus, cmd.file, ...cmd.args] };
}

async function runMeasureProcess(
  cmd: ProcessCommand,
  job: MeasureJob,
  req: MeasurementRequest,
  yamlPath: string,
): Promise<void> {
  const child = execa(cmd.file, cmd.args, {
    env: { ...cmd.env },
    cancelSignal: req.signal,
    reject: false,
    stdin: "ignore",
    buffer: { stdout: false, stderr: true },
    forceKillAfterDelay: 2000,
  });
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      try {
        const msg = JSON.parse(line) as { type?: string; done?: number; total?: number };
        if (msg.type === "progress")
          req.progress(`batch size ${job.batchSize}: ${msg.done}/${msg.total} calls`);
      } catch {
        // not a progress line: ignore
      }
    }
  });
  const result = await child;
  const where = `${yamlPath} at batch size ${job.batchSize}`;
  if (result.isCanceled || req.signal.aborted)
    throw new MlprofError(`measurement of ${where} was interrupted`);
  if (result.exitCode === 0) return;
  if (existsSync(job.errorPath)) {
    const err = JSON.parse(readFileSync(job.errorPath, "utf8")) as { phase: string; message: string };
    throw new MlprofError(`measurement of ${where} failed (${err.phase}): ${err.message}`);
  }
  const stderr = String(result.stderr ?? "")
    .trim()
    .split("\n")
    .slice(-5)
    .join("\n");
  const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  throw new MlprofError(`measurement process of ${where} ${how}${stderr ? `:\n${stderr}` : ""}`);
}
