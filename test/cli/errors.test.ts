/**
 * Bad inputs through the real command line: each must fail with a message that names the file, field or
 * parameter, what was expected and what was found — and leave no output behind.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { EXAMPLES, FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());
const models = mkdtempSync(join(tmpdir(), "mlprof-bad-models-"));
copyFileSync(join(EXAMPLES, "dnn", "onnx_graph_l10u128.onnx"), join(models, "good.onnx"));
// a ModelProto (ir_version 7) whose graph is garbage: past the content check, refused by ONNX Runtime
writeFileSync(join(models, "corrupt.onnx"), Buffer.from([0x08, 0x07, 0x3a, 0x03, 0xff, 0xff, 0xff]));
writeFileSync(join(models, "text.onnx"), "this is not a protobuf");

/** Writes a model yaml into the scratch folder and returns its path. */
function yaml(name: string, text: string): string {
  const p = join(models, name);
  writeFileSync(p, text);
  return p;
}

const onnxModel = (body: string) => `model:\n  inference_engine: onnx\n  file: ./good.onnx\n${body}`;
const io = "  inputs:\n    - name: input\n      shape: [64]\n  outputs:\n    - name: output\n";

interface Case {
  name: string;
  args: string[];
  message: RegExp;
}

const measure = (modelFile: string, ...extra: string[]) => [
  "run",
  "MeasureRuntime",
  "--version",
  "bad",
  "--model-file",
  modelFile,
  "--n-calls",
  "5",
  ...extra,
];

