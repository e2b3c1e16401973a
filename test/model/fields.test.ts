/** Constant values and ranges of model inputs checked against their dtype; values shown as YAML gives them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { show, validateInputs, valueProblem } from "../../src/model/fields.js";
import { MlprofError } from "../../src/util/errors.js";

const fail = (field: string, expected: string, found: unknown): never => {
  throw new MlprofError(`field '${field}': expected ${expected}, found ${show(found)}`);
};
const input = (extra: Record<string, unknown>) => [
  { name: "x", shape: [1] },
  { name: "c", shape: [1], ...extra },
];

test("valueProblem: each dtype's values", () => {
  assert.equal(valueProblem("int32", 2 ** 31 - 1), undefined);
  assert.match(valueProblem("int32", 2 ** 31)!, /from -2147483648 to 2147483647/);
  assert.equal(valueProblem("int64", -(2 ** 53)), undefined);
  assert.match(valueProblem("int64", 1e20)!, /within ±2\^53/);
  assert.match(valueProblem("int64", 1.5)!, /an integer/);
  assert.match(valueProblem("int32", NaN)!, /int32 has no NaN/);
  assert.equal(valueProblem("float32", NaN), undefined);
  assert.equal(valueProblem("float32", -Infinity), undefined);
  assert.equal(valueProblem("float32", 3.4e38), undefined);
  assert.match(valueProblem("float32", 1e39)!, /becomes infinity/);
  assert.equal(valueProblem("float64", 1e300), undefined);
  assert.equal(valueProblem("bool", false), undefined);
  assert.equal(valueProblem("bool", 1), "true or false");
});

test("validateInputs: a value or range beyond the dtype names the field, expected and found", () => {
  assert.throws(() => validateInputs(input({ dtype: "int64", value: 1e20 }), fail), {
    message:
      /^field 'model\.inputs\[1\]\.value': expected an integer within ±2\^53 .*found 100000000000000000000$/,
  });
  assert.throws(() => validateInputs(input({ dtype: "int32", range: [-1e12, 1e12] }), fail), {
    message:
      "field 'model.inputs[1].range': expected [low, high) with values from -2147483648 to 2147483647 (int32), found [-1000000000000,1000000000000]",
  });
  // high is exclusive: [0, 2^31) holds int32 values only
  assert.deepEqual(validateInputs(input({ dtype: "int32", range: [0, 2 ** 31] }), fail)[1]!.range, [
    0,
    2 ** 31,
  ]);
  assert.throws(() => validateInputs(input({ dtype: "int32", value: NaN }), fail), { message: /found NaN$/ });
});

test("show: NaN and infinities as such (JSON would say null), control characters escaped", () => {
  assert.equal(show(NaN), "NaN");
  assert.equal(show([1, -Infinity]), "[1,-Infinity]");
  assert.equal(show("a\u0000b"), '"a\\u0000b"');
});
