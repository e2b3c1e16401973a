/**
 * The tfaot flow of the cmssw executor: the cmsRun config (TFAOTInference with the batch rules), the
 * TFAOTInference plugin rendered from compiled headers (checked with g++ -fsyntax-only -Wall -Wextra
 * against stubs of the CMSSW headers it uses), the two area scripts, and the whole flow against a fake
 * cvmfs: scram, cms_tfaot_compile and cmsRun are shell functions; the area is prepared once per model.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import {
  renderTfaotAreaScript,
  renderTfaotBuildScript,
  renderTfaotPlugin,
  TFAOT_TOOL,
  tfaotConfig,
} from "../../src/engines/tfaot/cmssw.js";
import { tfaotSpec } from "../../src/engines/tfaot/modelfile.js";
import { measureInCmssw } from "../../src/executors/cmssw.js";
import { renderCmsswConfig } from "../../src/executors/cmssw-config.js";
import type { MeasurementRequest } from "../../src/executors/executor.js";
import { readRuntimeCsv } from "../../src/measure/csv.js";
import type { MeasureProcessMeta, PreparationMeta } from "../../src/measure/job.js";
import type { TfaotFacts } from "../../src/engines/tfaot/params.js";

/** A tfaot measurement process's metadata, its preparation facts typed as the tfaot engine declares them. */
type TfaotProcessMeta = MeasureProcessMeta & { preparation?: PreparationMeta & TfaotFacts };
import { loadModelFile } from "../../src/engines/modelfile.js";
import { combineAotHeaders, parseAotHeader } from "../../src/engines/tfaot/header.js";
import { testRequest } from "../helpers/job.js";
import { fakeHeader, writeCppStubs, writePythonStubs, type FakeTensor } from "../helpers/tfaot-fakes.js";

const REPO = join(import.meta.dirname, "..", "..");
const work = mkdtempSync(join(tmpdir(), "mlprof-tfaot-cmssw-"));
after(() => rmSync(work, { recursive: true, force: true }));
const SAVED_MODEL = join(REPO, "examples/dnn/saved_model_l10u128");
const pythonStubs = writePythonStubs(join(work, "python"));

// cms_tfaot_compile names the model's classes tfaot_model::mlprof_model_bs<N>
const dnn = (bs: number) =>
  fakeHeader(
    bs,
    [{ type: "f32", shape: [bs, 64], name: "input", ctype: "float" }],
    [{ type: "f32", shape: [bs, 8], name: "output", ctype: "float" }],
    "tfaot_model",
    "mlprof_model",
  );
const MULTI_ARGS = (bs: number): FakeTensor[] => [
  { type: "s64", shape: [bs, 2], name: "counts", ctype: "int64_t" },
  { type: "f32", shape: [bs, 4], name: "x", ctype: "float" },
  { type: "s32", shape: [bs, 3], name: "ids", ctype: "int32_t" },
  { type: "f64", shape: [bs, 2, 2], name: "scale", ctype: "double" },
  { type: "pred", shape: [bs, 1], name: "flag", ctype: "bool" },
];
const MULTI_RESULTS = (bs: number): FakeTensor[] => [
  { type: "f32", shape: [bs, 3], name: "probs", ctype: "float" },
  { type: "f64", shape: [bs], name: "aux", ctype: "double" },
];
const multi = (bs: number, reversed = false) =>
  fakeHeader(
    bs,
    reversed ? [...MULTI_ARGS(bs)].reverse() : MULTI_ARGS(bs),
    MULTI_RESULTS(bs),
    "tfaot_model",
    "mlprof_model",
  );

let n = 0;
/** A tfaot model file on the DNN example's SavedModel. */
function modelFile(batchSizes: number[], xlaFlags: string[] = []): string {
  const file = join(work, `model${n++}.yaml`);
  writeFileSync(
    file,
    `model:\n  name: aot_test\n  version: "2.0.0"\n  inference_engine: tfaot\n  saved_model: ${SAVED_MODEL}\n` +
      `compilation:\n  batch_sizes: [${batchSizes.join(", ")}]\n  tf_xla_flags: []\n` +
      `  xla_flags: [${xlaFlags.join(", ")}]\n`,
  );
  return file;
}

