/**
 * tfaot batch rules with the semantics of CMSSW's TensorFlowAOT (PhysicsTools/TensorFlowAOT Batching.cc):
 * parsing of --tfaot-batch-rules (dash-separated, with the original MLProf's ones/twos shorthands), the
 * padding Σ sizes − target, validation, the check against compiled sizes and the default rule.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  checkBatchRule,
  defaultBatchRule,
  formatBatchRule,
  parseBatchRule,
  parseBatchRules,
  resolveBatchRule,
} from "../../src/engines/tfaot/rules.js";
import { MlprofError } from "../../src/util/errors.js";

const rule = (target: number, chunks: number[], padding: number) => ({ target, chunks, padding });

describe("parsing", () => {
  test("the spec's example: dash-separated rules, padding inferred", () => {
    assert.deepEqual(parseBatchRules("1:1-2:2-4:1,1,2-8:2,2,2,2"), [
      rule(1, [1], 0),
      rule(2, [2], 0),
      rule(4, [1, 1, 2], 0),
      rule(8, [2, 2, 2, 2], 0),
    ]);
    assert.deepEqual(parseBatchRules(""), []);
    assert.deepEqual(parseBatchRules("  "), []);
  });

  test("the last chunk is padded by Σ sizes − target", () => {
    assert.deepEqual(parseBatchRule("5:2,2,2"), rule(5, [2, 2, 2], 1));
    assert.deepEqual(parseBatchRule("5:4,2"), rule(5, [4, 2], 1));
    assert.deepEqual(parseBatchRule("5:2,4"), rule(5, [2, 4], 1));
    assert.deepEqual(parseBatchRule("3:4"), rule(3, [4], 1));
    assert.deepEqual(parseBatchRule("15:1,2,1,1,2,8"), rule(15, [1, 2, 1, 1, 2, 8], 0));
    assert.deepEqual(parseBatchRule(" 6 : 4, 2 "), rule(6, [4, 2], 0));
  });

  test("the original's ones and twos shorthands", () => {
    assert.deepEqual(parseBatchRule("5:ones"), rule(5, [1, 1, 1, 1, 1], 0));
    assert.deepEqual(parseBatchRule("4:twos"), rule(4, [2, 2], 0));
    assert.deepEqual(parseBatchRule("5:twos"), rule(5, [2, 2, 2], 1));
    assert.deepEqual(parseBatchRules("1:ones-3:twos"), [rule(1, [1], 0), rule(3, [2, 2], 1)]);
  });

  test("formatting gives CMSSW's rule strings", () => {
    assert.equal(formatBatchRule(parseBatchRule("5:twos")), "5:2,2,2");
  });
});

describe("invalid rules are refused as CMSSW refuses them", () => {
  const refused = (spec: string, message: RegExp) =>
    assert.throws(
      () => parseBatchRules(spec),
      (err: unknown) =>
        err instanceof MlprofError && /^--tfaot-batch-rules: /.test(err.message) && message.test(err.message),
    );

  test("sizes summing to less than the target", () =>
    refused("5:2,2", /sum to 4, less than the target batch size 5/));
  test("no sizes", () => {
    refused("5:", /has no batch sizes to stitch/);
    assert.throws(() => checkBatchRule(rule(5, [], 0)), /no batch sizes/);
  });
  test("a padding not smaller than the last size", () => {
    refused("5:4,1,1", /padding 1 .* must be smaller than the last size 1/);
    refused("5:2,2,2,2", /padding 3 .* must be smaller than the last size 2/);
  });
  test("malformed parts", () => {
    refused("5", /is not a rule 'target:size1,size2,...'/);
    refused("x:1", /the target batch size 'x'/);
    refused("0:1", /the target batch size '0'/);
    refused("5:0,5", /the batch size '0'/);
    refused("5:1.5,4", /the batch size '1.5'/);
    refused("5:2,,3", /the batch size ''/);
    refused("1:1--2:2", /'' is not a rule/);
  });
  test("two rules for one target", () => refused("2:2-2:1,1", /more than one rule for batch size 2/));
  test("an inconsistent padding", () => assert.throws(() => checkBatchRule(rule(5, [4, 2], 0)), /pads by 0/));
});

describe("default rule and resolution", () => {
  test("CMSSW's default: the target when compiled, else the smallest size repeated, padded", () => {
    assert.deepEqual(defaultBatchRule(5, [1, 2, 4]), rule(5, [1, 1, 1, 1, 1], 0));
    assert.deepEqual(defaultBatchRule(4, [1, 2, 4]), rule(4, [4], 0));
    assert.deepEqual(defaultBatchRule(7, [2, 4]), rule(7, [2, 2, 2, 2], 1));
    assert.deepEqual(defaultBatchRule(1, [4, 2]), rule(1, [2], 1));
    assert.deepEqual(defaultBatchRule(256, [1]).chunks.length, 256);
    for (const [t, sizes] of [
      [5, [1, 2, 4]],
      [7, [2, 4]],
      [9, [4, 8]],
      [3, [8]],
    ] as const) {
      checkBatchRule(defaultBatchRule(t, sizes));
    }
    assert.throws(() => defaultBatchRule(3, []), /at least one compiled batch size/);
  });

  test("a given rule wins over the default; the rule in effect says where it came from", () => {
    const rules = parseBatchRules("5:4,2-3:2,2");
    assert.deepEqual(resolveBatchRule(5, rules, [2, 4]), {
      ...rule(5, [4, 2], 1),
      source: "--tfaot-batch-rules",
    });
    assert.deepEqual(resolveBatchRule(6, rules, [2, 4]), { ...rule(6, [2, 2, 2], 0), source: "default" });
    assert.deepEqual(resolveBatchRule(4, [], [2, 4]), { ...rule(4, [4], 0), source: "default" });
  });

  test("every given rule must use compiled sizes only", () => {
    const rules = parseBatchRules("6:4,2-3:1,2");
    assert.throws(
      () => resolveBatchRule(6, rules, [2, 4]),
      (err: unknown) =>
        err instanceof MlprofError &&
        /the rule '3:1,2' uses batch size 1, but the model is compiled for 2, 4 only/.test(err.message) &&
        /compilation\.batch_sizes/.test(err.hint!),
    );
  });
});
