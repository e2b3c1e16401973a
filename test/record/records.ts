/** Valid records of each kind, as MLProf writes them, for the tests that break them field by field. */
import type { MeasurementRecord, MergedRecord } from "../../src/record/measurement.js";
import type { MeasureProcessMeta } from "../../src/measure/job.js";
import type { MemoryMeta } from "../../src/report/memory.js";

/** What a measurement process writes about itself (process.json). */
export function processMeta(): MeasureProcessMeta {
  return {
    engine: { name: "onnxruntime", version: "1.30.0", binding: "onnxruntime-node 1.30.0" },
    threads: { intraOp: 1, interOp: 1 },
    clock: "process.hrtime.bigint() (CLOCK_MONOTONIC, ns)",
    timings: { loadMs: 92.2, firstCallMs: 0.46, warmupMs: 0.08, measureMs: 7.4 },
    memory: {
      rssBeforeLoadKb: 44936,
      rssAfterLoadKb: 76056,
      rssAfterWarmupKb: 76848,
      rssAfterTimingKb: 76860,
      peakRssKb: 76860,
    },
    rows: 10,
    pid: 19442,
  };
}

/** A MeasureRuntime record of batch size `batchSize` with `rows` rows per process, one entry per process. */
export function measurementRecord(batchSize = 4, rows = [10, 10]): MeasurementRecord {
  const proc = processMeta();
  return {
    mlprof: { revision: "0.1.0+test" },
    model: {
      file: "/m/identity.yaml",
      graph: "/m/identity.onnx",
      graphSha256: "ab".repeat(32),
      name: "identity_d54a391f",
      label: "identity",
      engine: "onnx",
    },
    measurement: {
      batchSize,
      nEvents: 2,
      nCalls: 5,
      nWarmup: 10,
      warmupSeconds: 0,
      minDurationSeconds: 0,
      interOpThreads: 1,
      cpuAffinity: "none",
      warmupPolicy: "per event",
      inputData: "random",
      inputSeed: 12345,
      unit: "ms",
      csvColumns: "batch_size,runtime_ms",
      repeats: rows.length,
    },
    cmssw: { version: "CMSSW_14_1_0_pre4", scramArch: "el9_amd64_gcc12", executor: "local", engines: "here" },
    host: {
      hostname: "vm",
      cpuModel: "AMD EPYC",
      logicalCpus: 2,
      os: "linux x64",
      kernel: "6.1",
      node: "v20.20.2",
      loadAverage: [0.5, 0.4, 0.3],
      frequencyGovernor: "unknown",
    },
    process: proc,
    startedAt: "2026-12-06T23:06:05.162Z",
    finishedAt: "2026-12-06T23:06:06.492Z",
    repeats: rows.map((n, i) => ({
      index: i + 1,
      csv: `/s/runtime_bs_${batchSize}_repeat_${i + 1}.csv`,
      json: `/s/runtime_bs_${batchSize}_repeat_${i + 1}.json`,
      rows: n,
      medianMs: 0.25,
      startedAt: "2026-12-06T23:06:05.162Z",
      finishedAt: "2026-12-06T23:06:05.521Z",
      loadAverage: [0.5, 0.4, 0.3],
      pid: 19442 + i,
      timings: proc.timings,
      memory: proc.memory,
    })),
  };
}

/** A MergeRuntimes record of the batch sizes. */
export function mergedRecord(batchSizes = [1, 4]): MergedRecord {
  return {
    batchSizes,
    statistics: { quantiles: "numpy default" },
    warnings: [],
    csvColumns: "batch_size,runtime_ms",
    measurements: batchSizes.map((bs) => ({
      batchSize: bs,
      csv: `/s/runtime_bs_${bs}.csv`,
      pooledCalls: { n: 20, median: 0.25 },
      acrossProcesses: { processes: 2, median: 0.25 },
      metadata: measurementRecord(bs),
    })),
  };
}

/** The facts of a memory CSV. */
export function memoryMeta(batchSizes = [1, 4]): MemoryMeta {
  return {
    model: "identity_d54a391f",
    batchSizes,
    sources: batchSizes.map((bs) => `/s/memory_bs_${bs}.csv`),
    units: "MiB",
    csvColumns: "batch_size,rss_before_load_mib",
  };
}
