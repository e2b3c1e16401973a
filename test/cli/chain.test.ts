/** The task chain end to end through the real command line, with the real ONNX Runtime and Chromium. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { EXAMPLES, FIXTURES, listFiles, mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());
const dnn = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
const common = [
  "--version",
  "chain",
  "--model-file",
  dnn,
  "--model-name",
  "dnn",
  "--n-events",
  "2",
  "--n-calls",
  "50",
];

function outputsOf(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("  /"))
    .map((l) => l.trim());
}

function pdfText(pdf: string): string {
  return execFileSync("pdftotext", ["-layout", pdf, "-"], { encoding: "utf8" });
}

test("MeasureRuntime writes repeats x n-events x n-calls rows (one fresh process per repeat) with metadata, and is not re-run when complete", async () => {
  const res = await mlprof(["run", "MeasureRuntime", ...common, "--batch-size", "4"], data.env);
  assert.equal(res.code, 0, res.stderr);
  const [csv, json] = outputsOf(res.stdout);
  assert.match(
    csv!,
    /MeasureRuntime\/CMSSW_14_1_0_pre4__el9_amd64_gcc12\/model_dnn__input_random__nevents_2__ncalls_50__threads_1\/chain\/runtime_bs_4\.csv$/,
  );
  const text = readFileSync(csv!, "utf8");
  const rows = text.split("\n").filter((l) => l);
  assert.equal(rows.length, 300, "3 repeats (the default) of 2 x 50 calls");
  for (const row of rows) {
    const [bs, ms] = row.split(",");
    assert.equal(bs, "4", "the original's rows only: no header, no comment lines");
    assert.ok(Number(ms) > 0 && Number(ms) < 1000, row);
  }
  const meta = JSON.parse(readFileSync(json!, "utf8"));
  assert.equal(meta.measurement.batchSize, 4);
  assert.equal(meta.measurement.csvColumns, "batch_size,runtime_ms");
  assert.equal(meta.measurement.nWarmup, 10);
  assert.match(meta.mlprof.revision, /./);
  assert.match(meta.host.cpuModel, /./);
  assert.equal(meta.process.engine.name, "onnxruntime");
  assert.deepEqual(meta.process.threads, { intraOp: 1, interOp: 1 });
  assert.equal(meta.process.rows, 100);
  assert.equal(meta.measurement.repeats, 3);
  assert.deepEqual(
    meta.repeats.map((r: { index: number; rows: number }) => [r.index, r.rows]),
    [
      [1, 100],
      [2, 100],
      [3, 100],
    ],
  );
  assert.equal(new Set(meta.repeats.map((r: { pid: number }) => r.pid)).size, 3, "three fresh processes");
  for (const r of meta.repeats) {
    assert.ok(r.timings.firstCallMs > 0, "the first call is timed on its own");
    assert.ok(r.medianMs > 0);
  }
  assert.ok(meta.process.memory.peakRssKb > 0);
  assert.equal(meta.cmssw.version, "CMSSW_14_1_0_pre4");
  assert.equal(meta.cmssw.executor, "local");
  assert.match(meta.model.graphSha256, /^[0-9a-f]{64}$/);

  const before = statSync(csv!).mtimeMs;
  const again = await mlprof(["run", "MeasureRuntime", ...common, "--batch-size", "4"], data.env);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /MeasureRuntime is already complete/);
  assert.equal(statSync(csv!).mtimeMs, before);
});

test("MergeRuntimes runs the missing measurements and concatenates their rows", async () => {
  const res = await mlprof(["run", "MergeRuntimes", ...common, "--batch-sizes", "4,1"], data.env);
  assert.equal(res.code, 0, res.stderr);
  const [merged] = outputsOf(res.stdout);
  assert.match(merged!, /runtimes_bs_1_4\.csv$/);
  const rowsOf = (p: string) =>
    readFileSync(p, "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"));
  const dir = join(
    merged!,
    "..",
    "..",
    "..",
    "..",
    "..",
    "MeasureRuntime",
    "CMSSW_14_1_0_pre4__el9_amd64_gcc12",
  );
  const measured = listFiles(dir).filter((f) => f.endsWith(".csv"));
  assert.deepEqual(
    measured.map((f) => f.split("/").pop()),
    ["runtime_bs_1.csv", "runtime_bs_4.csv"],
  );
  const expected = [...rowsOf(join(dir, measured[0]!)), ...rowsOf(join(dir, measured[1]!))];
  assert.deepEqual(rowsOf(merged!), expected);
});

test("PlotRuntimes renders a PDF, a PNG and an interactive HTML with the CMS header, axes, legend and label", async () => {
  const res = await mlprof(
    [
      "run",
      "PlotRuntimes",
      ...common,
      "--batch-sizes",
      "1,4",
      "--file-types",
      "pdf,png",
      "--top-right-label",
      "$\\sqrt{s}=13.6$ TeV",
      "--y-log",
      "True",
    ],
    data.env,
  );
  assert.equal(res.code, 0, res.stderr);
  const [pdf, png, html] = outputsOf(res.stdout);
  assert.match(pdf!, /PlotRuntimes\/.*\/chain\/runtimes_bs_1_4\.pdf$/);
  assert.equal(readFileSync(pdf!).subarray(0, 4).toString(), "%PDF");
  assert.ok(statSync(pdf!).size > 10_000);
  assert.deepEqual([...readFileSync(png!).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(statSync(png!).size > 20_000);
  const text = pdfText(pdf!);
  for (const s of [
    "CMS",
    "Simulation, MLProf",
    "Batch size",
    "Runtime / batch size [ms]",
    "ONNX 10x128",
    "√s=13.6 TeV",
  ]) {
    assert.ok(text.includes(s), `PDF text lacks '${s}':\n${text}`);
  }
  const page = readFileSync(html!, "utf8");
  assert.match(page, /ONNX 10x128/);
  assert.doesNotMatch(page, /<script[^>]+src=["']https?:/);
});

test("--print-status, --print-output and --remove-output behave as law's", async () => {
  const args = ["run", "PlotRuntimes", ...common, "--batch-sizes", "1,4", "--file-types", "pdf,png"];
  const status = await mlprof([...args, "--print-status", "-1"], data.env);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^0 > PlotRuntimes\(/m);
  assert.match(status.stdout, /1 > MergeRuntimes\(/);
  assert.equal((status.stdout.match(/2 > MeasureRuntime\(/g) ?? []).length, 2);
  assert.ok(!status.stdout.includes("absent"), status.stdout);

  const out = await mlprof([...args, "--print-output", "0"], data.env);
  assert.deepEqual(
    out.stdout
      .trim()
      .split("\n")
      .map((p) => p.split("/").pop()),
    ["runtimes_bs_1_4.pdf", "runtimes_bs_1_4.png", "runtimes_bs_1_4.html"],
  );
  const [pdf] = out.stdout.trim().split("\n");

  const dry = await mlprof([...args, "--remove-output", "1,d"], data.env);
  assert.match(dry.stdout, /would remove \(depth 0\) PlotRuntimes/);
  assert.match(dry.stdout, /would remove \(depth 1\) MergeRuntimes/);
  assert.ok(existsSync(pdf!));

  const measureCsv = listFiles(data.store).find((f) => f.endsWith("runtime_bs_1.csv"))!;
  const measuredAt = statSync(join(data.store, measureCsv)).mtimeMs;
  const removed = await mlprof([...args, "--remove-output", "0,a"], data.env);
  assert.equal(removed.code, 0);
  assert.ok(!existsSync(pdf!));
  const status2 = await mlprof([...args, "--print-status", "0"], data.env);
  assert.match(status2.stdout, /absent/);

  const rerun = await mlprof([...args, "--remove-output", "1,a,y"], data.env);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.ok(existsSync(pdf!));
  assert.equal(statSync(join(data.store, measureCsv)).mtimeMs, measuredAt, "depth 2 outputs are kept");
});

test("models with several inputs of other types, constant inputs and dynamic axes measure", async () => {
  for (const fixture of ["multi_input", "dynamic_axes"]) {
    const res = await mlprof(
      [
        "run",
        "MeasureRuntime",
        "--version",
        "fixtures",
        "--model-file",
        join(FIXTURES, `${fixture}.yaml`),
        "--batch-size",
        "3",
        "--n-calls",
        "7",
        "--repeats",
        "1",
      ],
      data.env,
    );
    assert.equal(res.code, 0, res.stderr);
    const [csv] = outputsOf(res.stdout);
    assert.equal(
      readFileSync(csv!, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("3,")).length,
      7,
    );
  }
});

test("an interrupted measurement leaves no CSV, and a re-run completes", async () => {
  const args = [
    "run",
    "MeasureRuntime",
    "--version",
    "interrupt",
    "--model-file",
    join(FIXTURES, "identity.yaml"),
    "--n-calls",
    "200000",
    "--repeats",
    "1",
  ];
  let sent = false;
  const res = await mlprof(args, data.env, {
    onStdout: (text, kill) => {
      if (!sent && /\d+\/200000 calls/.test(text)) {
        sent = true;
        kill("SIGINT");
      }
    },
  });
  assert.ok(sent, `no progress seen: ${res.stdout}`);
  assert.equal(res.code, 130, res.stderr);
  assert.match(res.stderr, /was interrupted/);
  assert.deepEqual(
    listFiles(data.store).filter((f) => f.includes("interrupt") || f.includes(".tmp")),
    [],
  );
  const rerun = await mlprof(args, data.env);
  assert.equal(rerun.code, 0, rerun.stderr);
  const [csv] = outputsOf(rerun.stdout);
  assert.equal(
    readFileSync(csv!, "utf8")
      .split("\n")
      .filter((l) => l.startsWith("1,")).length,
    200000,
  );
});

test("PlotMultiRuntimes draws one curve per model file, brace expansion included", async () => {
  const res = await mlprof(
    [
      "run",
      "PlotMultiRuntimes",
      "--version",
      "multi",
      "--model-files",
      `${EXAMPLES}/dnn/model_onnx_l10u128.yaml,${EXAMPLES}/cnn/model_onnx_i32c1v{1,3}l10u128.yaml`,
      "--batch-sizes",
      "1,2",
      "--n-calls",
      "20",
      "--error-style",
      "bars",
    ],
    data.env,
  );
  assert.equal(res.code, 0, res.stderr);
  const [pdf] = outputsOf(res.stdout);
  const text = pdfText(pdf!);
  for (const label of ["ONNX 10x128", "ONNX 32x1⊛1→10x128", "ONNX 32x1⊛3→10x128"]) {
    assert.ok(text.includes(label), `legend lacks '${label}':\n${text}`);
  }
  assert.equal(
    listFiles(data.store).filter(
      (f) => f.startsWith("MergeRuntimes") && f.includes("multi") && f.endsWith(".csv"),
    ).length,
    3,
  );
});
