/** Reading a model file: the common fields here, the engine's own section by the engine's folder. */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import {
  failFor,
  isObj,
  sectionContext,
  validateInputs,
  validateOutputs,
  type Obj,
} from "../model/fields.js";
import type { ModelSpec } from "../model/spec.js";
import { MlprofError } from "../util/errors.js";
import { isName } from "../util/names.js";
import { readYamlFile } from "../util/yaml.js";
import { ENGINES } from "./registry.js";

/** Keys of the `model` mapping every engine shares. */
const COMMON_KEYS = ["name", "label", "version", "inference_engine", "inputs", "outputs"];

/** Reads and validates a model file; every problem is reported with the file and field it concerns. */
export function loadModelFile(path: string): ModelSpec {
  const yamlPath = resolve(path);
  if (!existsSync(yamlPath)) throw new MlprofError(`model file ${yamlPath} does not exist`);
  if (!statSync(yamlPath).isFile()) throw new MlprofError(`model file ${yamlPath} is not a file`);
  return validateModelData(readYamlFile(yamlPath, "model file"), yamlPath);
}

/** Validates parsed model-file data; `yamlPath` is used for messages and to resolve relative paths. */
export function validateModelData(data: unknown, yamlPath: string): ModelSpec {
  const fail = failFor(yamlPath);
  const topKeys = ["model", ...new Set(ENGINES.flatMap((e) => e.modelFile.topLevelKeys ?? []))];
  if (!isObj(data)) fail("(top level)", "a mapping with a 'model' key", data);
  const top = data as Obj;
  for (const key of Object.keys(top)) {
    if (!topKeys.includes(key)) fail(key, `only the keys ${topKeys.map((k) => `'${k}'`).join(" and ")}`, key);
  }
  const model = top.model;
  if (!isObj(model)) fail("model", "a mapping", model);
  const m = model as Obj;

  const optString = (key: string): string | undefined => {
    const v = m[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "number") return String(v);
    if (typeof v !== "string" || v.trim() === "") fail(`model.${key}`, "a non-empty string", v);
    return v as string;
  };
  const name = optString("name");
  if (name !== undefined && !isName(name)) {
    fail("model.name", "a name of letters, digits, '_', '.', '+' or '-' (it becomes part of paths)", name);
  }
  const label = optString("label");
  const version = optString("version");
  const engineName = m.inference_engine;
  const engine = ENGINES.find((e) => e.name === engineName);
  if (!engine)
    return fail("model.inference_engine", `one of ${ENGINES.map((e) => e.name).join(", ")}`, engineName);

  const ctx = sectionContext(yamlPath);
  const section = engine.modelFile.validate(m, top, ctx);
  for (const key of topKeys.slice(1)) {
    if (top[key] !== undefined && !(engine.modelFile.topLevelKeys ?? []).includes(key)) {
      const owners = ENGINES.filter((e) => (e.modelFile.topLevelKeys ?? []).includes(key)).map((e) => e.name);
      fail(key, `no '${key}' block (only ${owners.join(", ")} models have one)`, "a block");
    }
  }
  const known = [...COMMON_KEYS, ...engine.modelFile.keys];
  for (const key of Object.keys(m)) {
    if (!known.includes(key)) fail(`model.${key}`, `one of the known keys ${known.join(", ")}`, key);
  }
  // inputs and outputs: required, unless the engine reads them from the model (tfaot)
  const optional = engine.modelFile.inputsOptional === true;
  const inputs = m.inputs !== undefined || !optional ? validateInputs(m.inputs, fail) : [];
  const outputs = m.outputs !== undefined || !optional ? validateOutputs(m.outputs, fail) : [];
  return { yamlPath, name, label, version, engine: engine.name, inputs, outputs, section };
}
