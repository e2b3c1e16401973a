/**
 * Measurement process of the ONNX Runtime engine (the local analogue of cmsRun with the ONNXInference plugin):
 * `node dist/engines/onnx/measure.js <job.json>`.
 */
import type * as ort from "onnxruntime-node";
import type { DumpedTensor, MeasureJob } from "../../measure/job.js";
import { MeasureError, measureMain, type LoadedModel } from "../../measure/harness.js";
import { fullShape, makeInputData } from "../../measure/inputs.js";
import { MLP_BASE } from "../../paths.js";
import { checkSignature, type ModelTensor } from "../signature.js";
import { elementType, loadOnnxRuntime, type NativeSession, type RawMetadata } from "./native.js";

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

/** The model's inputs or outputs as the binding exposes them: with types and shapes (1.23+) or names only. */
function tensorsOf(metadata: RawMetadata[] | undefined, names: string[] | undefined): ModelTensor[] {
  if (metadata) return metadata.map(toModelTensor);
  return (names ?? []).map((name) => ({ name, dtype: "unknown", shape: null }));
}

async function load(job: MeasureJob): Promise<LoadedModel> {
  const runtime = loadOnnxRuntime(job.onnxruntimeDir ?? MLP_BASE);
  const ort = runtime.ort;
  const session: NativeSession = runtime.createSession();
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
    tensorsOf(session.inputMetadata, session.inputNames),
    tensorsOf(session.outputMetadata, session.outputNames),
    job.batchSize,
  );
  const fetches: Record<string, null> = Object.fromEntries(job.outputs.map((name) => [name, null]));
  const runOptions = {};
  let feeds: Record<string, ort.Tensor> = {};
  return {
    engine: {
      name: "onnxruntime",
      version: runtime.version,
      binding: runtime.binding,
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
      const toDump = (t: { dims: readonly number[]; data: unknown }): DumpedTensor => ({
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
