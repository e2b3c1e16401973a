/**
 * The cmsRun configs and CMSSW scripts of cmssw-templates/, and the cmssw executor: configs are valid
 * Python carrying every parameter with its value (checked with python3's ast, and by running them against
 * a stub of FWCore's Config and VarParsing), the scripts pass `bash -n`, the executor refuses machines
 * without cvmfs clearly, and runs end to end against a fake cvmfs (scram and cmsRun as shell functions).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { execa } from "execa";
import { renderRunScript, renderSetupScript } from "../../src/cmssw/area.js";
import { graphFileOf } from "../../src/engines/graph-file.js";
import { loadModelFile } from "../../src/engines/modelfile.js";
import { measureInCmssw } from "../../src/executors/cmssw.js";
import {
  CMSSW_PLUGINS,
  renderCmsswConfig,
  type CmsswConfigParams,
} from "../../src/executors/cmssw-config.js";
import type { MeasurementRequest } from "../../src/executors/executor.js";
import type { InputSpec } from "../../src/model/spec.js";
import { testRequest } from "../helpers/job.js";
import { readRuntimeCsv } from "../../src/measure/csv.js";
import { MlprofError } from "../../src/util/errors.js";
import { sha256File } from "../../src/util/hash.js";
import { LockBusyError, acquireLock, measurementLockDir } from "../../src/util/lock.js";
import { STUB_CONFIG } from "../helpers/tfaot-fakes.js";

const REPO = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mlprof-cmssw-"));
after(() => rmSync(work, { recursive: true, force: true }));

// extracts what a config sets: the VarParsing defaults, the analyzer's parameters (type and literal
// arguments; non-literals such as options.csvFile as source text), maxEvents and the source
const EXTRACT = `
import ast, json, sys
tree = ast.parse(open(sys.argv[1]).read())
def lit(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return ast.unparse(node)
out = {"register": {}, "module": None, "plugin": None, "params": {}, "assigned": {}}
for node in ast.walk(tree):
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "options.register":
        out["register"][lit(node.args[0])] = lit(node.args[1])
    if isinstance(node, ast.Assign):
        target = ast.unparse(node.targets[0])
        out["assigned"][target] = ast.unparse(node.value)
        if isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "cms.EDAnalyzer":
            out["module"] = target
            out["plugin"] = lit(node.value.args[0])
            for kw in node.value.keywords:
                out["params"][kw.arg] = [ast.unparse(kw.value.func), [lit(a) for a in kw.value.args]]
print(json.dumps(out))
`;

interface Extracted {
  register: Record<string, unknown>;
  module: string;
  plugin: string;
  params: Record<string, [string, unknown[]]>;
  assigned: Record<string, string>;
}

// a stub of FWCore's Config and VarParsing, enough to run a config and read back the analyzer
const STUB_VARPARSING = `
import sys
class VarParsing:
    class multiplicity:
        singleton = "singleton"
        list = "list"
    class varType:
        int = "int"
        string = "string"
        float = "float"
        bool = "bool"
    _conv = {"int": int, "string": str, "float": float, "bool": lambda s: s in ("True", "true", "1")}
    def __init__(self, mode):
        assert mode in ("python", "analysis")
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_types", {})
    def register(self, name, default, mult, vtype, doc):
        assert mult == "singleton" and isinstance(doc, str)
        self._values[name] = default
        self._types[name] = vtype
    def parseArguments(self):
        for a in sys.argv[1:]:
            if a.endswith(".py"):
                continue
            k, _, v = a.partition("=")
            if k not in self._values:
                raise SystemExit("unknown option " + k)
            self._values[k] = self._conv[self._types[k]](v)
    def __getattr__(self, name):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(name)
`;
// the fake cmsRun: runs the config against the stub, reports events, writes rows and metadata as the plugins do
const FAKE_CMSRUN = `
import json, os, runpy, sys
cfg = sys.argv[1]
sys.argv = ["cmsRun"] + sys.argv[1:]
ns = runpy.run_path(cfg, run_name="__main__")
process = ns["process"]
[module] = [v for v in vars(process).values() if type(v).__name__ == "EDAnalyzer"]
p = {k: v.value() for k, v in module.kwargs.items()}
p["plugin"] = module.args[0]
p["nEvents"] = process.maxEvents.kwargs["input"].value()
p["source"] = process.source.args[0]
json.dump(p, open(os.path.join(os.environ["FAKE_CMSSW"], "last_params.json"), "w"))
with open(p["outputFile"], "a") as f:
    for e in range(p["nEvents"]):
        print(f"Begin processing the {e + 1}th record. Run 1, Event {e + 1}", flush=True)
        for _ in range(p["nCalls"]):
            f.write(f"{p['batchSize']},0.012345\\n")
meta = {"engine": {"name": "fake", "version": "0", "binding": p["plugin"]}, "threads": {"intraOp": p["nThreads"], "interOp": p["nInterOpThreads"]},
        "clock": "fake", "timings": {"loadMs": 1, "warmupMs": 1, "measureMs": 1},
        "memory": {"rssBeforeLoadKb": 1, "rssAfterLoadKb": 1, "rssAfterWarmupKb": 1, "rssAfterTimingKb": 1, "peakRssKb": 1},
        "rows": p["nEvents"] * p["nCalls"], "pid": os.getpid()}
json.dump(meta, open(p["metaFile"], "w"))
`;

function writeStubs(dir: string): string {
  const py = join(dir, "python");
  mkdirSync(join(py, "FWCore", "ParameterSet"), { recursive: true });
  writeFileSync(join(py, "FWCore", "__init__.py"), "");
  writeFileSync(join(py, "FWCore", "ParameterSet", "__init__.py"), "");
  writeFileSync(join(py, "FWCore", "ParameterSet", "Config.py"), STUB_CONFIG);
  writeFileSync(join(py, "FWCore", "ParameterSet", "VarParsing.py"), STUB_VARPARSING);
  return py;
}
const stubs = writeStubs(join(work, "stubs"));

type CmsswEngine = "tf" | "onnx" | "tfaot";

function params(engine: CmsswEngine, yaml: string, over: Partial<CmsswConfigParams> = {}): CmsswConfigParams {
  const spec = loadModelFile(yaml);
  return {
    engine,
    modelName: "model_x",
    modelFile: spec.yamlPath,
    graphPath: graphFileOf(spec),
    inputs: spec.inputs,
    outputs: spec.outputs.map((o) => o.name),
    batchSize: 7,
    nEvents: 3,
    nCalls: 123,
    nWarmup: 11,
    warmupMs: 250,
    minDurationMs: 0,
    inputData: "ones",
    seed: 12345,
    threads: 2,
    interOpThreads: 1,
    csvFile: "/some where/runtime.csv",
    metaFile: "/some where/process.json",
    ...over,
  };
}

/** What the analyzer must receive, computed from the inputs independently of the renderer. */
function expected(p: CmsswConfigParams): Record<string, [string, unknown[]]> {
  const col = <T>(f: (i: InputSpec) => T) => p.inputs.map(f);
  const kind = ["random", "incremental", "zeros", "ones"].includes(p.inputData) ? p.inputData : "random";
  return {
    graphPath: ["cms.string", [p.graphPath]],
    inputTensorNames: ["cms.vstring", col((i) => i.name)],
    inputDTypes: ["cms.vstring", col((i) => i.dtype)],
    inputRanks: ["cms.vint32", col((i) => i.shape.length)],
    flatInputSizes: ["cms.vint32", p.inputs.flatMap((i) => i.shape)],
    inputBatched: ["cms.vint32", col((i) => (i.batched ? 1 : 0))],
    inputHasValue: ["cms.vint32", col((i) => (i.value === undefined ? 0 : 1))],
    inputValues: ["cms.vdouble", col((i) => Number(i.value ?? 0))],
    inputRangeLows: ["cms.vint32", col((i) => i.range?.[0] ?? 0)],
    inputRangeHighs: ["cms.vint32", col((i) => i.range?.[1] ?? 10)],
    outputTensorNames: ["cms.vstring", p.outputs],
    outputFile: ["cms.string", ["options.csvFile"]],
    metaFile: ["cms.string", ["options.metaFile"]],
    inputType: ["cms.string", [kind]],
    batchSize: ["cms.int32", ["options.batchSize"]],
    nCalls: ["cms.int32", [p.nCalls]],
    nWarmup: ["cms.int32", [p.nWarmup]],
    warmupMs: ["cms.double", [p.warmupMs]],
    minDurationMs: ["cms.double", [p.minDurationMs]],
    untilStable: ["cms.bool", [p.untilStable ?? false]],
    stability: ["cms.double", [p.stability ?? 0.02]],
    maxDurationMs: ["cms.double", [p.maxDurationMs ?? 60000]],
    seed: ["cms.int32", [p.seed]],
    nThreads: ["cms.int32", [p.threads]],
    nInterOpThreads: ["cms.int32", [p.interOpThreads]],
  };
}

