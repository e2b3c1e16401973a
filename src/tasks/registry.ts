import type { Task } from "./base.js";
import { CompareRuntimes } from "./compare.js";
import { MeasureMemory, MergeMemory, PlotLoadTime, PlotMemory, PlotMultiMemory } from "./memory.js";
import type { ParamDef } from "./params.js";
import { PlotMultiRuntimes, PlotRuntimes } from "./plot.js";
import { Report } from "./report.js";
import { MeasureRuntime, MergeRuntimes, type Args } from "./runtime.js";

/** A task family the CLI can run. */
export interface TaskFamily {
  name: string;
  description: string;
  params: ParamDef[];
  create(args: Args): Task;
}

/** Every task of `mlprof run`, in the order of the chain. */
export const TASKS: TaskFamily[] = [
  {
    name: "MeasureRuntime",
    description: "measure the runtime of one model at one batch size (runtime_bs_<N>.csv)",
    params: MeasureRuntime.params,
    create: (a) => MeasureRuntime.create(a),
  },
  {
    name: "MergeRuntimes",
    description: "merge the measurements of several batch sizes (runtimes_bs_<...>.csv)",
    params: MergeRuntimes.params,
    create: (a) => MergeRuntimes.create(a),
  },
  {
    name: "PlotRuntimes",
    description: "plot the runtime against the batch size: median and 16-84 % band",
    params: PlotRuntimes.params,
    create: (a) => PlotRuntimes.create(a),
  },
  {
    name: "PlotMultiRuntimes",
    description: "plot several models / releases / architectures in one figure",
    params: PlotMultiRuntimes.params,
    create: (a) => PlotMultiRuntimes.create(a),
  },
  {
    name: "CompareRuntimes",
    description:
      "compare two measurement sets A and B per batch size: ratio of medians, Mann-Whitney U, verdict, ratio plot",
    params: CompareRuntimes.params,
    create: (a) => CompareRuntimes.create(a),
  },
  {
    name: "MeasureMemory",
    description: "resident memory and load time of one MeasureRuntime (memory_bs_<N>.csv)",
    params: MeasureMemory.params,
    create: (a) => MeasureMemory.create(a),
  },
  {
    name: "MergeMemory",
    description: "merge the memory of several batch sizes (memory_bs_<...>.csv)",
    params: MergeMemory.params,
    create: (a) => MergeMemory.create(a),
  },
  {
    name: "PlotMemory",
    description: "plot the resident memory of one model against the batch size, one line per stage",
    params: PlotMemory.params,
    create: (a) => PlotMemory.create(a),
  },
  {
    name: "PlotMultiMemory",
    description: "plot one memory stage (default: the peak) of several models / releases / architectures",
    params: PlotMultiMemory.params,
    create: (a) => PlotMultiMemory.create(a),
  },
  {
    name: "PlotLoadTime",
    description: "plot the model load time of several models / releases / architectures",
    params: PlotLoadTime.params,
    create: (a) => PlotLoadTime.create(a),
  },
  {
    name: "Report",
    description:
      "one offline HTML page: runtime, memory and load-time plots, summary tables, metadata, warnings",
    params: Report.params,
    create: (a) => Report.create(a),
  },
];
