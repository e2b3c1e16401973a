/**
 * The measurement option the ONNX Runtime engine owns (--onnx-library), its part of the job file, and the
 * facts its preparation records (the library loaded).
 */
import { param } from "../../framework/parameters.js";
import { MlprofError } from "../../util/errors.js";
import type { EngineParams, PreparationFacts } from "../engine.js";
import { ONNX_LIBRARIES, type OnnxJobFields, type OnnxLibrary } from "./library-kinds.js";

/** The onnx engine's options of the measurement tasks. */
export const ONNX_PARAMS = {
  onnxLibrary: param.string({
    flag: "onnx-library",
    default: "pypi",
    choices: [...ONNX_LIBRARIES],
    significant: true,
    description:
      "onnx: the ONNX Runtime build measured — pypi: the onnxruntime wheel's (the standard CPU build; a venv " +
      "installed on first use), through the native ONNX runner; npm: the library the onnxruntime-node package " +
      "ships (a GPU-capable build, slower per kernel), through its Node.js binding",
    path: { order: 16, part: (v) => (v === "pypi" ? undefined : `ortlib_${v}`) },
  }),
};

/**
 * --onnx-library, after --engine-versions: only the local executor chooses the library (cmsRun measures
 * CMSSW's builds); every onnx job names the library to load.
 */
export const onnxParams: EngineParams<typeof ONNX_PARAMS> = {
  params: ONNX_PARAMS,
  after: "engineVersions",
  check(v, run) {
    if (v.onnxLibrary !== "pypi" && run.executor !== "local") {
      throw new MlprofError(
        `--onnx-library ${v.onnxLibrary} chooses the ONNX Runtime build the local executor measures; ` +
          `--executor ${run.executor} measures the ONNX Runtime CMSSW builds`,
        "drop --onnx-library, or measure with --executor local",
      );
    }
  },
  job: (v): OnnxJobFields => ({ onnxLibrary: v.onnxLibrary as OnnxJobFields["onnxLibrary"] }),
};

/** What the onnx engine's preparation records. */
export interface OnnxFacts {
  /** The ONNX Runtime library the measurement process was given (absent in records older than it). */
  onnxLibrary?: OnnxLibrary;
}

/** The schema of the onnx engine's preparation facts. */
export const onnxFacts: PreparationFacts<OnnxFacts> = {
  schema: (z) =>
    z.looseObject({
      onnxLibrary: z
        .looseObject({
          kind: z.enum(ONNX_LIBRARIES),
          path: z.string(),
          sha256: z.string(),
          bytes: z.number().int().nonnegative(),
          build: z.string().nullable(),
        })
        .optional(),
    }),
};
