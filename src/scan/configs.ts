/**
 * The cmsRun configs of a scan with the cmssw payload, rendered at submission: one per measurement, into
 * the job folder (configs/<job id>/m<index>_cfg.py), shipped with the jobs; the worker's cmssw executor runs
 * exactly that file. Paths inside MLProf are written as $MLP_BASE/... (expanded by the config on the
 * worker); engines whose inputs come from the compiled model (tfaot) read them from the area the worker
 * compiles, since their order is known only then.
 */
import { dirname, isAbsolute, relative, sep } from "node:path";
import type { GeneratedFile } from "../batch/system.js";
import { getEngine } from "../engines/registry.js";
import { engineConfigFields } from "../engines/params.js";
import {
  renderCmsswConfig,
  type CmsswConfigParams,
  type ShippedConfigHeader,
  configLoop,
} from "../executors/cmssw-config.js";
import { MLP_BASE } from "../paths.js";
import { runSettings } from "../tasks/mixins/runtime.js";
import { Model } from "../engines/model.js";
import type { JobPlan } from "./jobfiles.js";
import type { Scan } from "./scan.js";

/** The path of a file as the workers see it: $MLP_BASE/... inside this MLProf, else unchanged. */
function workerPath(file: string): string {
  const rel = relative(MLP_BASE, file);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? `$MLP_BASE/${rel.split(sep).join("/")}` : file;
}

/** Where a measurement's config lies in the job folder. */
export function configPath(jobId: string, index: number): string {
  return `configs/${jobId}/m${index}_cfg.py`;
}

/**
 * The cmsRun config of every measurement of the jobs (`graphSha256` per model, as the manifest records it):
 * the engine's template of cmssw-templates/ (or `template`), with a header line the worker checks before it
 * runs the file (engine, batch size, graph hash, inputs).
 */
export function cmsswConfigFiles(
  scan: Scan,
  jobs: JobPlan[],
  graphSha256: string[],
  template: string | undefined,
): GeneratedFile[] {
  const run = runSettings(scan.values);
  const models = scan.models.map((m) => {
    const spec = new Model(m.file, m.name).spec;
    const engine = getEngine(spec.engine);
    const graphFile = engine.local.modelPath(spec);
    // inputs an engine may leave undeclared are the compiled model's (tfaot): their order is the compiled one
    const fromArea = engine.modelFile.inputsOptional === true;
    return { m, spec, graphFile, fromArea, graphPath: workerPath(fromArea ? dirname(graphFile) : graphFile) };
  });
  const files: GeneratedFile[] = [];
  for (const job of jobs) {
    for (const index of job.measurements) {
      const meas = scan.measurements[index]!;
      const { m, spec, fromArea, graphPath } = models[meas.model]!;
      const header: ShippedConfigHeader = {
        engine: spec.engine,
        model: m.name,
        batchSize: meas.batchSize,
        nEvents: run.nEvents,
        nCalls: run.nCalls,
        release: scan.releases[meas.release]!,
        scramArch: scan.archs[meas.arch]!,
        graphSha256: graphSha256[meas.model]!,
        inputs: fromArea ? "area" : spec.inputs.map((i) => i.name),
        outputs: fromArea ? "area" : spec.outputs.map((o) => o.name),
      };
      const params: CmsswConfigParams = {
        engine: spec.engine,
        modelName: m.name,
        modelFile: m.workerFile,
        graphPath,
        inputs: fromArea ? [] : spec.inputs,
        outputs: fromArea ? [] : spec.outputs.map((o) => o.name),
        batchSize: meas.batchSize,
        ...configLoop(run),
        csvFile: "runtime.csv",
        metaFile: "process.json",
        ...engineConfigFields(spec.engine, run),
        header,
        ioFromArea: fromArea,
      };
      files.push({ path: configPath(job.id, index), content: renderCmsswConfig(params, template) });
    }
  }
  return files;
}