let n = 0;
function writeConfig(text: string): string {
  const file = join(work, `cfg${n++}_cfg.py`);
  writeFileSync(file, text);
  return file;
}

const CASES: [CmsswEngine, string][] = [
  ["tf", "examples/dnn/model_tf_l10u128.yaml"],
  ["tf", "examples/cnn/model_tf_i64c3v4l20u128.yaml"],
  ["tf", "test/fixtures/tf/model_tf1_keras.yaml"],
  ["onnx", "examples/dnn/model_onnx_l10u128.yaml"],
  ["onnx", "test/fixtures/multi_input.yaml"],
];

describe("cmsRun configs", () => {
  test("every engine has a template", () => {
    assert.deepEqual(Object.keys(CMSSW_PLUGINS).sort(), ["onnx", "tf", "tfaot"]);
    for (const { template } of Object.values(CMSSW_PLUGINS))
      assert.ok(existsSync(join(REPO, "cmssw-templates", template)));
  });

  for (const [engine, yaml] of CASES) {
    test(`${engine}: ${yaml} renders a valid config carrying every parameter`, () => {
      const p = params(engine, join(REPO, yaml));
      const file = writeConfig(renderCmsswConfig(p));
      execFileSync("python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", file]);
      const got = JSON.parse(
        execFileSync("python3", ["-c", EXTRACT, file], { encoding: "utf8" }),
      ) as Extracted;
      assert.equal(got.plugin, CMSSW_PLUGINS[engine]!.plugin);
      assert.equal(got.module, `process.${CMSSW_PLUGINS[engine]!.module}`);
      assert.deepEqual(got.params, expected(p));
      assert.deepEqual(got.register, { batchSize: 7, csvFile: p.csvFile, metaFile: p.metaFile });
      assert.equal(got.assigned["process.maxEvents"], "cms.untracked.PSet(input=cms.untracked.int32(3))");
      assert.equal(got.assigned["process.source"], "cms.Source('EmptySource')");
      assert.equal(got.assigned["process.p"], `cms.Path(process.${CMSSW_PLUGINS[engine]!.module})`);
    });
  }

  test("a ROOT file as input data becomes a PoolSource with random inputs", () => {
    const p = params("tf", join(REPO, CASES[0]![1]), { inputData: "/eos/user/x/events.root" });
    const got = JSON.parse(
      execFileSync("python3", ["-c", EXTRACT, writeConfig(renderCmsswConfig(p))], { encoding: "utf8" }),
    ) as Extracted;
    assert.equal(
      got.assigned["process.source"],
      "cms.Source('PoolSource', fileNames=cms.untracked.vstring('file:/eos/user/x/events.root'))",
    );
    assert.deepEqual(got.params.inputType, ["cms.string", ["random"]]);
  });

  test("configs run (against a stub of FWCore) and take batchSize, csvFile and metaFile from the command line", () => {
    for (const [engine, yaml] of CASES) {
      const p = params(engine, join(REPO, yaml), { modelName: "quote\"d 'name'\nwith a line break" });
      const file = writeConfig(renderCmsswConfig(p));
      const script = `
import json, runpy, sys
sys.argv = ["cmsRun", sys.argv[1], "batchSize=64", "csvFile=/x/y.csv"]
process = runpy.run_path(sys.argv[1])["process"]
m = getattr(process, "${CMSSW_PLUGINS[engine]!.module}")
print(json.dumps({k: v.value() for k, v in m.kwargs.items()}))
`;
      const out = execFileSync("python3", ["-c", script, file], {
        encoding: "utf8",
        env: { ...process.env, PYTHONPATH: stubs },
      });
      const values = JSON.parse(out) as Record<string, unknown>;
      assert.equal(values.batchSize, 64);
      assert.equal(values.outputFile, "/x/y.csv");
      assert.equal(values.metaFile, p.metaFile);
      assert.deepEqual(
        values.inputTensorNames,
        p.inputs.map((i) => i.name),
      );
    }
  });

  test("threads and streams: process.options runs one framework thread per stream, 1 and 1 unless set", () => {
    const options = (p: CmsswConfigParams) => {
      const script = `
import json, runpy, sys
sys.argv = ["cmsRun", sys.argv[1]]
process = runpy.run_path(sys.argv[1])["process"]
m = getattr(process, "${CMSSW_PLUGINS[p.engine]!.module}")
print(json.dumps({"options": {k: v.value() for k, v in process.options.kwargs.items()},
                  "nThreads": m.kwargs["nThreads"].value()}))
`;
      const out = execFileSync("python3", ["-c", script, writeConfig(renderCmsswConfig(p))], {
        encoding: "utf8",
        env: { ...process.env, PYTHONPATH: stubs },
      });
      return JSON.parse(out) as { options: Record<string, unknown>; nThreads: number };
    };
    const [engine, yaml] = CASES[3]!;
    const latency = options(params(engine, join(REPO, yaml), { threads: 2 }));
    assert.deepEqual(latency, {
      options: {
        wantSummary: false,
        numberOfThreads: 1,
        numberOfStreams: 1,
        numberOfConcurrentLuminosityBlocks: 1,
      },
      nThreads: 2,
    });
    for (const [streams, threads] of [
      [4, 1],
      [8, 2],
    ] as const) {
      const text = renderCmsswConfig(params(engine, join(REPO, yaml), { streams, threads }));
      assert.match(text, new RegExp(`# ${streams} streams, one framework thread each`));
      assert.match(text, new RegExp(`\\(${streams * threads} CPUs in all\\)`));
      const got = options(params(engine, join(REPO, yaml), { streams, threads }));
      assert.equal(got.options.numberOfStreams, streams);
      assert.equal(got.options.numberOfThreads, streams, "one framework thread per stream");
      assert.equal(got.nThreads, threads, "the engine's intra-op threads per stream");
    }
  });
});

