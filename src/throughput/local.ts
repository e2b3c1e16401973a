/**
 * One throughput measurement process on this machine: the engine's process runs S streams of one model
 * under the host-wide lock of timed work, and only a complete, checked result is moved into the store
 * (its record first, the calls CSV last).
 */
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { contentChange, currentSpec, modelContent } from "../engines/provenance.js";
import { getEngine } from "../engines/registry.js";
import { throughputDriver, throughputEngines } from "../engines/throughput.js";
import { hostInfo, type HostInfo } from "../measure/host.js";
import { progressReport } from "../measure/progress-line.js";
import { checkInputMemory, oomKillCount, sigkillCause, watchMemory } from "../measure/memory-budget.js";
import type { ThroughputJob, ThroughputProcessMeta } from "../measure/throughput-job.js";
import { projectRevision, storeRoot } from "../paths.js";
import { INPUT_SEED } from "../record/measurement.js";
import { storeTmpDir } from "../store.js";
import { checkCpusHere } from "../util/cpus.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs, writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { sha256File } from "../util/hash.js";
import { withMeasurementLock } from "../util/lock.js";
import { runStreaming } from "../util/process.js";
import { ProgressBar, type ProgressSink } from "../util/progress.js";
import { analyseCalls, parseCalls, type ThroughputAnalysis } from "./fit.js";
import { checkSubscription, cpusAvailable, throughputProvenance, type ThroughputConfig } from "./settings.js";

/** The columns of a throughput calls CSV (no header line): ns relative to the window's start. */
export const CALLS_CSV_COLUMNS = "stream,start_ns,end_ns";

/** One throughput point to measure, and where its record and calls go. */
export interface ThroughputRequest {
  cfg: ThroughputConfig;
  batchSize: number;
  streams: number;
  csvPath: string;
  metaPath: string;
  progress: ProgressSink;
  signal: AbortSignal;
  wait?: boolean;
}

/** The record of one throughput process (its JSON beside the calls CSV). */
export interface ThroughputRecord {
  kind: "throughput";
  mlprof: { revision: string };
  model: { file: string; graph: string; graphSha256?: string; name: string; label: string; engine: string };
  point: {
    batchSize: number;
    streams: number;
    threadsPerStream: number;
    /** streams × threads, and the CPUs this process could use. */
    cpusNeeded: number;
    cpusAvailable: number;
    oversubscribed: boolean;
    sharing: ThroughputProcessMeta["sharing"];
    mechanism: string;
  };
  settings: ThroughputConfig["settings"] & { inputSeed: number; csvColumns: string };
  result: ThroughputAnalysis & {
    windowSeconds: number;
    /** CPU seconds of the process per second of window (busy cores), and per CPU it was given. */
    cpu: { busyCores: number; utilisation: number; userSeconds: number; systemSeconds: number };
    memory: ThroughputProcessMeta["memory"];
  };
  cmssw: { version: string; scramArch: string; executor: string; note: string };
  host: HostInfo;
  process: ThroughputProcessMeta;
  preparation: object;
  startedAt: string;
  finishedAt: string;
  provenance: ReturnType<typeof throughputProvenance>;
}

/** Measures one throughput point in one fresh process and writes its record and calls CSV. */
export async function measureThroughput(req: ThroughputRequest): Promise<ThroughputRecord> {
  const { cfg, batchSize, streams } = req;
  const spec = cfg.model.spec;
  const where = `${spec.yamlPath} at batch size ${batchSize} with ${streams} streams`;
  const driver = throughputDriver(spec.engine);
  if (!driver) {
    throw new MlprofError(
      `${spec.yamlPath}: inference_engine ${spec.engine} has no throughput measurement; ` +
        `the engines that have one: ${throughputEngines().join(", ")}`,
    );
  }
  checkCpusHere(cfg.settings.cpuAffinity);
  const oversubscribed = checkSubscription(cfg.settings, streams);
  // every stream holds the inputs of one event: as much as one event of S times the batch size
  checkInputMemory(spec.inputs, batchSize * streams, spec.yamlPath);
  const tmpParent = storeTmpDir();
  const tmp = makeTempDir("throughput", tmpParent);
  try {
    const job = throughputJob(req, tmp);
    const { command, preparation } = await driver.prepare(job, spec, req.progress);
    const jobFile = join(tmp, "job.json");
    writeFileAtomic(jobFile, JSON.stringify(job, null, 2));
    let cmd = command(jobFile);
    if (cfg.settings.cpuAffinity)
      cmd = { ...cmd, file: "taskset", args: ["-c", cfg.settings.cpuAffinity, cmd.file, ...cmd.args] };
    const before = modelContent(spec);
    const { startedAt, host } = await withMeasurementLock(
      { what: `measuring the throughput of ${where} into ${storeRoot()}`, ...lockOptions(req) },
      async (lock) => {
        const startedAt = new Date().toISOString();
        const host = hostInfo();
        await runProcess(cmd, job, req, where, (pid) => lock.nameTimingProcess(pid));
        return { startedAt, host };
      },
    );
    const changed = contentChange(modelContent(currentSpec(spec.yamlPath)), before);
    if (changed)
      throw new MlprofError(
        `the model ${spec.yamlPath} changed while its throughput was measured (${changed}): nothing was written`,
        "measure again once the model files stay as they are",
      );
    const meta = JSON.parse(readFileSync(job.metaPath, "utf8")) as ThroughputProcessMeta;
    const callsText = readFileSync(job.callsPath, "utf8");
    const windowNs = meta.window.endNs - meta.window.startNs;
    const analysis = analyseCalls(
      parseCalls(callsText, job.callsPath, streams),
      windowNs,
      batchSize,
      streams,
      where,
    );
    const windowSeconds = windowNs / 1e9;
    const busy = (meta.cpu.userSeconds + meta.cpu.systemSeconds) / windowSeconds;
    const record: ThroughputRecord = {
      kind: "throughput",
      mlprof: { revision: projectRevision() },
      model: {
        file: spec.yamlPath,
        graph: job.modelPath,
        graphSha256: existsSync(job.modelPath) ? await sha256File(job.modelPath) : undefined,
        name: cfg.model.fullName,
        label: cfg.model.label,
        engine: spec.engine,
      },
      point: {
        batchSize,
        streams,
        threadsPerStream: cfg.settings.threads,
        cpusNeeded: streams * cfg.settings.threads,
        cpusAvailable: cpusAvailable(cfg.settings),
        oversubscribed,
        sharing: driver.sharing,
        mechanism: driver.mechanism,
      },
      settings: { ...cfg.settings, inputSeed: INPUT_SEED, csvColumns: CALLS_CSV_COLUMNS },
      result: {
        ...analysis,
        windowSeconds,
        cpu: {
          busyCores: busy,
          utilisation: busy / (streams * cfg.settings.threads),
          userSeconds: meta.cpu.userSeconds,
          systemSeconds: meta.cpu.systemSeconds,
        },
        memory: meta.memory,
      },
      cmssw: {
        version: cfg.cmsswVersion,
        scramArch: cfg.scramArch,
        executor: "local",
        note: "local executor: the engines installed on this machine were measured, not those of this release",
      },
      host,
      process: meta,
      preparation,
      startedAt,
      finishedAt: new Date().toISOString(),
      provenance: throughputProvenance(cfg),
    };
    rmSync(req.csvPath, { force: true });
    writeJsonAtomic(req.metaPath, record);
    try {
      writeFileAtomic(req.csvPath, callsText);
    } catch (err) {
      rmSync(req.metaPath, { force: true });
      throw err;
    }
    return record;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    removeEmptyDirs(tmpParent, storeRoot());
  }
}

