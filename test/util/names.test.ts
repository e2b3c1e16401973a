/**
 * The one check of names that become path components (issue 13, items 1 and 6): no name leaves its folder,
 * hides among the tool's temporaries or carries control characters into a directory name, and no path of
 * the store is built of an unchecked part.
 */
import assert from "node:assert/strict";
import { relative } from "node:path";
import { test } from "node:test";
import { Model } from "../../src/engines/model.js";
import { safePart, taskDir } from "../../src/store.js";
import { checkName, isName, nameProblem } from "../../src/util/names.js";
import { TASKS } from "../../src/tasks/registry.js";
import { EXAMPLES } from "../helpers/cli.js";

const STORE = "/tmp/mlprof-names-store";
process.env.MLP_STORE = STORE;

test("names of dots only, leading dots, empty names, slashes, control characters and long names are refused", () => {
  for (const [bad, why] of [
    ["..", /dots only, which leaves its folder/],
    [".", /dots only/],
    ["...", /dots only/],
    [".hidden", /a leading '\.'/],
    ["", /an empty name/],
    ["a/b", /the character '\/'/],
    ["../x", /the character '\/'/],
    ["v1\nv2", /the character '\\n'/],
    ["tab\there", /the character '\\t'/],
    ["a b", /the character ' '/],
    ["$(rm -rf ~)", /the character '\$'/],
    ["x".repeat(151), /151 characters/],
  ] as const) {
    assert.equal(isName(bad), false, bad);
    assert.match(nameProblem(bad)!, why, bad);
    assert.throws(
      () => checkName("--version", bad),
      (err: Error) =>
        err.message.startsWith("--version: expected a name of letters, digits") &&
        why.test(err.message) &&
        !err.message.includes("\n"),
      bad,
    );
  }
  for (const good of [
    "v1",
    "test_mlprof",
    "CMSSW_14_1_0_pre4",
    "el9_amd64_gcc12",
    "1.0+a-b",
    "a..b",
    "x".repeat(150),
  ]) {
    assert.equal(checkName("--version", good), good);
  }
});

test("every part of a store path is checked: '..' or a newline never become folders", () => {
  assert.throws(() => taskDir("MeasureRuntime", "CMSSW_1__el9", "model_x", ".."), /dots only/);
  assert.throws(() => taskDir("MeasureRuntime", "CMSSW\n1__el9", "model_x", "v1"), /the character '\\n'/);
  assert.throws(() => safePart("a/b"), /cannot make a folder of the store from 'a\/b'/);
  // long parts are shortened with a hash, and stay valid
  const long = safePart("m".repeat(400));
  assert.ok(long.length <= 180 && nameProblem(long, 180) === undefined, long);
  assert.equal(
    relative(STORE, taskDir("MeasureRuntime", "CMSSW_14__el9", "model_x__ncalls_5", "v1")),
    "MeasureRuntime/CMSSW_14__el9/model_x__ncalls_5/v1",
  );
});

test("tasks refuse names that would become path parts, whatever parameter carries them", () => {
  const create = (name: string, raw: Record<string, unknown>) =>
    TASKS.find((t) => t.name === name)!.create({ version: "v1", ...raw });
  assert.throws(() => create("MeasureRuntime", { version: ".." }), /--version: .*dots only/);
  assert.throws(() => create("MeasureRuntime", { "cmssw-version": "" }), /--cmssw-version: .*an empty name/);
  assert.throws(
    () => create("MeasureRuntime", { "cmssw-version": "CMSSW_14\n" }),
    /--cmssw-version: .*'\\n'/,
  );
  assert.throws(() => create("MeasureRuntime", { "scram-arch": "el9/amd64" }), /--scram-arch: .*'\/'/);
  assert.throws(() => create("MeasureRuntime", { "model-name": "../x" }), /--model-name: /);
  assert.throws(
    () =>
      create("PlotMultiRuntimes", {
        "model-files": `${EXAMPLES}/dnn/model_onnx_l10u128.yaml`,
        "cmssw-versions": "CMSSW_1,..",
      }),
    /--cmssw-versions: .*dots only/,
  );
  assert.throws(
    () =>
      create("CompareRuntimes", {
        "model-files": `${EXAMPLES}/dnn/model_onnx_l10u128.yaml`,
        versions: "v1,..",
      }),
    /--versions: .*dots only/,
  );
  assert.throws(() => create("PlotRuntimes", { "plot-postfix": ".." }), /--plot-postfix: .*dots only/);
});

test("a model file's own name becomes a valid path part (odd characters replaced, the hash keeps it unique)", () => {
  const a = new Model("/models/my model (v2).yaml");
  const b = new Model("/models/my_model__v2_.yaml");
  assert.match(a.fullName, /^my_model__v2__[0-9a-f]{8}$/);
  assert.ok(isName(a.fullName) && isName(new Model("/m/.hidden.yaml").fullName));
  assert.notEqual(a.fullName, b.fullName);
  assert.match(
    new Model(`${EXAMPLES}/dnn/model_onnx_l10u128.yaml`).fullName,
    /^model_onnx_l10u128_[0-9a-f]{8}$/,
  );
});
