/**
 * Measurement process of the ONNX Runtime engine (the local analogue of cmsRun with the ONNXInference plugin):
 * `node dist/engines/onnx/measure.js <job.json>`.
 */
import type { DumpedTensor, MeasureJob } from "../../measure/job.js";
import { MeasureError, measureMain, type LoadedModel } from "../../measure/harness.js";
import { fullShape, makeInputData } from "../../measure/inputs.js";
import { MLP_BASE } from "../../base.js";
import { trace } from "../../util/trace.js";
import { checkSignature, type ModelTensor } from "../signature.js";
import type { OnnxJobFields } from "./library-kinds.js";
import {
  elementType,
  loadOnnxRuntime,
  mappedLibrary,
  type NativeSession,
  type PlainTensor,
  type RawMetadata,
} from "./native.js";

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

async function load(job: MeasureJob & OnnxJobFields): Promise<LoadedModel> {
  const runtime = loadOnnxRuntime(job.onnxruntimeDir ?? MLP_BASE);
  trace("measure: onnxruntime-node loaded");
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
  trace("measure: session created, model loaded");
  checkSignature(
    job.inputs,
    job.outputs,
    tensorsOf(session.inputMetadata, session.inputNames),
    tensorsOf(session.outputMetadata, session.outputNames),
    job.batchSize,
  );
  const fetches: Record<string, null> = Object.fromEntries(job.outputs.map((name) => [name, null]));
  let feeds: Record<string, PlainTensor> = {};
  let result: unknown;
  const library = mappedLibrary();
  if (job.onnxLibraryPath && library !== job.onnxLibraryPath) {
    throw new MeasureError(
      `onnxruntime-node ${runtime.version} loaded the ONNX Runtime library ${library ?? "(none found in /proc/self/maps)"}, ` +
        `not ${job.onnxLibraryPath} (--onnx-library ${job.onnxLibrary ?? "pypi"})`,
    );
  }
  return {
    engine: {
      name: "onnxruntime",
      version: runtime.version,
      binding: runtime.binding,
      library,
      libraryKind: job.onnxLibrary ?? "npm",
      graphOptimization: "all",
    },
    threads: { intraOp: job.threads, interOp: job.interOpThreads },
    prepareEvent(event: number) {
      feeds = {};
      job.inputs.forEach((inp, i) => {
        const data = makeInputData(inp, job.batchSize, job.inputData, job.seed + 1000 * event + i);
        feeds[inp.name] = runtime.feed(inp.dtype, data, fullShape(inp, job.batchSize));
      });
    },
    call: () => {
      result = session.run(feeds, fetches);
    },
    afterFirstCall() {
      if (typeof (result as { then?: unknown } | undefined)?.then === "function") {
        throw new MeasureError(
          `onnxruntime-node ${runtime.version}'s native run returned a promise: its binding is asynchronous, so the ` +
            "clock would time the dispatch only; MLProf measures the synchronous bindings of 1.14 to 1.30",
        );
      }
    },
    dump() {
      const toDump = (t: { dims: readonly number[]; data: unknown }): DumpedTensor => ({
        shape: [...t.dims],
        data: Array.from(t.data as ArrayLike<number | bigint>, (v) =>
          typeof v === "bigint" ? Number(v) : v,
        ),
      });
      const results = session.run(feeds, fetches);
      return Promise.resolve({
        inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toDump(t)])),
        outputs: Object.fromEntries(Object.entries(results).map(([k, t]) => [k, toDump(t)])),
      });
    },
  };
}

await measureMain(load);
