/**
 * How each engine measures throughput: S streams calling one model concurrently in one fresh process,
 * as CMSSW's streams do (each engine's mechanism in engines/<name>/throughput.ts).
 */
import { onnxThroughput } from "./onnx/throughput.js";
import { tfThroughput } from "./tf/throughput.js";
import { tfaotThroughput } from "./tfaot/throughput.js";
import type { ThroughputDriver } from "./throughput-driver.js";

export type { ThroughputDriver };

const DRIVERS: Record<string, ThroughputDriver> = {
  onnx: onnxThroughput,
  tf: tfThroughput,
  tfaot: tfaotThroughput,
};

/** The engines that measure throughput. */
export function throughputEngines(): string[] {
  return Object.keys(DRIVERS);
}

/** The throughput driver of an engine, or undefined when it has none. */
export function throughputDriver(engine: string): ThroughputDriver | undefined {
  return DRIVERS[engine];
}
