import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { ProcessCommand } from "../engines/engine.js";
import { getEngine } from "../engines/index.js";
import type { Model } from "../model/model.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS, type InputKind, type MeasureJob } from "../measure/job.js";
import { storeRoot } from "../paths.js";
import type { RunParts } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs } from "../util/fs.js";
import { sha256File } from "../util/hash.js";
import { checkRows, INPUT_SEED, readProcessMeta, writeMeasurement } from "./result.js";

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

    const writer = `measurement process of ${spec.yamlPath}`;
    checkRows(req, job.csvPath, writer);
    writeMeasurement(req, {
      rowsCsv: readFileSync(job.csvPath, "utf8"),
      processMeta: readProcessMeta(job.metaPath),
      preparation: preparation ?? undefined,
      host,
      startedAt,
      graph: job.modelPath,
      graphSha256: existsSync(job.modelPath) ? await sha256File(job.modelPath) : undefined,
      cmssw: {
        note: "local executor: the engines installed on this machine were measured, not those of this release",
      },
    });
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
