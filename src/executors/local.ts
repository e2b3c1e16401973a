import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ProcessCommand } from "../engines/engine.js";
import { releaseEngines } from "../cmssw/releases.js";
import { describeEngines } from "../engines/emulation.js";
import { engineJobFields } from "../engines/params.js";
import { getEngine } from "../engines/registry.js";
import { contentChange, currentSpec, modelContent } from "../engines/provenance.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS, measureJob, type MeasureJob } from "../measure/job.js";
import { checkInputMemory, oomKillCount, sigkillCause, watchMemory } from "../measure/memory-budget.js";
import { progressReport } from "../measure/progress-line.js";
import { storeRoot } from "../paths.js";
import { INPUT_SEED, readProcessMeta, writeMeasurement } from "../record/measurement.js";
import { requireRows } from "../record/rows.js";
import { storeHint, storeIsFull, storeTmpDir } from "../store.js";
import { checkCpusHere } from "../util/cpus.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs, writeFileAtomic } from "../util/fs.js";
import { withMeasurementLock } from "../util/lock.js";
import { sha256File } from "../util/hash.js";
import { runStreaming } from "../util/process.js";
import { ProgressBar } from "../util/progress.js";
import { trace } from "../util/trace.js";
import type { Executor, MeasurementRequest } from "./executor.js";
import { endingWithParent } from "./parent-death.js";

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
  // before any process starts: the CPUs to pin to exist here, the inputs fit into memory
  checkCpusHere(run.cpuAffinity);
  checkInputMemory(spec.inputs, batchSize, spec.yamlPath);
  const driver = getEngine(spec.engine).local;
  const tmpParent = storeTmpDir();
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
      engineFields: engineJobFields(spec.engine, run),
    });
    const release = run.engineVersions === "release" ? releaseEngines(req.cmsswVersion) : undefined;
    const preparation = await driver.prepare?.(job, spec, req.progress, release);
    trace("measure parent: engine prepared");
    const jobFile = join(tmp, "job.json");
    writeFileAtomic(jobFile, JSON.stringify(job, null, 2));
    const guarded = endingWithParent(pinned(driver.command(jobFile), run.cpuAffinity));
    const command = guarded.command;
    // the model content measured: the record carries it, and it must not change while it is measured
    const before = modelContent(spec);
    // the timed work of this host, one measurement at a time (whatever process or store asks)
    const what = `measuring ${spec.yamlPath} at batch size ${batchSize} into ${storeRoot()}`;
    const { startedAt, host } = await withMeasurementLock(
      { what, progress: req.progress, signal: req.signal, wait: req.wait },
      async (lock) => {
        trace("measure parent: lock held");
        const startedAt = new Date().toISOString();
        const host = hostInfo();
        await runMeasureProcess(command, job, req, spec.yamlPath, (pid) => lock.nameTimingProcess(pid));
        return { startedAt, host };
      },
    );

    trace("measure parent: lock released");
    const writer = `measurement process of ${spec.yamlPath}`;
    const changed = contentChange(modelContent(currentSpec(spec.yamlPath)), before);
    if (changed)
      throw new MlprofError(
        `the model ${spec.yamlPath} changed while it was measured at batch size ${batchSize} (${changed}): nothing was written`,
        "measure again once the model files stay as they are",
      );
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
        parentDeath: guarded.note,
        note: preparation?.engines
          ? `local executor: the engine versions ${req.cmsswVersion} ships, as published for this machine (an emulation, not CMSSW's own build)`
          : "local executor: the engines installed on this machine were measured, not those of this release",
      },
    });
    trace("measure parent: measurement recorded");
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
  onSpawn: (pid: number) => void,
): Promise<void> {
  // the process reports between events (and windows) on its own; the bar is drawn here, in the parent
  const bar = new ProgressBar(req.progress, { label: `batch size ${job.batchSize}`, unit: "calls" });
  const oomBefore = oomKillCount();
  let memory: { stop(): string | undefined } | undefined;
  trace(`measure parent: spawn ${cmd.file}`);
  const result = await runStreaming(cmd.file, cmd.args, {
    env: { ...cmd.env },
    extendEnv: true,
    signal: req.signal,
    forceKillAfterMs: 2000,
    onSpawn: (pid) => {
      onSpawn(pid);
      memory = watchMemory(pid);
    },
    onLine(line, stream) {
      if (stream !== "stdout") return;
      const msg = progressReport(line);
      if (!msg) return;
      if (msg.total > 0) bar.update(msg.done, msg.total);
      else bar.setNote(`${msg.done} ${msg.phase}`);
    },
  }).finally(() => bar.stop());
  const outOfMemory = memory?.stop();
  trace("measure parent: process exited");
  if (result.exitCode === 0 && !result.canceled) bar.finish();
  const where = `${yamlPath} at batch size ${job.batchSize}`;
  if (outOfMemory) throw new MlprofError(`measurement process of ${where} ${outOfMemory}`);
  if (result.canceled || req.signal.aborted) throw new MlprofError(`measurement of ${where} was interrupted`);
  if (result.exitCode === 0) return;
  const reported = readErrorFile(job.errorPath);
  const stderr = result.stderrTail.slice(-5).join("\n").trim();
  const told = reported ? `${reported.message}` : stderr;
  // a full store: the process could not write its results (its error file may be empty or missing)
  if (/ENOSPC|EDQUOT|no space left|quota exceeded/i.test(told) || (!reported && storeIsFull())) {
    throw new MlprofError(
      `measurement of ${where} failed: cannot write into the store ${storeRoot()}: no space left on device ` +
        `(ENOSPC), the measurement process could not write its results${told ? ` (${firstLine(told)})` : ""}`,
      storeHint("ENOSPC"),
    );
  }
  if (reported)
    throw new MlprofError(`measurement of ${where} failed (${reported.phase}): ${reported.message}`);
  const oom = result.signal === "SIGKILL" ? sigkillCause(oomBefore, oomKillCount()) : "";
  const how = result.signal ? `was killed by ${result.signal}${oom}` : `exited with code ${result.exitCode}`;
  throw new MlprofError(`measurement process of ${where} ${how}${stderr ? `:\n${stderr}` : ""}`);
}

/** The first line of a message. */
function firstLine(text: string): string {
  return text.split("\n")[0]!.trim();
}

/**
 * The error file of a failed measurement process, or undefined when there is none that can be read: the
 * process could not write it (a full disk leaves it empty or cut off), and then told on stderr.
 */
function readErrorFile(path: string): { phase: string; message: string } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const err = JSON.parse(readFileSync(path, "utf8")) as { phase?: unknown; message?: unknown };
    if (typeof err.message !== "string") return undefined;
    return { phase: String(err.phase ?? "unknown phase"), message: err.message };
  } catch {
    return undefined;
  }
}

/** The local executor: measurements with the engines installed on this machine. */
export const localExecutor: Executor = {
  name: "local",
  summary: "the engines installed on this machine, one fresh process per measurement",
  measure: measureLocally,
};