function lockOptions(req: ThroughputRequest) {
  return { progress: req.progress, signal: req.signal, wait: req.wait };
}

/**
 * The job of one process: stream k gets the inputs of event k (seed + 1000 k + input index, drawn by the
 * runner as the tool draws them), so the streams never feed identical tensors.
 */
function throughputJob(req: ThroughputRequest, dir: string): ThroughputJob {
  const { cfg, batchSize, streams } = req;
  const spec = cfg.model.spec;
  const s = cfg.settings;
  return {
    engine: spec.engine,
    modelPath: getEngine(spec.engine).local.modelPath(spec),
    batchSize,
    outputs: spec.outputs.map((o) => o.name),
    inputData: s.inputData,
    seed: INPUT_SEED,
    streams,
    threads: s.threads,
    warmupMs: s.warmupSeconds * 1000,
    nWarmup: s.nWarmup,
    minDurationMs: s.minDurationSeconds * 1000,
    minCalls: s.minCalls,
    maxDurationMs: s.maxDurationSeconds * 1000,
    ...(s.tfaotBatchRules ? { batchRules: s.tfaotBatchRules } : {}),
    callsPath: join(dir, "calls.csv"),
    metaPath: join(dir, "process.json"),
    errorPath: join(dir, "error.json"),
  };
}

/** Runs the process, drawing its progress; any failure is one error naming the point. */
async function runProcess(
  cmd: { file: string; args: string[]; env?: Record<string, string> },
  job: ThroughputJob,
  req: ThroughputRequest,
  where: string,
  onSpawn: (pid: number) => void,
): Promise<void> {
  const bar = new ProgressBar(req.progress, { label: `${job.streams} streams`, unit: "calls" });
  const oomBefore = oomKillCount();
  let memory: { stop(): string | undefined } | undefined;
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
      const msg = stream === "stdout" ? progressReport(line) : undefined;
      if (msg) bar.update(Math.min(msg.done, msg.total || msg.done), msg.total || msg.done);
    },
  }).finally(() => bar.stop());
  const outOfMemory = memory?.stop();
  if (outOfMemory) throw new MlprofError(`throughput process of ${where} ${outOfMemory}`);
  if (result.canceled || req.signal.aborted)
    throw new MlprofError(`throughput measurement of ${where} was interrupted`);
  if (result.exitCode === 0 && existsSync(job.metaPath) && existsSync(job.callsPath)) return;
  const reported = readError(job.errorPath);
  if (reported)
    throw new MlprofError(
      `throughput measurement of ${where} failed (${reported.phase}): ${reported.message}`,
    );
  const stderr = result.stderrTail.slice(-5).join("\n").trim();
  const oom = result.signal === "SIGKILL" ? sigkillCause(oomBefore, oomKillCount()) : "";
  const how = result.missing
    ? `could not start: ${cmd.file} was not found`
    : result.signal
      ? `was killed by ${result.signal}${oom}`
      : `exited with code ${result.exitCode}${result.exitCode === 0 ? " without writing its results" : ""}`;
  throw new MlprofError(`throughput process of ${where} ${how}${stderr ? `:\n${stderr}` : ""}`);
}

function readError(path: string): { phase: string; message: string } | undefined {
  try {
    const err = JSON.parse(readFileSync(path, "utf8")) as { phase?: unknown; message?: unknown };
    return typeof err.message === "string"
      ? { phase: String(err.phase ?? "unknown phase"), message: err.message }
      : undefined;
  } catch {
    return undefined;
  }
}
