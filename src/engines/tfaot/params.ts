/**
 * The measurement option the tfaot engine owns (--tfaot-batch-rules), its part of the job file and of a
 * cmsRun config, and the facts its preparation records (compiled sizes, the batch rule in effect).
 */
import { param, type Values } from "../../framework/parameters.js";
import type { RunSettings } from "../../measure/run.js";
import type { EngineParams, PreparationFacts } from "../engine.js";
import { formatBatchRule, parseBatchRules } from "./rules.js";

/** The tfaot engine's options of the measurement tasks. */
export const TFAOT_PARAMS = {
  tfaotBatchRules: param.string({
    flag: "tfaot-batch-rules",
    default: "",
    significant: true,
    description:
      "dash-separated batch rules of tfaot models, each 'target_size:size_1,size_2,...' (models of other " +
      "engines ignore them, and their output paths leave them out)",
    check: (v) => void parseBatchRules(v),
    path: {
      order: 9,
      part: (v) => (v ? `rules_${v.replace(/\s/g, "").replace(/:/g, "x").replace(/,/g, ".")}` : undefined),
    },
  }),
};

/** The tfaot settings of a measurement's run settings. */
export function tfaotSettings(run: RunSettings): Values<typeof TFAOT_PARAMS> {
  return { tfaotBatchRules: typeof run.tfaotBatchRules === "string" ? run.tfaotBatchRules : "" };
}

/** The tfaot engine's own fields of a measurement job file. */
export interface TfaotJobFields {
  /** The batch rules (--tfaot-batch-rules, dash-separated "target:size,..."); absent: none. */
  batchRules?: string;
}

/**
 * --tfaot-batch-rules, after --cpu-affinity: they apply to tfaot models only; a job carries them when
 * there are any, and a config rendered at submission registers all of them, as CMSSW does.
 */
export const tfaotParams: EngineParams<typeof TFAOT_PARAMS> = {
  params: TFAOT_PARAMS,
  after: "cpuAffinity",
  ownModelsOnly: true,
  job: (v): TfaotJobFields => (v.tfaotBatchRules ? { batchRules: v.tfaotBatchRules } : {}),
  config: (v) => ({ batchRules: parseBatchRules(v.tfaotBatchRules).map(formatBatchRule) }),
};

/** What the tfaot engine's preparation records (local executor and cmsRun alike). */
export interface TfaotFacts {
  compiledBatchSizes?: number[];
  /** The batch rule in effect for the measured batch size, and where it came from (ResolvedBatchRule). */
  batchRule?: { target: number; chunks: number[]; padding: number; source: string };
  xlaFlags?: string[];
  tfXlaFlags?: string[];
}

/** The schema of the tfaot engine's preparation facts; a summary says whether the rule stitched sizes. */
export const tfaotFacts: PreparationFacts<TfaotFacts> = {
  schema: (z) =>
    z.looseObject({
      compiledBatchSizes: z.array(z.number().int().positive()).optional(),
      batchRule: z
        .looseObject({
          target: z.number().int().positive(),
          chunks: z.array(z.number().int().positive()),
          padding: z.number().int().nonnegative(),
          source: z.string(),
        })
        .optional(),
      xlaFlags: z.array(z.string()).optional(),
      tfXlaFlags: z.array(z.string()).optional(),
    }),
  summary: (facts) =>
    facts.batchRule ? { stitched: facts.batchRule.chunks.length > 1 || facts.batchRule.padding > 0 } : {},
};
