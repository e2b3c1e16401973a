import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ProcessCommand } from "../engines/engine.js";
import { releaseEngines } from "../cmssw/releases.js";
import { describeEngines } from "../engines/emulation.js";
import { getEngine } from "../engines/registry.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS, measureJob, type MeasureJob } from "../measure/job.js";
import { storeRoot } from "../paths.js";
import { INPUT_SEED, readJsonFile, readProcessMeta, writeMeasurement } from "../record/measurement.js";
import { requireRows } from "../record/rows.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs } from "../util/fs.js";
import { sha256File } from "../util/hash.js";
import { runStreaming } from "../util/process.js";
import type { Executor, MeasurementRequest } from "./executor.js";

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
  const driver = getEngine(spec.engine).local;
  const tmpParent = join(storeRoot(), ".tmp");
  const tmp = makeTempDir("measure", tmpParent);
  try {
    const job = measureJob({
      engine: spec.engine,
      modelPath: driver.modelPath(spec),
      modelLabel: model.label,
      inputs: spec.inputs,
      outputs: spec.outputs.map((o) => o.name),
      batchSize,
      run,
      seed: INPUT_SEED,
      dir: tmp,
    });
    const release = run.engineVersions === "release" ? releaseEngines(req.cmsswVersion) : undefined;
    const preparation = await driver.prepare?.(job, spec, req.progress, release);
    const jobFile = join(tmp, "job.json");
    writeFileSync(jobFile, JSON.stringify(job, null, 2));
    const startedAt = new Date().toISOString();
    const host = hostInfo();
    await runMeasureProcess(pinned(driver.command(jobFile), run.cpuAffinity), job, req, spec.yamlPath);

    const writer = `measurement process of ${spec.yamlPath}`;
    requireRows(job.csvPath, req.batchSize, run, writer);
    writeMeasurement(req, {
      rowsCsv: readFileSync(job.csvPath, "utf8"),
      processMeta: readProcessMeta(job.metaPath),
      preparation: preparation ?? undefined,
      host,
      startedAt,
      graph: job.modelPath,
      graphSha256: existsSync(job.modelPath) ? await sha256File(job.modelPath) : undefined,
      cmssw: {
        engines: describeEngines(preparation?.engines ?? undefined),
        note: preparation?.engines
          ? `local executor: the engine versions ${req.cmsswVersion} ships, as published for this machine (an emulation, not CMSSW's own build)`
          : "local executor: the engines installed on this machine were measured, not those of this release",
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
  const result = await runStreaming(cmd.file, cmd.args, {
    env: { ...cmd.env },
    extendEnv: true,
    signal: req.signal,
    forceKillAfterMs: 2000,
    onLine(line, stream) {
      if (stream !== "stdout") return;
      try {
        const msg = JSON.parse(line) as { type?: string; done?: number; total?: number };
        if (msg.type === "progress")
          req.progress(`batch size ${job.batchSize}: ${msg.done}/${msg.total} calls`);
      } catch {
        // not a progress line: ignore
      }
    },
  });
  const where = `${yamlPath} at batch size ${job.batchSize}`;
  if (result.canceled || req.signal.aborted) throw new MlprofError(`measurement of ${where} was interrupted`);
  if (result.exitCode === 0) return;
  if (existsSync(job.errorPath)) {
    const err = readJsonFile(job.errorPath, "error file of the measurement process") as {
      phase: string;
      message: string;
    };
    throw new MlprofError(`measurement of ${where} failed (${err.phase}): ${err.message}`);
  }
  const stderr = result.stderrTail.slice(-5).join("\n").trim();
  const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
  throw new MlprofError(`measurement process of ${where} ${how}${stderr ? `:\n${stderr}` : ""}`);
}

/** The local executor: measurements with the engines installed on this machine. */
export const localExecutor: Executor = {
  name: "local",
  summary: "the engines installed on this machine, one fresh process per measurement",
  measure: measureLocally,
};