const cases: Case[] = [
  {
    name: "YAML syntax error",
    args: measure(yaml("syntax.yaml", "model:\n  name: [unclosed\n")),
    message: /model file .*syntax\.yaml is not valid YAML/,
  },
  {
    name: "no model key",
    args: measure(yaml("nomodel.yaml", "network:\n  file: x\n")),
    message:
      /nomodel\.yaml: field 'network': expected only the keys 'model' and 'compilation', found "network"/,
  },
  {
    name: "unknown inference engine",
    args: measure(yaml("engine.yaml", "model:\n  inference_engine: pytorch\n  file: ./good.onnx\n" + io)),
    message:
      /engine\.yaml: field 'model\.inference_engine': expected one of tf, onnx, tfaot, found "pytorch"/,
  },
  {
    name: "missing file field",
    args: measure(yaml("nofile.yaml", "model:\n  inference_engine: onnx\n" + io)),
    message: /nofile\.yaml: field 'model\.file': expected the path of the onnx model file, found nothing/,
  },
  {
    name: "model file that does not exist",
    args: measure(yaml("missing.yaml", "model:\n  inference_engine: onnx\n  file: ./absent.onnx\n" + io)),
    message: /missing\.yaml: field 'model\.file': expected an existing file, found ".*absent\.onnx"/,
  },
  {
    name: "model yaml that does not exist",
    args: measure(join(models, "nowhere.yaml")),
    message: /model file .*nowhere\.yaml does not exist/,
  },
  {
    name: "corrupt ONNX file",
    args: measure(yaml("corrupt.yaml", "model:\n  inference_engine: onnx\n  file: ./corrupt.onnx\n" + io)),
    message: /corrupt\.yaml at batch size 1 failed .*ONNX Runtime cannot load .*corrupt\.onnx/,
  },
  {
    name: "a text file as the ONNX file: refused before ONNX Runtime sees it",
    args: measure(yaml("text.yaml", "model:\n  inference_engine: onnx\n  file: ./text.onnx\n" + io)),
    message:
      /text\.yaml: field 'model\.file': expected an ONNX model \(a ModelProto\) for the onnx engine, found a text file: '.*text\.onnx'/,
  },
  {
    name: "shape that is not a list of integers",
    args: measure(
      yaml(
        "shape.yaml",
        onnxModel('  inputs:\n    - name: input\n      shape: [64, "a"]\n  outputs:\n    - name: output\n'),
      ),
    ),
    message:
      /shape\.yaml: field 'model\.inputs\[0\]\.shape': expected a list of positive integers \(without the batch dimension\), found \[64,"a"\]/,
  },
  {
    name: "unknown dtype",
    args: measure(
      yaml(
        "dtype.yaml",
        onnxModel(
          "  inputs:\n    - name: input\n      shape: [64]\n      dtype: float16\n  outputs:\n    - name: output\n",
        ),
      ),
    ),
    message:
      /dtype\.yaml: field 'model\.inputs\[0\]\.dtype': expected one of float32, float64, int32, int64, bool, found "float16"/,
  },
  {
    name: "declared input that the model does not have",
    args: measure(
      yaml(
        "inname.yaml",
        onnxModel("  inputs:\n    - name: inputs\n      shape: [64]\n  outputs:\n    - name: output\n"),
      ),
    ),
    message:
      /declared input 'inputs' is not an input of the model.*the model's inputs are: input \(float32, \[\?, 64\]\)/,
  },
  {
    name: "declared dtype that differs from the model's",
    args: measure(
      yaml(
        "intype.yaml",
        onnxModel(
          "  inputs:\n    - name: input\n      shape: [64]\n      dtype: int64\n  outputs:\n    - name: output\n",
        ),
      ),
    ),
    message: /input 'input' is declared as int64 but the model expects float32/,
  },
  {
    name: "declared shape that differs from the model's",
    args: measure(
      yaml(
        "inshape.yaml",
        onnxModel("  inputs:\n    - name: input\n      shape: [32]\n  outputs:\n    - name: output\n"),
      ),
    ),
    message: /input 'input': dimension 1 is 32 but the model fixes it to 64/,
  },
  {
    name: "declared output that the model does not have",
    args: measure(
      yaml(
        "outname.yaml",
        onnxModel("  inputs:\n    - name: input\n      shape: [64]\n  outputs:\n    - name: Identity\n"),
      ),
    ),
    message: /declared output 'Identity' not found; the model's outputs are: output \(float32, \[\?, 8\]\)/,
  },
  {
    name: "non-positive batch size",
    args: measure(join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"), "--batch-size", "0"),
    message: /--batch-size: expected a positive integer, found 0/,
  },
  {
    name: "batch sizes that are not integers",
    args: ["run", "MergeRuntimes", "--version", "bad", "--batch-sizes", "1,two"],
    message: /--batch-sizes: expected an integer, found 'two'/,
  },
  {
    name: "zero calls",
    args: measure(join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"), "--n-calls", "0"),
    message: /--n-calls: expected a positive integer, found 0/,
  },
  {
    name: "unknown input data kind",
    args: measure(join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"), "--input-data", "gaussian"),
    message: /--input-data: 'gaussian' is not one of random, incremental, zeros, ones/,
  },
  {
    name: "engine error at run time (Reshape of an odd batch)",
    args: measure(join(FIXTURES, "reshape_odd.yaml"), "--batch-size", "1"),
    message: /reshape_odd\.yaml at batch size 1 failed \(first call\): .*Reshape.*cannot be reshaped/,
  },
  {
    name: "model with a fixed batch dimension at another batch size",
    args: measure(join(FIXTURES, "fixed_batch.yaml"), "--batch-size", "2"),
    message: /batch dimension is 2 but the model fixes it to 1 \(the model cannot run batch size 2\)/,
  },
  {
    name: "tfaot batch rule whose sizes do not reach the target",
    args: measure(
      join(EXAMPLES, "dnn", "model_tfaot_l10u128.yaml"),
      "--batch-size",
      "5",
      "--tfaot-batch-rules",
      "5:2,2",
    ),
    message: /--tfaot-batch-rules: in the rule '5:2,2' the sizes sum to 4, less than the target batch size 5/,
  },
  {
    name: "error style that does not exist",
    args: ["run", "PlotRuntimes", "--version", "bad", "--error-style", "dots"],
    message: /--error-style: expected one of band, bars, found 'dots'/,
  },
  {
    name: "y range upside down",
    args: ["run", "PlotRuntimes", "--version", "bad", "--y-min", "5", "--y-max", "1"],
    message: /--y-min \(5\) must be smaller than --y-max \(1\)/,
  },
  {
    name: "model names that do not match the model files",
    args: [
      "run",
      "PlotMultiRuntimes",
      "--version",
      "bad",
      "--model-files",
      `${EXAMPLES}/dnn/model_onnx_l10u128.yaml`,
      "--model-names",
      "a,b",
    ],
    message: /--model-names: expected one entry per model file \(1: .*\), found 2/,
  },
  {
    name: "a release comparison measured locally",
    args: [
      "run",
      "PlotMultiRuntimes",
      "--version",
      "bad",
      "--model-files",
      `${EXAMPLES}/dnn/model_onnx_l10u128.yaml`,
      "--cmssw-versions",
      "CMSSW_13_{3_1,2_4}",
    ],
    message: /the local executor measures the engines installed on this machine .*CMSSW_13_3_1, CMSSW_13_2_4/,
  },
  {
    name: "unknown task",
    args: ["run", "MeasureRuntimes", "--version", "bad"],
    message: /unknown task 'MeasureRuntimes'\. Did you mean MeasureRuntime\?/,
  },
  {
    name: "unknown task far from every name",
    args: ["run", "NoSuchTask", "--version", "bad"],
    message: /^error: unknown task 'NoSuchTask'; the nearest task names: Report, PlotRuntimes, PlotMemory$/m,
  },
  {
    name: "unknown task with --help (not the generic help of run)",
    args: ["run", "NoSuchTask", "--help"],
    message: /^error: unknown task 'NoSuchTask'; the nearest task names: Report, PlotRuntimes, PlotMemory$/m,
  },
  {
    name: "task name in the wrong case, with -h",
    args: ["run", "plotruntimes", "-h"],
    message: /^error: unknown task 'plotruntimes'\. Did you mean PlotRuntimes\?$/m,
  },
  {
    name: "misspelt parameter",
    args: ["run", "MeasureRuntime", "--version", "bad", "--n-call", "5"],
    message: /Unknown argument/,
  },
  {
    name: "missing --version",
    args: ["run", "MeasureRuntime"],
    message: /--version is required/,
  },
  {
    name: "--remove-output with depth -1",
    args: ["run", "MeasureRuntime", "--version", "bad", "--remove-output", "-1,a"],
    message: /depth -1 is not allowed/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, async () => {
    const res = await mlprof(c.args, data.env);
    assert.equal(res.code, 1, `exit code; stderr: ${res.stderr}`);
    assert.match(res.stderr, /^error: /m);
    assert.match(res.stderr, c.message);
    assert.equal(res.stderr.match(/^error: /gm)?.length, 1, `one error; stderr: ${res.stderr}`);
    assert.doesNotMatch(res.stdout, /Commands:|Options:/, "no help is printed");
    assert.deepEqual(listFiles(data.store), [], "no output may be left behind");
  });
}
