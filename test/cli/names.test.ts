/**
 * Values that would become paths, through the real command line (issue 13, items 1 and 6): `--version ..`
 * no longer escapes its folder (so a second model is never reported with the first one's data), releases
 * and architectures are names, and --tfaot-batch-rules are checked and apply to tfaot models only.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { EXAMPLES, FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const data = tempData();
after(() => data.cleanup());

const measure = (...args: string[]) => mlprof(["run", "MeasureRuntime", ...args], data.env);
const outputsOf = (stdout: string) =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith("  /"))
    .map((l) => l.trim());

test("--version .. and --version . are refused before anything is written, so no model is reported with another's data", async () => {
  const first = await measure(
    "--version",
    "..",
    "--model-file",
    join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
    "--n-calls",
    "5",
  );
  assert.equal(first.code, 1, first.stderr);
  assert.match(
    first.stderr,
    /^error: --version: expected a name of letters, digits, '_', '\.', '\+' or '-', not starting with '\.', at most 150 characters, found '\.\.' \(a name of dots only, which leaves its folder\)$/m,
  );
  const second = await measure(
    "--version",
    "..",
    "--model-file",
    join(EXAMPLES, "dnn", "model_onnx_l20u256.yaml"),
    "--n-calls",
    "7",
    "--threads",
    "2",
  );
  assert.equal(second.code, 1);
  assert.doesNotMatch(second.stdout, /already complete/);
  assert.match(second.stderr, /--version: .*found '\.\.'/);
  const dot = await measure("--version", ".", "--model-file", join(FIXTURES, "identity.yaml"));
  assert.equal(dot.code, 1);
  assert.match(dot.stderr, /--version: .*found '\.'/);
  assert.deepEqual(listFiles(data.dir), [], "nothing in the data folder, store included");
});

test("an empty release or one with a newline, and an architecture with a slash, never become folders", async () => {
  for (const [flag, value, found] of [
    ["--cmssw-version", "", /found '' \(an empty name\)/],
    ["--cmssw-version", "CMSSW_14_1_0\nevil", /found 'CMSSW_14_1_0\\nevil' \(the character '\\n'\)/],
    ["--scram-arch", "el9/../../x", /found 'el9\/\.\.\/\.\.\/x' \(the character '\/'\)/],
  ] as const) {
    const res = await measure(
      "--version",
      "v1",
      "--model-file",
      join(FIXTURES, "identity.yaml"),
      flag,
      value,
    );
    assert.equal(res.code, 1, `${flag} ${JSON.stringify(value)}: ${res.stderr}`);
    assert.match(res.stderr, new RegExp(`^error: ${flag}: expected a name .*${found.source}`, "m"));
  }
  assert.deepEqual(listFiles(data.store), []);
});

test("--tfaot-batch-rules are checked for every model; a model of another engine ignores them, and its path leaves them out", async () => {
  const garbage = await measure(
    "--version",
    "v1",
    "--model-file",
    join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
    "--tfaot-batch-rules",
    "garbage!!",
  );
  assert.equal(garbage.code, 1);
  assert.match(
    garbage.stderr,
    /--tfaot-batch-rules: 'garbage!!' is not a rule 'target:size1,size2,\.\.\.' \(or 'target:ones', 'target:twos'\)/,
  );
  assert.deepEqual(listFiles(data.store), []);

  const base = ["--version", "rules", "--model-file", join(FIXTURES, "identity.yaml"), "--n-calls", "5"];
  const withRules = await measure(
    ...base,
    "--repeats",
    "1",
    "--batch-size",
    "2",
    "--tfaot-batch-rules",
    "2:1,1",
  );
  assert.equal(withRules.code, 0, withRules.stderr);
  const [csv] = outputsOf(withRules.stdout);
  assert.doesNotMatch(csv!, /rules_/);
  assert.equal(
    readFileSync(csv!, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("2,")).length,
    5,
  );
  const without = await measure(...base, "--repeats", "1", "--batch-size", "2");
  assert.equal(without.code, 0, without.stderr);
  assert.match(without.stdout, /MeasureRuntime is already complete/);
  assert.deepEqual(outputsOf(without.stdout)[0], csv);
});
