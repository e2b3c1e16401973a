/**
 * Parsing of the headers tfcompile (saved_model_cli aot_compile_cpu) writes, combining them across batch
 * sizes, and the template context both the local runner and the CMSSW plugin are rendered from (one entry
 * per result: the original's renderer sized the outputs by the number of inputs).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { combineAotHeaders, parseAotHeader, samePositions } from "../../src/engines/tfaot/header.js";
import { aotTemplateContext } from "../../src/engines/tfaot/render.js";
import { MlprofError } from "../../src/util/errors.js";
import { fakeHeader as header, type FakeTensor as Fake } from "../helpers/tfaot-fakes.js";

// the argument order of tfcompile follows the signature map, not the declaration order
const ARGS = (bs: number): Fake[] => [
  { type: "s64", shape: [bs, 2], name: "counts", ctype: "int64_t" },
  { type: "f32", shape: [bs, 4], name: "x", ctype: "float" },
  { type: "s32", shape: [bs, 3], name: "ids", ctype: "int32_t" },
  { type: "f64", shape: [bs, 2, 2], name: "scale", ctype: "double" },
  { type: "pred", shape: [bs, 1], name: "flag", ctype: "bool" },
];
const RESULTS = (bs: number): Fake[] => [
  { type: "f32", shape: [bs, 3], name: "probs", ctype: "float" },
  { type: "f64", shape: [bs], name: "aux", ctype: "double" },
];

describe("one header", () => {
  test("namespace, class, batch size, and per argument and result: name, dtype, shape, count", () => {
    const h = parseAotHeader(header(2, ARGS(2), RESULTS(2)), "/c/model_bs2.h");
    assert.equal(h.namespace, "mlprof_aot");
    assert.equal(h.prefix, "model");
    assert.equal(h.className, "mlprof_aot::model_bs2");
    assert.equal(h.batchSize, 2);
    assert.deepEqual(
      h.args.map((a) => [a.index, a.name, a.dtype, a.shape, a.count]),
      [
        [0, "counts", "int64", [2, 2], 4],
        [1, "x", "float32", [2, 4], 8],
        [2, "ids", "int32", [2, 3], 6],
        [3, "scale", "float64", [2, 2, 2], 8],
        [4, "flag", "bool", [2, 1], 2],
      ],
    );
    assert.deepEqual(
      h.results.map((r) => [r.index, r.name, r.dtype, r.shape, r.count]),
      [
        [0, "probs", "float32", [2, 3], 6],
        [1, "aux", "float64", [2], 2],
      ],
    );
  });

  test("unnamed arguments and results keep their positional names", () => {
    const args = ARGS(1).map((a) => ({ ...a, name: undefined }));
    const h = parseAotHeader(header(1, args, RESULTS(1).slice(0, 1)), "m_bs1.h");
    assert.deepEqual(
      h.args.map((a) => a.name),
      ["arg0", "arg1", "arg2", "arg3", "arg4"],
    );
    assert.deepEqual(
      h.results.map((r) => r.name),
      ["probs"],
    );
  });

  test("unsupported element types, inconsistent counts and foreign files are refused", () => {
    const f16 = header(1, [{ type: "f16", shape: [1, 4], ctype: "Eigen::half" }], RESULTS(1));
    assert.throws(
      () => parseAotHeader(f16, "h.h"),
      /arg 0 has the element type f16, which MLProf does not measure/,
    );
    const bad = header(1, ARGS(1), RESULTS(1)).replace("return 4;", "return 5;");
    assert.throws(
      () => parseAotHeader(bad, "h.h"),
      /arg1_count\(\) is 5 but the signature's shape \[1, 4\] has 4/,
    );
    assert.throws(
      () => parseAotHeader("int main() {}", "x.h"),
      (err: unknown) => err instanceof MlprofError && /AOT header x\.h: no class/.test(err.message),
    );
    const noSig = header(1, ARGS(1), RESULTS(1)).replace("The logical function signature is:", "");
    assert.throws(() => parseAotHeader(noSig, "h.h"), /signature comment is missing/);
  });
});

describe("headers of several batch sizes", () => {
  const parse = (bs: number, args = ARGS(bs), results = RESULTS(bs)) =>
    parseAotHeader(header(bs, args, results), `/c/model_bs${bs}.h`);

  test("combine into counts per batch element, sorted by batch size", () => {
    const sig = combineAotHeaders([parse(4), parse(1), parse(2)]);
    assert.deepEqual(sig.batchSizes, [1, 2, 4]);
    assert.deepEqual(
      sig.args.map((a) => [a.name, a.dtype, a.shape, a.count]),
      [
        ["counts", "int64", [2], 2],
        ["x", "float32", [4], 4],
        ["ids", "int32", [3], 3],
        ["scale", "float64", [2, 2], 4],
        ["flag", "bool", [1], 1],
      ],
    );
    assert.deepEqual(
      sig.results.map((r) => [r.name, r.count]),
      [
        ["probs", 3],
        ["aux", 1],
      ],
    );
  });

  test("another order at another batch size is recorded per header (tfcompile follows the signature map)", () => {
    const shuffled = parse(2, [...ARGS(2)].reverse(), [...RESULTS(2)].reverse());
    const sig = combineAotHeaders([parse(1), shuffled]);
    assert.deepEqual(
      sig.args.map((a) => a.name),
      ["counts", "x", "ids", "scale", "flag"],
    );
    assert.deepEqual(sig.headers[0]!.argIndex, [0, 1, 2, 3, 4]);
    assert.deepEqual(sig.headers[1]!.argIndex, [4, 3, 2, 1, 0]);
    assert.deepEqual(sig.headers[1]!.resultIndex, [1, 0]);
    assert.equal(samePositions(sig), false);
    assert.equal(samePositions(combineAotHeaders([parse(1), parse(2)])), true);
  });

  test("disagreeing headers and arguments without a batch dimension are refused", () => {
    const other = parse(2, ARGS(2).slice(1));
    assert.throws(
      () => combineAotHeaders([parse(1), other]),
      /disagree on the inputs or outputs per batch element/,
    );
    const unbatched = parse(2, [{ type: "f32", shape: [4], name: "x", ctype: "float" }]);
    assert.throws(
      () => combineAotHeaders([unbatched]),
      /argument 'x' has the shape \[4\], without the batch dimension 2 first/,
    );
    const renamed = parseAotHeader(header(2, ARGS(2), RESULTS(2), "other"), "/c/model_bs2.h");
    assert.throws(() => combineAotHeaders([parse(1), renamed]), /declare different classes/);
    assert.throws(() => combineAotHeaders([]), /no AOT headers/);
  });

  test("the template context has one entry per argument and per result, with C++ and tfaot types", () => {
    const ctx = aotTemplateContext(combineAotHeaders([parse(1), parse(2)])) as {
      args: { name: string; ctype: string; array: string; dtype_enum: string; count: number }[];
      results: { name: string; ctype: string; array: string; count: number }[];
      headers: { file: string; batch_size: number; class_name: string }[];
    };
    assert.deepEqual(
      ctx.args.map((a) => [a.name, a.ctype, a.array, a.dtype_enum, a.count]),
      [
        ["counts", "int64_t", "tfaot::Int64Arrays", "Int64", 2],
        ["x", "float", "tfaot::FloatArrays", "Float32", 4],
        ["ids", "int32_t", "tfaot::Int32Arrays", "Int32", 3],
        ["scale", "double", "tfaot::DoubleArrays", "Float64", 4],
        ["flag", "bool", "tfaot::BoolArrays", "Bool", 1],
      ],
    );
    assert.equal(ctx.results.length, 2);
    assert.deepEqual(
      ctx.results.map((r) => [r.name, r.array, r.count]),
      [
        ["probs", "tfaot::FloatArrays", 3],
        ["aux", "tfaot::DoubleArrays", 1],
      ],
    );
    assert.deepEqual(
      ctx.headers.map((h) => [h.file, h.batch_size, h.class_name]),
      [
        ["model_bs1.h", 1, "mlprof_aot::model_bs1"],
        ["model_bs2.h", 2, "mlprof_aot::model_bs2"],
      ],
    );
  });
});
