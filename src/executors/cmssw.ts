/** The cmssw executor: one measurement in cmsRun of the requested release, where CMSSW exists (lxplus). */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderRunScript, requireCvmfs, runBash } from "../cmssw/area.js";
import { CMSSW_TEMPLATE_DIR } from "../cmssw/templates.js";
import { getEngine } from "../engines/registry.js";
import { hostInfo } from "../measure/host.js";
import { INPUT_KINDS } from "../measure/job.js";
import { storeRoot } from "../paths.js";
import { readProcessMeta, writeMeasurement } from "../record/measurement.js";
import { requireRows } from "../record/rows.js";
import { MlprofError } from "../util/errors.js";
import { makeTempDir, removeEmptyDirs } from "../util/fs.js";
import { sha256File } from "../util/hash.js";
import { withMeasurementLock } from "../util/lock.js";
import { ProgressBar } from "../util/progress.js";
import { findExecutable } from "../util/which.js";
import {
  CMSSW_IO_FILE,
  SHIPPED_HEADER_PREFIX,
  ioContext,
  readShippedHeader,
  renderCmsswConfig,
  type CmsswConfigParams,
  configLoop,
} from "./cmssw-config.js";
import type { Executor, MeasurementRequest } from "./executor.js";
import { endingWithParent } from "./parent-death.js";

/**
 * Runs one measurement with the cmssw executor: prepares the area (cached), renders the engine's cmsRun
 * config and a run script into a temporary folder of the store, runs cmsRun there holding the host-wide
 * lock of timed work (waiting for another measurement, or refusing with --no-wait; the plugins write the
 * CSV rows and the process metadata), checks the rows and moves the results into place as the local
 * executor does. Where cvmfs or cmsRun does not exist: a clear error.
 */