/** g++ -fsyntax-only of a rendered plugin against the CMSSW stubs and the real MLProf headers. */
function syntaxCheck(pluginFile: string, stubs: string): void {
  execFileSync(
    process.env.CXX || "g++",
    [
      "-std=c++17",
      "-Wall",
      "-Wextra",
      "-Werror",
      "-fsyntax-only",
      `-I${stubs}`,
      `-I${join(REPO, "plugins")}`,
      "-iquote",
      join(REPO, "plugins/MLProf/RuntimeMeasurement/plugins"),
      pluginFile,
    ],
    { stdio: "pipe" },
  );
}

describe("rendering", () => {
  test("the cmsRun config: TFAOTInference, the compiled inputs, every batch rule", () => {
    const config = join(work, "tfaot_cfg.py");
    writeFileSync(
      config,
      renderCmsswConfig({
        engine: "tfaot",
        modelName: "aot",
        modelFile: "/m/model.yaml",
        graphPath: SAVED_MODEL,
        inputs: [{ name: "input", shape: [64], dtype: "float32", batched: true }],
        outputs: ["output"],
        batchSize: 5,
        nEvents: 2,
        nCalls: 7,
        nWarmup: 3,
        warmupMs: 0,
        minDurationMs: 0,
        inputData: "random",
        seed: 12345,
        threads: 1,
        interOpThreads: 1,
        csvFile: "/o/runtime.csv",
        metaFile: "/o/process.json",
        batchRules: ["5:4,2", "3:2,2"],
      }),
    );
    const script = `
import json, runpy, sys
sys.argv = ["cmsRun", sys.argv[1], "batchSize=3"]
process = runpy.run_path(sys.argv[1])["process"]
m = process.tfaotInference
print(json.dumps({"plugin": m.args[0], "params": {k: v.value() for k, v in m.kwargs.items()},
                  "batchRules": m.batchRules.value(), "path": process.p.args[0] is m}))
`;
    const out = JSON.parse(
      execFileSync("python3", ["-c", script, config], {
        encoding: "utf8",
        env: { ...process.env, PYTHONPATH: pythonStubs },
      }),
    ) as { plugin: string; params: Record<string, unknown>; batchRules: string[]; path: boolean };
    assert.equal(out.plugin, "TFAOTInference");
    assert.deepEqual(out.batchRules, ["5:4,2", "3:2,2"]);
    assert.equal(out.path, true);
    assert.equal(out.params.batchSize, 3);
    assert.equal(out.params.graphPath, SAVED_MODEL);
    assert.deepEqual(out.params.inputTensorNames, ["input"]);
    assert.deepEqual(out.params.flatInputSizes, [64]);
    assert.equal(out.params.nCalls, 7);
  });

  test("the plugin: one array per input and per result, every dtype; it compiles -Wall -Wextra clean", () => {
    const signature = combineAotHeaders(
      [1, 2].map((bs) => parseAotHeader(multi(bs), `/a/mlprof_model_bs${bs}.h`)),
    );
    const { plugin, buildFile } = renderTfaotPlugin(signature);
    for (const decl of [
      "tfaot::Int64Arrays input0_;",
      "tfaot::FloatArrays input1_;",
      "tfaot::Int32Arrays input2_;",
      "tfaot::DoubleArrays input3_;",
      "tfaot::BoolArrays input4_;",
      "tfaot::FloatArrays output0_;",
      "tfaot::DoubleArrays output1_;",
    ]) {
      assert.ok(plugin.includes(decl), decl);
    }
    assert.ok(!plugin.includes("output2_"), "one output array per result, not per input");
    assert.match(
      plugin,
      /std::tie\(output0_, output1_\) =\s+model_->run<tfaot::FloatArrays, tfaot::DoubleArrays>\(\s*batchSize, input0_, input1_, input2_, input3_, input4_\);/,
    );
    assert.match(plugin, new RegExp(`#include "${TFAOT_TOOL}/model.h"`));
    assert.match(plugin, /tfaot::Model<tfaot_model::mlprof_model>/);
    assert.match(buildFile, new RegExp(`<use name="${TFAOT_TOOL}"/>`));
    assert.match(
      buildFile,
      /<library name="MLProfRuntimeMeasurementTFAOTInference" file="TFAOTInference\.cc">/,
    );
    const file = join(work, "TFAOTInference.cc");
    writeFileSync(file, plugin);
    syntaxCheck(file, writeCppStubs(join(work, "cpp-stubs"), TFAOT_TOOL, "tfaot_model", "mlprof_model"));
  });

  test("the area scripts pass bash -n and use CMSSW's own AOT tooling", () => {
    const area = renderTfaotAreaScript({
      cmsswVersion: "CMSSW_14_1_0_pre4",
      scramArch: "el9_amd64_gcc12",
      areaParent: "/data/soft ware/tfaot-x",
      pluginsDir: "/opt/mlprof/plugins",
      cvmfs: "/cvmfs/cms.cern.ch",
      aotConfig: "/data/soft ware/tfaot-x/aot_config.yaml",
    });
    const build = renderTfaotBuildScript({
      cmsswBase: "/data/soft ware/tfaot-x/CMSSW_14_1_0_pre4",
      scramArch: "el9_amd64_gcc12",
      cvmfs: "/cvmfs/cms.cern.ch",
      jobs: 4,
    });
    for (const [name, text] of [
      ["area.sh", area],
      ["build.sh", build],
    ] as const) {
      writeFileSync(join(work, name), text);
      execFileSync("bash", ["-n", join(work, name)]);
    }
    assert.match(area, /cms_tfaot_compile -c "\$aot_config" -o "\$aot_dir" --tool-name "\$tool" --dev/);
    assert.match(area, /^aot_config='\/data\/soft ware\/tfaot-x\/aot_config\.yaml'$/m);
    assert.match(area, /scram setup "\$aot_dir\/\$tool\.xml"/);
    assert.match(area, /rm -rf MLProf\/RuntimeMeasurement\/plugins\/\*\.cc/);
    assert.match(build, /^scram b -j 4 /m);
  });

  test("the AOT config cms_tfaot_compile reads carries the model file's compilation", () => {
    const spec = loadModelFile(modelFile([1, 4], ["--xla_cpu_enable_fast_math=true"]));
    assert.deepEqual(tfaotConfig(tfaotSpec(spec)), {
      model: {
        name: "mlprof_model",
        version: "2.0.0",
        saved_model: SAVED_MODEL,
        serving_key: "serving_default",
      },
      compilation: { batch_sizes: [1, 4], tf_xla_flags: [], xla_flags: ["--xla_cpu_enable_fast_math=true"] },
    });
  });
});

