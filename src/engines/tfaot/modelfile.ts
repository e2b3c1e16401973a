/** The tfaot part of a model file: `model.saved_model`, `model.serving_key` and the top-level `compilation`. */
import { existingPath, isObj, type Fail, type Obj } from "../../model/fields.js";
import type { ModelSpec } from "../../model/spec.js";
import { MlprofError } from "../../util/errors.js";
import type { ModelFileSection } from "../engine.js";

/** Compilation settings of a tfaot model (the yaml's top-level `compilation`). */
export interface Compilation {
  batchSizes: number[];
  tfXlaFlags: string[];
  xlaFlags: string[];
}

/** The tfaot section of a model file. */
export interface TfaotSection {
  /** The SavedModel folder, absolute. */
  savedModel: string;
  servingKey: string;
  compilation: Compilation;
}

/** Reads the tfaot section; inputs and outputs may be omitted (they come from the compiled model). */
export const tfaotModelFile: ModelFileSection<TfaotSection> = {
  keys: ["saved_model", "serving_key"],
  topLevelKeys: ["compilation"],
  inputsOptional: true,
  validate(m, top, ctx) {
    const savedModel = existingPath(
      m,
      "saved_model",
      "dir",
      { missing: "the path of a SavedModel directory", absent: "an existing SavedModel directory" },
      ctx,
    );
    const key = m.serving_key ?? "serving_default";
    if (typeof key !== "string" || key === "") ctx.fail("model.serving_key", "a non-empty string", key);
    return {
      savedModel,
      servingKey: key as string,
      compilation: validateCompilation(top.compilation, ctx.fail),
    };
  },
};

function validateCompilation(c: unknown, fail: Fail): Compilation {
  if (!isObj(c))
    return fail("compilation", "a mapping with batch_sizes, tf_xla_flags, xla_flags (tfaot models)", c);
  const o: Obj = c;
  for (const key of Object.keys(o)) {
    if (!["batch_sizes", "tf_xla_flags", "xla_flags"].includes(key)) {
      fail(`compilation.${key}`, "one of batch_sizes, tf_xla_flags, xla_flags", key);
    }
  }
  const bs = o.batch_sizes;
  if (!Array.isArray(bs) || bs.length === 0 || !bs.every((b) => Number.isInteger(b) && (b as number) > 0)) {
    fail("compilation.batch_sizes", "a non-empty list of positive integers", bs);
  }
  const flags = (key: string): string[] => {
    const v = o[key] ?? [];
    if (!Array.isArray(v) || !v.every((f) => typeof f === "string"))
      fail(`compilation.${key}`, "a list of flags", v);
    return v as string[];
  };
  const sizes = [...new Set(bs as number[])].sort((a, b) => a - b);
  return { batchSizes: sizes, tfXlaFlags: flags("tf_xla_flags"), xlaFlags: flags("xla_flags") };
}

/** A model file's spec as a tfaot spec, with a clear error for another engine's model. */
export function tfaotSpec(spec: ModelSpec): ModelSpec<TfaotSection> {
  if (spec.engine !== "tfaot") {
    throw new MlprofError(
      `model file ${spec.yamlPath}: expected a tfaot model, found inference_engine ${spec.engine}`,
    );
  }
  return spec as ModelSpec<TfaotSection>;
}
