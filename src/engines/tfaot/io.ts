import type { InputSpec, ModelSpec } from "../../model/spec.js";
import type { AotElementTensor, AotSignature } from "./header.js";
import { MlprofError } from "../../util/errors.js";

function show(t: AotElementTensor): string {
  return `${t.name} (${t.dtype}, [${t.shape.join(", ")}] per batch element)`;
}

/**
 * The inputs of a tfaot measurement, in the compiled model's argument order: taken from the compiled
 * signature when the model file declares none (as the spec says: inputs come from the SavedModel), else
 * the declared ones, each checked against an argument of the same name (dtype and element count).
 */
export function aotInputs(spec: ModelSpec, signature: AotSignature): InputSpec[] {
  const args = signature.args;
  if (spec.inputs.length === 0) {
    return args.map((a) => ({ name: a.name, shape: a.shape, dtype: a.dtype, batched: true }));
  }
  const list = () => `the compiled model's inputs are: ${args.map(show).join("; ")}`;
  const problems: string[] = [];
  for (const d of spec.inputs) {
    const a = args.find((x) => x.name === d.name);
    const count = d.shape.reduce((x, y) => x * y, 1);
    if (!a) problems.push(`declared input '${d.name}' is not an input of the compiled model`);
    else if (a.dtype !== d.dtype || a.count !== count || !d.batched) {
      problems.push(
        `declared input '${d.name}' (${d.dtype}, [${d.shape.join(", ")}]${d.batched ? "" : ", not batched"}) ` +
          `does not match ${show(a)}`,
      );
    }
  }
  for (const a of args) {
    if (!spec.inputs.some((d) => d.name === a.name)) problems.push(`model input '${a.name}' is not declared`);
  }
  if (problems.length > 0) {
    throw new MlprofError(`model file ${spec.yamlPath}: ${problems.join("; ")}; ${list()}`);
  }
  return args.map((a) => spec.inputs.find((d) => d.name === a.name)!);
}

/** The output names of a tfaot measurement in result order; declared outputs must be the compiled results. */
export function aotOutputs(spec: ModelSpec, signature: AotSignature): string[] {
  const names = signature.results.map((r) => r.name);
  const declared = spec.outputs.map((o) => o.name);
  if (declared.length > 0 && [...declared].sort().join("\0") !== [...names].sort().join("\0")) {
    throw new MlprofError(
      `model file ${spec.yamlPath}: the declared outputs ${declared.join(", ")} are not the compiled model's ` +
        `outputs: ${signature.results.map(show).join("; ")}`,
    );
  }
  return names;
}