// the fake cmsRun: runs the config against the stub, writes rows and metadata as the plugin does
const FAKE_CMSRUN = `
import json, os, runpy, sys
sys.argv = ["cmsRun"] + sys.argv[1:]
process = runpy.run_path(sys.argv[1], run_name="__main__")["process"]
m = process.tfaotInference
p = {k: v.value() for k, v in m.kwargs.items()}
p["plugin"] = m.args[0]
p["batchRules"] = m.batchRules.value()
json.dump(p, open(os.path.join(os.environ["FAKE_CMSSW"], "last_params.json"), "w"))
n = process.maxEvents.kwargs["input"].value()
with open(p["outputFile"], "a") as f:
    for e in range(n):
        for _ in range(p["nCalls"]):
            f.write(f"{p['batchSize']},0.012345\\n")
meta = {"engine": {"name": "tensorflow-xla-aot", "version": "0", "batchRule": "from CMSSW"}, "threads": {"intraOp": 1, "interOp": 1},
        "clock": "fake", "timings": {"loadMs": 1, "warmupMs": 1, "measureMs": 1},
        "memory": {"rssBeforeLoadKb": 1, "rssAfterLoadKb": 1, "rssAfterWarmupKb": 1, "rssAfterTimingKb": 1, "peakRssKb": 1},
        "rows": n * p["nCalls"], "pid": os.getpid()}
json.dump(meta, open(p["metaFile"], "w"))
`;

