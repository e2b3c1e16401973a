import { parseParams, type ParamSet } from "../framework/parameters.js";
import type { BatchSystem, BatchSystemDefinition } from "./system.js";

/** A batch system from its definition: its settings convert the raw options with its own parameters. */
export function defineBatchSystem<P extends ParamSet>(def: BatchSystemDefinition<P>): BatchSystem {
  return {
    ...def,
    settings: async (raw, ctx) => ({ ...(await def.settings(parseParams(def.params, raw), ctx)) }),
  };
}
