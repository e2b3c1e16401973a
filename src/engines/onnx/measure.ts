/**
 * Measurement process of the ONNX Runtime engine (the local analogue of cmsRun with the ONNXInference plugin):
 * `node dist/engines/onnx/measure.js <job.json>`.
 */
import { createRequire } from "node:module";
import * as ort from "onnxruntime-node";
import type { DumpedTensor, MeasureJob } from "../../measure/job.js";
import { MeasureError, measureMain, type LoadedModel } from "../../measure/harness.js";
import { fullShape, makeInputData } from "../../measure/inputs.js";
import { checkSignature, type ModelTensor } from "../signature.js";
import { createNativeSession, elementType } from "./native.js";

function toModelTensor(meta: {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
}): ModelTensor {
  if (!meta.isTensor) return { name: meta.name, dtype: "non-tensor", shape: null };
  // the binding reports dynamic dimensions as -1
  return { name: meta.name, dtype: elementType(meta.type), shape: meta.shape.map((d) => (d > 0 ? d : null)) };
}

/** Version of the onnxruntime-node package in use. */
export function onnxRuntimeVersion(): string {
  const require = createRequire(import.meta.url);
  return (require("onnxruntime-node/package.json") as { version: string }).version;
}

async function load(job: MeasureJob): Promise<LoadedModel> {
  const session = createNativeSession();
  try {
    session.loadModel(job.modelPath, {
      intraOpNumThreads: job.threads,
      interOpNumThreads: job.interOpThreads,
      // inter-op threads only act in parallel execution mode
      executionMode: job.interOpThreads > 1 ? "parallel" : "sequential",
      graphOptimizationLevel: "all",
      logSeverityLevel: 3,
    });
  } catch (err) {
    throw new MeasureError(`ONNX Runtime cannot load ${job.modelPath}: ${(err as Error).message}`);
  }
  checkSignature(
    job.inputs,
    job.outputs,
    session.inputMetadata.map(toModelTensor),
    session.outputMetadata.map(toModelTensor),
    job.batchSize,
  );
  const fetches: Record<string, null> = Object.fromEntries(job.outputs.map((name) => [name, null]));
  const runOptions = {};
  let feeds: Record<string, ort.Tensor> = {};
  return {
    engine: {
      name: "onnxruntime",
      version: onnxRuntimeVersion(),
      binding: "onnxruntime-node (native session, synchronous run)",
      graphOptimization: "all",
    },
    threads: { intraOp: job.threads, interOp: job.interOpThreads },
    prepareEvent(event: number) {
      feeds = {};
      job.inputs.forEach((inp, i) => {
        const data = makeInputData(inp, job.batchSize, job.inputData, job.seed + 1000 * event + i);
        feeds[inp.name] = new ort.Tensor(inp.dtype, data, fullShape(inp, job.batchSize));
      });
    },
    call: () => void session.run(feeds, fetches, runOptions),
    dump() {
      const toDump = (t: ort.Tensor): DumpedTensor => ({
        shape: [...t.dims],
        data: Array.from(t.data as ArrayLike<number | bigint>, (v) =>
          typeof v === "bigint" ? Number(v) : v,
        ),
      });
      const results = session.run(feeds, fetches, runOptions);
      return Promise.resolve({
        inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toDump(t)])),
        outputs: Object.fromEntries(Object.entries(results).map(([k, t]) => [k, toDump(t)])),
      });
    },
  };
}

await measureMain(load);