describe("end to end against a fake cvmfs", () => {
  const fake = join(work, "fake-cvmfs");
  const stubs = writeCppStubs(join(work, "cpp-stubs-e2e"), TFAOT_TOOL, "tfaot_model", "mlprof_model");
  mkdirSync(fake, { recursive: true });
  writeFileSync(join(fake, "cmsrun.py"), FAKE_CMSRUN);
  // scram b checks the rendered plugin with g++ -fsyntax-only; cms_tfaot_compile copies $FAKE_HEADERS
  writeFileSync(
    join(fake, "cmsset_default.sh"),
    `export FAKE_CMSSW=${JSON.stringify(fake)}
scram() {
  echo "scram $*" >> "$FAKE_CMSSW/calls.log"
  case "$1" in
    project) mkdir -p "$3/src" ;;
    runtime) echo "export CMSSW_BASE=\\"$(cd .. && pwd)\\"" ;;
    b) [ -f MLProf/RuntimeMeasurement/plugins/TFAOTInference.cc ] && [ ! -e MLProf/RuntimeMeasurement/plugins/TFInference.cc ] &&
       [ ! -e MLProf/RuntimeMeasurement/plugins/aot ] &&
       \${CXX:-g++} -std=c++17 -Wall -Wextra -Werror -fsyntax-only -I${JSON.stringify(stubs)} -I. MLProf/RuntimeMeasurement/plugins/TFAOTInference.cc ;;
  esac
}
cms_tfaot_compile() {
  echo "cms_tfaot_compile $*" >> "$FAKE_CMSSW/calls.log"
  local out="$4" tool="$6"
  mkdir -p "$out/include/$tool" && cp "$FAKE_HEADERS"/*.h "$out/include/$tool/" && echo "<tool name=\\"$tool\\"/>" > "$out/$tool.xml"
}
cmsRun() {
  echo "cmsRun $*" >> "$FAKE_CMSSW/calls.log"
  PYTHONPATH=${JSON.stringify(pythonStubs)} python3 "$FAKE_CMSSW/cmsrun.py" "$@"
}
`,
  );
  const headers = (name: string, files: Record<string, string>) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  };
  const env = (fakeHeaders: string) => ({
    ...process.env,
    MLPROF_CVMFS_CMS: fake,
    MLP_SOFTWARE: join(work, "sw"),
    MLP_STORE: join(work, "store"),
    MLPROF_CMSSW_BASE: "/an/area/of/a/batch/job",
    FAKE_HEADERS: fakeHeaders,
  });
  const request = (yaml: string, batchSize: number, rules: string): MeasurementRequest =>
    testRequest(yaml, join(work, `out${n++}`), batchSize, {
      nEvents: 2,
      nCalls: 5,
      nWarmup: 3,
      tfaotBatchRules: rules,
      executor: "cmssw",
    });

  test("compiled once per model in its own area, the rendered plugin built, cmsRun given the rules", async () => {
    const yaml = modelFile([1, 2]);
    const e = env(headers("dnn-headers", { "mlprof_model_bs1.h": dnn(1), "mlprof_model_bs2.h": dnn(2) }));
    const first = request(yaml, 3, "3:2,2-4:twos");
    await measureInCmssw(first, e);
    const seen = JSON.parse(readFileSync(join(fake, "last_params.json"), "utf8")) as Record<string, unknown>;
    assert.equal(seen.plugin, "TFAOTInference");
    assert.deepEqual(seen.batchRules, ["3:2,2", "4:2,2"]);
    assert.deepEqual(seen.inputTensorNames, ["input"]);
    assert.equal(seen.batchSize, 3);
    const second = request(yaml, 2, "");
    await measureInCmssw(second, e);

    const calls = readFileSync(join(fake, "calls.log"), "utf8").trim().split("\n");
    assert.equal(calls.filter((c) => c.startsWith("scram project")).length, 1, calls.join("\n"));
    assert.equal(calls.filter((c) => c.startsWith("cms_tfaot_compile")).length, 1);
    assert.match(
      calls.find((c) => c.startsWith("cms_tfaot_compile"))!,
      /aot_config\.yaml -o .*\/mlprof_aot --tool-name tfaot-model-mlprof --dev$/,
    );
    assert.ok(
      calls.some((c) =>
        /^scram setup .*\/tfaot-[0-9a-f]{16}\/CMSSW_14_1_0_pre4\/mlprof_aot\/tfaot-model-mlprof\.xml$/.test(
          c,
        ),
      ),
      calls.join("\n"),
    );
    assert.equal(calls.filter((c) => c.startsWith("scram b")).length, 1, "built once");
    assert.equal(calls.filter((c) => c.startsWith("cmsRun")).length, 2);

    const csv = readRuntimeCsv(first.csvPath);
    assert.equal(csv.rows.length, 10);
    assert.ok(csv.rows.every((r) => r.batchSize === 3));
    const meta = JSON.parse(readFileSync(first.metaPath, "utf8")) as {
      model: { graph: string; engine: string };
      cmssw: { note: string; config: string; area: string };
      process: TfaotProcessMeta;
    };
    assert.equal(meta.model.engine, "tfaot");
    assert.equal(meta.model.graph, SAVED_MODEL);
    assert.match(meta.cmssw.note, /TFAOTInference plugin/);
    assert.match(meta.cmssw.area, /\/tfaot-[0-9a-f]{16}\/CMSSW_14_1_0_pre4$/);
    assert.ok(existsSync(join(meta.cmssw.area, "src/MLProf/RuntimeMeasurement/plugins/TFAOTInference.cc")));
    assert.deepEqual(meta.process.preparation!.batchRule, {
      target: 3,
      chunks: [2, 2],
      padding: 1,
      source: "--tfaot-batch-rules",
    });
    assert.deepEqual(meta.process.preparation!.compiledBatchSizes, [1, 2]);
    const seen2 = JSON.parse(readFileSync(join(fake, "last_params.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(seen2.batchRules, []);
    const meta2 = JSON.parse(readFileSync(second.metaPath, "utf8")) as { process: TfaotProcessMeta };
    assert.deepEqual(meta2.process.preparation!.batchRule, {
      target: 2,
      chunks: [2],
      padding: 0,
      source: "default",
    });
    assert.equal(meta2.process.preparation!.cached, true);
  });

  test("inputs ordered differently per batch size are refused (tfaot::Model::run passes them by position)", async () => {
    const yaml = modelFile([1, 2], ["--xla_cpu_enable_fast_math=true"]);
    const e = env(
      headers("multi-headers", { "mlprof_model_bs1.h": multi(1), "mlprof_model_bs2.h": multi(2, true) }),
    );
    await assert.rejects(
      measureInCmssw(request(yaml, 2, ""), e),
      /ordered the inputs or outputs of the model differently for different batch sizes/,
    );
  });

  test("bad rules are refused before any area is prepared", async () => {
    const yaml = modelFile([1, 2], ["--xla_cpu_enable_fast_math=false"]);
    const e = env(join(work, "no-headers"));
    await assert.rejects(
      measureInCmssw(request(yaml, 5, "5:4,2"), e),
      /uses batch size 4, but the model is compiled for 1, 2 only/,
    );
    await assert.rejects(
      measureInCmssw(request(yaml, 5, "5:2,2"), e),
      /sum to 4, less than the target batch size 5/,
    );
  });
});
