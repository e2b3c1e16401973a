import { parseParams, type Param, type ParamSet, type Values } from "./parameters.js";
import type { Task } from "./task.js";

/** A task family the CLI can run: its name, help, parameters, and how a task is made of raw values. */
export interface TaskFamily {
  readonly name: string;
  readonly description: string;
  /** The parameters, in the order of the help text. */
  readonly params: readonly Param<unknown>[];
  /** Two or three command lines for the end of the help text: [command, what it does]. */
  readonly examples?: readonly [string, string][];
  /** Converts raw command-line values (keyed by flag) and creates the task. */
  create(raw: Record<string, unknown>): Task;
}

/** Defines a task family from a typed parameter set and a constructor of typed values. */
export function defineTask<S extends ParamSet>(def: {
  name: string;
  description: string;
  params: S;
  examples?: [string, string][];
  create: (values: Values<S>) => Task;
}): TaskFamily {
  return {
    name: def.name,
    description: def.description,
    params: Object.values(def.params),
    examples: def.examples,
    create: (raw) => def.create(parseParams(def.params, raw)),
  };
}
