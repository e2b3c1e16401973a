/** The model-file section and CMSSW target of engines that load one graph file (onnx, tf). */
import { ensureCmsswArea } from "../cmssw/area.js";
import type { CmsswTarget, CmsswTargetRequest } from "../cmssw/target.js";
import { existingPath } from "../model/fields.js";
import { KIND_TEXT, graphFileKind, type GraphFileKind } from "../model/file-kind.js";
import type { ModelSpec } from "../model/spec.js";
import { MlprofError } from "../util/errors.js";
import { shownValue } from "../util/names.js";
import type { ModelFileSection } from "./engine.js";

/** The section of an engine that loads one file: `model.file`, absolute. */
export interface GraphFile {
  file: string;
}

/**
 * The `model.file` section of an engine; `what` names the file in messages (e.g. "onnx model file") and
 * `kind` is what its content must be (graphFileKind): an empty file, a Git LFS pointer or a graph of
 * another engine is refused here, naming the engine and what the file looks like, before the engine
 * sees it.
 */
export function graphFileSection(what: string, kind: GraphFileKind): ModelFileSection<GraphFile> {
  return {
    keys: ["file"],
    validate: (m, _top, ctx) => {
      const file = existingPath(
        m,
        "file",
        "file",
        { missing: `the path of the ${what}`, absent: "an existing file" },
        ctx,
      );
      const found = graphFileKind(file);
      if (found === "lfs-pointer") {
        throw new MlprofError(
          `model file ${ctx.yamlPath}: field 'model.file': ${shownValue(file)} is a Git LFS pointer, not the ` +
            "model: run git lfs pull",
          "run git lfs pull in the repository that holds it (or git lfs install first, then check it out again)",
        );
      }
      if (found !== kind) {
        throw new MlprofError(
          `model file ${ctx.yamlPath}: field 'model.file': expected ${KIND_TEXT[kind]} for the ` +
            `${m.inference_engine as string} engine, found ${KIND_TEXT[found]}: ${shownValue(file)}`,
        );
      }
      return { file };
    },
  };
}

/** The graph file of a model that has one (onnx, tf), with a clear error for other engines. */
export function graphFileOf(spec: ModelSpec): string {
  const file = (spec.section as Partial<GraphFile> | undefined)?.file;
  if (typeof file !== "string") {
    throw new MlprofError(`model file ${spec.yamlPath}: a ${spec.engine} model has no 'model.file'`);
  }
  return file;
}

/** The shared area of the release for a model of one graph file. */
export async function graphFileTarget(
  req: CmsswTargetRequest<GraphFile>,
  env: NodeJS.ProcessEnv,
): Promise<CmsswTarget> {
  const { spec } = req;
  const area = await ensureCmsswArea(req.cmsswVersion, req.scramArch, req.progress, env);
  return {
    area,
    graphPath: spec.section.file,
    graphFile: spec.section.file,
    inputs: spec.inputs,
    outputs: spec.outputs.map((o) => o.name),
  };
}
