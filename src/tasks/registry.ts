import type { Task } from "./base.js";
import type { ParamDef } from "./params.js";
import { PlotMultiRuntimes, PlotRuntimes } from "./plot.js";
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
];
