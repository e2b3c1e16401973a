/** CompareRuntimes end to end: verdicts, ratio plot, JSON and table, and the CI exit status. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { REGRESSION_EXIT_CODE } from "../../src/tasks/compare.js";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());
const small = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
const big = join(EXAMPLES, "dnn", "model_onnx_l20u256.yaml");

const compare = (a: string, b: string, ...extra: string[]) => [
  "run",
  "CompareRuntimes",
  "--version",
  "cmp",
  "--model-files",
  `${a},${b}`,
  "--model-names",
  a === small ? "small,big" : "big,small",
  "--batch-sizes",
  "1,2",
  "--n-calls",
  "100",
  "--file-types",
  "png",
  ...extra,
];

function outputsOf(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("  /"))
    .map((l) => l.trim());
}

interface CompareJson {
  regression: boolean;
  regressedBatchSizes: number[];
  results: {
    batchSize: number;
    verdict: string;
    ratio: { ratio: number; low: number; high: number };
    mannWhitney: { pValue: number; probBGreater: number };
    basis: string;
    pValue: number;
    processes: { nA: number; nB: number; df: number; pValue: number };
    a: { summary: { n: number; median: number }; repeats: { n: number; medians: number[] } };
    b: { summary: { n: number; median: number }; repeats: { n: number; medians: number[] } };
  }[];
}

test("the 20x256 DNN is slower than the 10x128 one at every batch size, with ratio plot, JSON and table", async () => {
  const res = await mlprof(compare(small, big), data.env);
  assert.equal(res.code, 0, res.stderr);
  const [json, txt, png, html] = outputsOf(res.stdout);
  assert.match(json!, /CompareRuntimes\/.*\/model_small__vs__model_big__.*\/cmp\/compare_bs_1_2\.json$/);
  const result = JSON.parse(readFileSync(json!, "utf8")) as CompareJson;
  assert.equal(result.regression, true);
  assert.deepEqual(result.regressedBatchSizes, [1, 2]);
  for (const r of result.results) {
    assert.equal(r.verdict, "slower");
    // three fresh processes per side (the default), the verdict across them
    assert.equal(r.basis, "processes");
    assert.equal(r.a.repeats.n, 3);
    assert.equal(r.a.summary.n, 300);
    assert.deepEqual([r.processes.nA, r.processes.nB], [3, 3]);
    assert.ok(r.pValue === r.processes.pValue && r.pValue < 0.05, JSON.stringify(r.processes));
    assert.ok(
      r.ratio.ratio > 2 && r.ratio.low > 1 && r.ratio.low <= r.ratio.ratio && r.ratio.ratio <= r.ratio.high,
    );
    assert.ok(r.mannWhitney.pValue < 1e-6 && r.mannWhitney.probBGreater > 0.9, JSON.stringify(r.mannWhitney));
  }
  const table = readFileSync(txt!, "utf8");
  assert.match(table, /^A: ONNX 10x128 \(/m);
  assert.match(table, /^B: ONNX 20x256 \(/m);
  assert.match(table, /^ {4}1 .* slower$/m);
  assert.match(table, /^regression: B is slower than A beyond 5\.0 % at batch size\(s\) 1, 2$/m);
  assert.ok(res.stdout.includes(table.trim()), "the table is printed at the end");
  assert.deepEqual([...readFileSync(png!).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const page = readFileSync(html!, "utf8");
  // a short axis title; the subtitle names A and B
  assert.match(page, /"text":"Runtime ratio B \/ A"/);
  assert.match(page, /"text":"A: ONNX 10x128\\u003cbr>B: ONNX 20x256"/);
  // each verdict is a marker trace of its own, in the legend
  assert.match(page, /"mode":"markers","x":\[1,2\],"y":\[[\d.,]+\],"name":"B slower"/);
  assert.match(page, /"name":"noise threshold ±5 %"/);
});

test("--fail-on-regression exits non-zero on the regression, also when the comparison exists", async () => {
  for (let i = 0; i < 2; i++) {
    const res = await mlprof(compare(small, big, "--fail-on-regression"), data.env);
    assert.equal(res.code, REGRESSION_EXIT_CODE, `call ${i + 1}: ${res.stdout}\n${res.stderr}`);
    assert.match(
      res.stderr,
      /error: ONNX 20x256 is slower than ONNX 10x128 beyond 5\.0 % at batch size\(s\) 1, 2/,
    );
    assert.match(res.stdout, /regression: B is slower than A/);
  }
  const reversed = await mlprof(compare(big, small, "--fail-on-regression"), data.env);
  assert.equal(reversed.code, 0, reversed.stderr);
  const result = JSON.parse(readFileSync(outputsOf(reversed.stdout)[0]!, "utf8")) as CompareJson;
  assert.deepEqual(
    result.results.map((r) => r.verdict),
    ["faster", "faster"],
  );
  assert.match(reversed.stdout, /no regression: B is nowhere slower than A beyond 5\.0 %/);
});

test("a comparison needs two different measurement sets", async () => {
  const before = listFiles(data.store);
  const same = await mlprof(
    ["run", "CompareRuntimes", "--version", "cmp", "--model-files", `${small},${small}`],
    data.env,
  );
  assert.equal(same.code, 1);
  assert.match(same.stderr, /nothing to compare: A and B are the same measurement/);
  const three = await mlprof(
    ["run", "CompareRuntimes", "--version", "cmp", "--model-files", `${small},${big},${small}`],
    data.env,
  );
  assert.equal(three.code, 1);
  assert.match(three.stderr, /--model-files: expected one value \(shared\) or two \(A,B\), found 3/);
  const threshold = await mlprof(compare(small, big, "--noise-threshold", "1.5"), data.env);
  assert.match(threshold.stderr, /--noise-threshold: expected a fraction in \[0, 1\), found 1\.5/);
  assert.deepEqual(listFiles(data.store), before, "nothing measured or written");
});
