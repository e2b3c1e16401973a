import { parseParams, type ParamSet, type Values } from "../framework/parameters.js";
import type { BatchSystem, BatchSystemDefinition } from "./system.js";

/** A batch system from its definition: its settings convert the raw options with its own parameters. */
export function defineBatchSystem<P extends ParamSet>(def: BatchSystemDefinition<P>): BatchSystem {
  const { needsSubmitHost, ...rest } = def;
  const values = (raw: Record<string, unknown>): Values<P> => parseParams(def.params, raw);
  return {
    ...rest,
    settings: async (raw, ctx) => ({ ...(await def.settings(values(raw), ctx)) }),
    needsSubmitHost: needsSubmitHost ? (raw) => needsSubmitHost(values(raw)) : undefined,
  };
}
