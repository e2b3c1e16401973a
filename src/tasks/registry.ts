/** Every task of `mlprof run`, in the order of the chain: adding a task means a module and a line here. */
import { BATCH_RULE_TASKS } from "./batchrules.js";
import { CompareRuntimes } from "./compare.js";
import type { TaskFamily } from "../framework/family.js";
import { MeasureMemory, MergeMemory, PlotLoadTime, PlotMemory, PlotMultiMemory } from "./memory.js";
import { PlotMultiRuntimes, PlotRuntimes } from "./plot.js";
import { Report } from "./report.js";
import { MeasureRepeat, MeasureRuntime, MergeRuntimes } from "./runtime.js";
import { MeasureThroughput, MeasureThroughputRepeat, MergeThroughput } from "./throughput.js";
import { PlotMultiThroughput, PlotThroughput } from "./throughput-plot.js";

export const TASKS: readonly TaskFamily[] = [
  MeasureRuntime.family,
  MeasureRepeat.family,
  MergeRuntimes.family,
  PlotRuntimes.family,
  PlotMultiRuntimes.family,
  CompareRuntimes.family,
  MeasureMemory.family,
  MergeMemory.family,
  PlotMemory.family,
  PlotMultiMemory.family,
  PlotLoadTime.family,
  Report.family,
  ...BATCH_RULE_TASKS,
  MeasureThroughput.family,
  MeasureThroughputRepeat.family,
  MergeThroughput.family,
  PlotThroughput.family,
  PlotMultiThroughput.family,
];

/** The task family of a name. */
export function taskFamily(name: string): TaskFamily | undefined {
  return TASKS.find((t) => t.name === name);
}