describe("CMSSW scripts", () => {
  const setup = renderSetupScript({
    cmsswVersion: "CMSSW_14_1_0_pre4",
    scramArch: "el9_amd64_gcc12",
    areaParent: "/data/soft ware/cmssw/el9_amd64_gcc12",
    pluginsDir: "/opt/it's mlprof/plugins",
    cvmfs: "/cvmfs/cms.cern.ch",
    jobs: 4,
  });

  test("the area setup script passes bash -n and does what it must", () => {
    const file = join(work, "setup.sh");
    writeFileSync(file, setup);
    execFileSync("bash", ["-n", file]);
    assert.match(setup, /^export SCRAM_ARCH=el9_amd64_gcc12$/m);
    assert.match(setup, /^cmsset=\/cvmfs\/cms\.cern\.ch\/cmsset_default\.sh$/m);
    assert.match(setup, /^source "\$cmsset"/m);
    assert.match(setup, /^release=CMSSW_14_1_0_pre4$/m);
    assert.match(setup, /scram project CMSSW "\$release"/);
    assert.match(setup, /^packages='\/opt\/it'\\''s mlprof\/plugins'\/MLProf$/m);
    assert.match(setup, /cp -r "\$packages" \./);
    assert.match(setup, /^scram b -j 4 /m);
  });

  test("the run script passes bash -n", () => {
    const script = renderRunScript({
      cmsswBase: "/a b/CMSSW_14_1_0_pre4",
      scramArch: "el9_amd64_gcc12",
      cvmfs: "/cvmfs/cms.cern.ch",
      workDir: "/tmp/w",
      config: "/tmp/w/measure_cfg.py",
      batchSize: 16,
      csvFile: "/tmp/w/runtime.csv",
      metaFile: "/tmp/w/process.json",
    });
    const file = join(work, "run.sh");
    writeFileSync(file, script);
    execFileSync("bash", ["-n", file]);
    assert.match(
      script,
      /^args=\(\/tmp\/w\/measure_cfg\.py batchSize=16 csvFile=\/tmp\/w\/runtime\.csv metaFile=\/tmp\/w\/process\.json\)$/m,
    );
    // a cmsRun program replaces the shell (it keeps the parent-death signal and the pid the lock names)
    assert.match(script, /^if \[ "\$\(type -t cmsRun\)" = file \]; then exec cmsRun "\$\{args\[@\]\}"; fi$/m);
  });
});

describe("the cmssw executor", () => {
  function request(yaml: string, over: Partial<MeasurementRequest> = {}): MeasurementRequest {
    const out = join(work, `out${n++}`);
    return testRequest(
      join(REPO, yaml),
      out,
      4,
      { nEvents: 2, nCalls: 5, nWarmup: 3, executor: "cmssw" },
      over,
    );
  }

  test("without cvmfs: a clear error", async () => {
    const env = { ...process.env, MLPROF_CVMFS_CMS: join(work, "no-cvmfs"), MLP_SOFTWARE: join(work, "sw0") };
    await assert.rejects(
      measureInCmssw(request("examples/dnn/model_tf_l10u128.yaml"), env),
      (err: unknown) =>
        err instanceof MlprofError &&
        /cmsset_default\.sh does not exist on this machine/.test(err.message) &&
        /--executor local/.test(err.hint!),
    );
  });

  test("unknown input data is refused", async () => {
    const req = request("examples/dnn/model_tf_l10u128.yaml");
    await assert.rejects(
      measureInCmssw({ ...req, run: { ...req.run, inputData: "gaussian" } }),
      /--input-data/,
    );
  });

  test("end to end against a fake cvmfs: the area is prepared once, cmsRun runs the rendered config", async () => {
    const fake = join(work, "fake-cvmfs");
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, "cmsrun.py"), FAKE_CMSRUN);
    writeFileSync(
      join(fake, "cmsset_default.sh"),
      `export FAKE_CMSSW=${JSON.stringify(fake)}
scram() {
  echo "scram $*" >> "$FAKE_CMSSW/calls.log"
  case "$1" in
    project) mkdir -p "$3/src" ;;
    runtime) echo "export CMSSW_BASE=\\"$(cd .. && pwd)\\"" ;;
    b) [ -f MLProf/Utils/interface/MeasureCore.h ] && [ -f MLProf/RuntimeMeasurement/plugins/TFInference.cc ] ;;
  esac
}
cmsRun() {
  echo "cmsRun $*" >> "$FAKE_CMSSW/calls.log"
  PYTHONPATH=${JSON.stringify(stubs)} python3 "$FAKE_CMSSW/cmsrun.py" "$@"
}
`,
    );
    const env = {
      ...process.env,
      MLPROF_CVMFS_CMS: fake,
      MLP_SOFTWARE: join(work, "sw"),
      MLP_STORE: join(work, "store"),
      MLPROF_CMSSW_BASE: "",
    };
    const progress: string[] = [];
    const first = request("examples/dnn/model_tf_l10u128.yaml", { progress: (m) => progress.push(m) });
    await measureInCmssw(first, env);
    const second = request("test/fixtures/tf/model_tf1_keras.yaml");
    await measureInCmssw(second, env);

    const calls = readFileSync(join(fake, "calls.log"), "utf8").trim().split("\n");
    assert.equal(calls.filter((c) => c.startsWith("scram project")).length, 1, calls.join("\n"));
    assert.equal(calls.filter((c) => c.startsWith("scram b")).length, 1, "built once");
    assert.equal(calls.filter((c) => c.startsWith("cmsRun")).length, 2);
    assert.match(
      calls.find((c) => c.startsWith("cmsRun"))!,
      /measure_cfg\.py batchSize=4 csvFile=.*runtime\.csv metaFile=.*process\.json$/,
    );
    assert.ok(
      existsSync(join(work, "sw", "cmssw", "el9_amd64_gcc12", "CMSSW_14_1_0_pre4", "src", "MLProf", "Utils")),
    );
    assert.ok(
      progress.some((m) => /^cmsRun, batch size 4: 2 events in \d+:\d\d$/.test(m)),
      progress.join("\n"),
    );

    const csv = readRuntimeCsv(second.csvPath);
    assert.equal(csv.rows.length, 10);
    assert.doesNotMatch(readFileSync(second.csvPath, "utf8"), /^#/m, "the CSV holds the rows only");
    const meta = JSON.parse(readFileSync(second.metaPath, "utf8")) as {
      cmssw: { note: string; config: string; executor: string; version: string };
    };
    assert.equal(meta.cmssw.executor, "cmssw");
    assert.equal(meta.cmssw.version, "CMSSW_14_1_0_pre4");
    assert.match(meta.cmssw.note, /cmsRun of CMSSW_14_1_0_pre4/);
    assert.match(meta.cmssw.config, /cms\.EDAnalyzer\(\s*"TFInference"/);
    const seen = JSON.parse(readFileSync(join(fake, "last_params.json"), "utf8")) as Record<string, unknown>;
    assert.equal(seen.plugin, "TFInference");
    assert.equal(seen.nEvents, 2);
    assert.deepEqual(seen.inputTensorNames, ["input_1:0", "ids", "counts", "scale", "keras_learning_phase"]);
    assert.deepEqual(seen.inputBatched, [1, 1, 1, 1, 0]);
    assert.deepEqual(seen.inputHasValue, [0, 0, 0, 0, 1]);
    assert.equal(seen.graphPath, join(REPO, "test/fixtures/tf/tf1_keras.pb"));
    // the temporary folder of the measurement is gone
    assert.ok(!existsSync(join(work, "store", ".tmp")));
  });

  test("a config rendered at submission runs as it is; one of another measurement is refused", async () => {
    const fake = join(work, "fake-shipped");
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, "cmsrun.py"), FAKE_CMSRUN);
    writeFileSync(
      join(fake, "cmsset_default.sh"),
      `export FAKE_CMSSW=${JSON.stringify(fake)}
scram() { case "$1" in project) mkdir -p "$3/src" ;; runtime) echo "export CMSSW_BASE=\\"$(cd .. && pwd)\\"" ;; esac; }
cmsRun() { echo "cmsRun $*" >> "$FAKE_CMSSW/calls.log"; PYTHONPATH=${JSON.stringify(stubs)} python3 "$FAKE_CMSSW/cmsrun.py" "$@"; }
`,
    );
    const env = {
      ...process.env,
      MLPROF_CVMFS_CMS: fake,
      MLP_SOFTWARE: join(work, "sw4"),
      MLP_STORE: join(work, "store4"),
      MLPROF_CMSSW_BASE: "",
    };
    const yaml = "examples/dnn/model_onnx_l10u128.yaml";
    const spec = loadModelFile(join(REPO, yaml));
    /** A config as mlprof submit renders it, with the header the worker checks. */
    const shipped = async (name: string, batchSize: number): Promise<string> => {
      const req = request(yaml);
      const header = {
        engine: "onnx",
        model: req.model.fullName,
        batchSize,
        nEvents: 2,
        nCalls: 5,
        release: req.cmsswVersion,
        scramArch: req.scramArch,
        graphSha256: await sha256File(graphFileOf(spec)),
        inputs: spec.inputs.map((i) => i.name),
        outputs: spec.outputs.map((o) => o.name),
      };
      const file = join(work, name);
      const over = {
        batchSize,
        nEvents: 2,
        nCalls: 5,
        nWarmup: 3,
        csvFile: "runtime.csv",
        metaFile: "process.json",
      };
      writeFileSync(file, renderCmsswConfig(params("onnx", join(REPO, yaml), { ...over, header })));
      return file;
    };
    const good = await shipped("shipped_cfg.py", 4);
    const req = request(yaml);
    await measureInCmssw(req, { ...env, MLPROF_CMSSW_CONFIG_FILE: good });
    const calls = readFileSync(join(fake, "calls.log"), "utf8").trim().split("\n");
    assert.deepEqual(
      calls.map((c) => c.split(" ").slice(0, 3).join(" ")),
      [`cmsRun ${good} batchSize=4`],
      "cmsRun ran the shipped file",
    );
    const meta = JSON.parse(readFileSync(req.metaPath, "utf8")) as { cmssw: Record<string, unknown> };
    assert.equal(meta.cmssw.configFile, good);
    assert.equal(meta.cmssw.configRenderedAt, "submission");
    const other = await shipped("other_cfg.py", 8);
    const refused = request(yaml);
    await assert.rejects(
      measureInCmssw(refused, { ...env, MLPROF_CMSSW_CONFIG_FILE: other }),
      /the cmsRun config .*other_cfg\.py rendered at submission is for batch size 8, but this measurement has 4/,
    );
    assert.ok(!existsSync(refused.csvPath), "nothing measured");
    assert.equal(
      readFileSync(join(fake, "calls.log"), "utf8").trim().split("\n").length,
      1,
      "cmsRun not run again",
    );
  });

  test("a failing cmsRun is reported with its output", async () => {
    const fake = join(work, "fake-failing");
    mkdirSync(fake, { recursive: true });
    writeFileSync(
      join(fake, "cmsset_default.sh"),
      `scram() { case "$1" in project) mkdir -p "$3/src" ;; runtime) echo true ;; esac; }
cmsRun() { echo "----- Begin Fatal Exception" >&2; echo "An exception of category 'InvalidDType' occurred" >&2; return 65; }
`,
    );
    const env = {
      ...process.env,
      MLPROF_CVMFS_CMS: fake,
      MLP_SOFTWARE: join(work, "sw2"),
      MLP_STORE: join(work, "store2"),
    };
    const req = request("examples/dnn/model_onnx_l10u128.yaml");
    await assert.rejects(measureInCmssw(req, env), /cmsRun failed for .* \(exit code 65[\s\S]*InvalidDType/);
    assert.ok(!existsSync(req.csvPath));
    const res = await execa(
      "bash",
      ["-n", join(work, "sw2", "cmssw", "el9_amd64_gcc12", "setup_CMSSW_14_1_0_pre4.sh")],
      { reject: false },
    );
    assert.equal(res.exitCode, 0);
  });

  test("cmsRun runs holding the host-wide lock of timed work; --no-wait refuses while another holds it", async () => {
    const fake = join(work, "fake-locked");
    const locks = join(work, "locks");
    mkdirSync(fake, { recursive: true });
    // the fake cmsRun says whether it runs under the lock, then fails (nothing more is needed)
    writeFileSync(
      join(fake, "cmsset_default.sh"),
      `scram() { case "$1" in project) mkdir -p "$3/src" ;; runtime) echo true ;; esac; }
cmsRun() { [ -f ${JSON.stringify(join(locks, "measurement.lock", "owner.json"))} ] && echo "under the lock" >&2; return 65; }
`,
    );
    const env = {
      ...process.env,
      MLPROF_CVMFS_CMS: fake,
      MLP_SOFTWARE: join(work, "sw3"),
      MLP_STORE: join(work, "store3"),
    };
    const saved = process.env.MLPROF_LOCK_DIR;
    process.env.MLPROF_LOCK_DIR = locks;
    try {
      const release = await acquireLock(measurementLockDir(), { what: "another measurement" });
      await assert.rejects(
        measureInCmssw(request("examples/dnn/model_onnx_l10u128.yaml", { wait: false }), env),
        (err: unknown) => err instanceof LockBusyError && /another measurement/.test(err.message),
      );
      const progress: string[] = [];
      const waiting = measureInCmssw(
        request("examples/dnn/model_onnx_l10u128.yaml", { progress: (m) => progress.push(m) }),
        env,
      );
      const rejected = assert.rejects(waiting, /cmsRun failed for [\s\S]*under the lock/);
      for (let i = 0; i < 100 && !progress.some((m) => /^waiting for process/.test(m)); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.ok(
        progress.some((m) => /^waiting for process \d+ .*another measurement/.test(m)),
        progress.join("\n"),
      );
      release();
      await rejected;
    } finally {
      if (saved === undefined) delete process.env.MLPROF_LOCK_DIR;
      else process.env.MLPROF_LOCK_DIR = saved;
    }
  });
});