export async function measureInCmssw(
  req: MeasurementRequest,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { model, batchSize, run } = req;
  const spec = model.spec;
  const isKind = (INPUT_KINDS as readonly string[]).includes(run.inputData);
  if (!isKind && !/\.root$/.test(run.inputData)) {
    throw new MlprofError(
      `--input-data: expected one of ${INPUT_KINDS.join(", ")} or the path of a ROOT file, found '${run.inputData}'`,
    );
  }
  if (run.engineVersions === "release") {
    throw new MlprofError(
      "--engine-versions release emulates a release's engines with the local executor; cmsRun measures the " +
        "release's own engines",
      "drop --engine-versions (or give --engine-versions installed) with --executor cmssw",
    );
  }
  const cvmfs = requireCvmfs(env);
  const engine = getEngine(spec.engine);
  const target = await engine.cmssw.target(
    {
      spec,
      batchSize,
      run,
      cmsswVersion: req.cmsswVersion,
      scramArch: req.scramArch,
      progress: req.progress,
    },
    env,
  );
  const area = target.area;
  const envTemplate = env.MLPROF_CMSSW_CONFIG;
  const template = envTemplate && existsSync(join(CMSSW_TEMPLATE_DIR, envTemplate)) ? envTemplate : undefined;

  const tmpParent = join(storeRoot(env), ".tmp");
  const tmp = makeTempDir("cmsrun", tmpParent);
  try {
    const csvFile = join(tmp, "runtime.csv");
    const metaFile = join(tmp, "process.json");
    const params: CmsswConfigParams = {
      engine: spec.engine,
      modelName: model.fullName,
      modelFile: spec.yamlPath,
      graphPath: target.graphPath,
      inputs: target.inputs,
      outputs: target.outputs,
      batchSize,
      ...configLoop(run),
      csvFile,
      metaFile,
      batchRules: target.batchRules,
    };
    // a config rendered at submission (mlprof submit --executor cmssw) is run as it is, once checked
    const shipped = env.MLPROF_CMSSW_CONFIG_FILE;
    const graphSha256 = await sha256File(target.graphFile);
    let config = join(tmp, "measure_cfg.py");
    if (shipped) {
      checkShippedConfig(shipped, { req, engine: spec.engine, graphSha256, target, params });
      config = shipped;
    } else {
      writeFileSync(config, renderCmsswConfig(params, template));
    }
    const script = join(tmp, "run.sh");
    writeFileSync(
      script,
      renderRunScript({
        cmsswBase: area,
        scramArch: req.scramArch,
        cvmfs,
        workDir: tmp,
        config,
        batchSize,
        csvFile,
        metaFile,
      }),
    );
    const where = `${spec.yamlPath} at batch size ${batchSize}`;
    // the timed work of this host, one measurement at a time, as the local executor (--no-wait refuses)
    const what = `measuring ${spec.yamlPath} at batch size ${batchSize} in cmsRun of ${req.cmsswVersion} into ${storeRoot(env)}`;
    const { startedAt, host, result } = await withMeasurementLock(
      { what, progress: req.progress, signal: req.signal, wait: req.wait },
      async (lock) => {
        const startedAt = new Date().toISOString();
        const host = hostInfo();
        // cmsRun says when an event begins: the events before it are done
        const bar = new ProgressBar(req.progress, {
          label: `cmsRun, batch size ${batchSize}`,
          unit: "events",
          total: run.nEvents,
        });
        const result = await runBash(
          script,
          env,
          (line) => {
            const m = /Begin processing the (\d+)\S* record/.exec(line);
            if (m) bar.update(Number(m[1]) - 1);
          },
          req.signal,
          {
            // the script execs cmsRun: it keeps the parent-death signal and is the timing process the lock names
            wrap: (cmd) => endingWithParent(cmd).command,
            onSpawn: (pid) => lock.nameTimingProcess(pid),
          },
        ).finally(() => bar.stop());
        if (result.exitCode === 0 && !result.canceled) bar.finish(`${run.nEvents} events`);
        return { startedAt, host, result };
      },
    );
    if (result.canceled || req.signal.aborted)
      throw new MlprofError(`measurement of ${where} was interrupted`);
    if (result.exitCode !== 0) {
      throw new MlprofError(
        `cmsRun failed for ${where} (exit code ${result.exitCode}, config ${config}):\n${result.tail}`,
      );
    }
    if (!existsSync(csvFile) || !existsSync(metaFile)) {
      throw new MlprofError(
        `cmsRun for ${where} ended without writing ${existsSync(csvFile) ? metaFile : csvFile}:\n${result.tail}`,
      );
    }
    requireRows(csvFile, batchSize, run, `cmsRun for ${where}`);
    writeMeasurement(req, {
      rowsCsv: readFileSync(csvFile, "utf8"),
      processMeta: readProcessMeta(metaFile),
      preparation: target.preparation,
      host,
      startedAt,
      graph: target.graphPath,
      graphSha256,
      cmssw: {
        area,
        config: readFileSync(config, "utf8"),
        ...(shipped ? { configFile: shipped, configRenderedAt: "submission" } : {}),
        engines: `CMSSW ${req.cmsswVersion}'s own`,
        parentDeath: findExecutable("setpriv")
          ? "setpriv --pdeathsig KILL, then exec: cmsRun ends with the run that started it"
          : "setpriv (util-linux) not found: cmsRun may outlive a killed run",
        note: `measured by cmsRun of ${req.cmsswVersion} (${req.scramArch}) with the MLProf ${engine.cmssw.plugin} plugin`,
      },
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    removeEmptyDirs(tmpParent, storeRoot(env));
  }
}

/**
 * Checks a cmsRun config rendered at submission against the measurement the worker is asked for (engine,
 * release, batch size, counts, the graph's hash, the inputs and outputs) and, for a config that reads the
 * inputs of the compiled model from the area, writes them there. Any difference is an error naming the file.
 */
function checkShippedConfig(
  file: string,
  o: {
    req: MeasurementRequest;
    engine: string;
    graphSha256: string;
    target: { area: string; inputs: CmsswConfigParams["inputs"]; outputs: string[] };
    params: CmsswConfigParams;
  },
): void {
  if (!existsSync(file))
    throw new MlprofError(`the cmsRun config ${file} rendered at submission does not exist`);
  const header = readShippedHeader(readFileSync(file, "utf8"));
  if (!header) {
    throw new MlprofError(
      `the cmsRun config ${file} has no '${SHIPPED_HEADER_PREFIX.trim()}' line: it was not rendered by mlprof submit`,
    );
  }
  const names = (xs: { name: string }[]) => xs.map((x) => x.name);
  const expected: [string, unknown, unknown][] = [
    ["engine", o.engine, header.engine],
    ["release", o.req.cmsswVersion, header.release],
    ["SCRAM architecture", o.req.scramArch, header.scramArch],
    ["batch size", o.req.batchSize, header.batchSize],
    ["n-events", o.req.run.nEvents, header.nEvents],
    ["n-calls", o.req.run.nCalls, header.nCalls],
    ["graph file SHA-256", o.graphSha256, header.graphSha256],
  ];
  if (header.inputs !== "area") expected.push(["inputs", names(o.target.inputs), header.inputs]);
  if (header.outputs !== "area") expected.push(["outputs", o.target.outputs, header.outputs]);
  for (const [what, want, found] of expected) {
    if (JSON.stringify(want) !== JSON.stringify(found)) {
      throw new MlprofError(
        `the cmsRun config ${file} rendered at submission is for ${what} ${JSON.stringify(found)}, but this measurement has ${JSON.stringify(want)}`,
        "the model or the scan changed after submission: submit the scan again",
      );
    }
  }
  if (header.inputs === "area" || header.outputs === "area") {
    writeFileSync(
      join(o.target.area, CMSSW_IO_FILE),
      JSON.stringify(ioContext({ inputs: o.target.inputs, outputs: o.target.outputs }), null, 2) + "\n",
    );
  }
}

/** The cmssw executor: measurements in cmsRun of the requested release, where CMSSW exists (lxplus). */
export const cmsswExecutor: Executor = {
  name: "cmssw",
  summary: "cmsRun of the release with the MLProf plugins (needs CMSSW on cvmfs, e.g. lxplus)",
  measure: (req) => measureInCmssw(req),
};
