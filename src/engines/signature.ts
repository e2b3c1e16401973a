import type { InputSpec } from "../model/spec.js";
import { MeasureError } from "../measure/harness.js";
import { fullShape } from "../measure/inputs.js";
import { shownValue as q } from "../util/names.js";

/** An input or output as the model itself declares it; `null` dims are dynamic, a `null` shape is unknown. */
export interface ModelTensor {
  name: string;
  dtype: string;
  shape: (number | null)[] | null;
}

function showTensor(t: ModelTensor): string {
  const shape =
    t.shape === null ? "unknown shape" : `[${t.shape.map((d) => (d === null ? "?" : d)).join(", ")}]`;
  // the name escaped (control characters shown as \n, \u0000), without quotes as before
  return `${q(t.name).slice(1, -1)} (${t.dtype}, ${shape})`;
}

/**
 * Checks the model file's declared inputs and outputs against those of the model itself, before any
 * timing: names, element types, ranks and fixed dimensions at this batch size. Throws a MeasureError
 * that lists the model's actual inputs (or outputs) on a mismatch.
 */
export function checkSignature(
  declaredInputs: InputSpec[],
  declaredOutputs: string[],
  actualInputs: ModelTensor[],
  actualOutputs: ModelTensor[],
  batchSize: number,
): void {
  const inputList = () => `the model's inputs are: ${actualInputs.map(showTensor).join("; ")}`;
  const problems: string[] = [];
  for (const inp of declaredInputs) {
    const actual = actualInputs.find((a) => a.name === inp.name);
    if (!actual) {
      problems.push(`declared input ${q(inp.name)} is not an input of the model`);
      continue;
    }
    if (actual.dtype !== "unknown" && actual.dtype !== inp.dtype) {
      problems.push(`input ${q(inp.name)} is declared as ${inp.dtype} but the model expects ${actual.dtype}`);
    }
    if (actual.shape === null) continue;
    const shape = fullShape(inp, batchSize);
    if (actual.shape.length !== shape.length) {
      const hint =
        inp.batched && actual.shape.length === inp.shape.length
          ? " (an input without batch dimension needs 'batched: false')"
          : "";
      problems.push(
        `input ${q(inp.name)} has rank ${shape.length} at batch size ${batchSize} ([${shape.join(", ")}]) ` +
          `but the model expects rank ${actual.shape.length}${hint}`,
      );
      continue;
    }
    actual.shape.forEach((dim, i) => {
      if (dim !== null && dim !== shape[i]) {
        const what = inp.batched && i === 0 ? "batch dimension" : `dimension ${i}`;
        problems.push(
          `input ${q(inp.name)}: ${what} is ${shape[i]} but the model fixes it to ${dim}` +
            (inp.batched && i === 0 ? ` (the model cannot run batch size ${batchSize})` : ""),
        );
      }
    });
  }
  for (const actual of actualInputs) {
    if (!declaredInputs.some((d) => d.name === actual.name)) {
      problems.push(`model input ${q(actual.name)} is not declared in the model file`);
    }
  }
  if (problems.length > 0) throw new MeasureError(`${problems.join("; ")}; ${inputList()}`);
  const missing = declaredOutputs.filter((o) => !actualOutputs.some((a) => a.name === o));
  if (missing.length > 0) {
    throw new MeasureError(
      `declared output${missing.length > 1 ? "s" : ""} ${missing.map((m) => q(m)).join(", ")} not found; ` +
        `the model's outputs are: ${actualOutputs.map(showTensor).join("; ")}`,
    );
  }
}
