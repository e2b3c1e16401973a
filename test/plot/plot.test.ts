import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { findChromium } from "../../src/plot/chromium.js";
import {
  buildRuntimeFigure,
  labelledTicks,
  resized,
  type PlotOptions,
  type PlotSeries,
} from "../../src/plot/figure.js";
import { latexToPlotly } from "../../src/plot/labels.js";
import { renderFigure } from "../../src/plot/render.js";
import { chromiumOrSkip } from "../helpers/skip.js";

// Loose views of the Plotly JSON, for assertions only.
type Trace = Record<string, unknown> & { y?: number[]; fill?: string; error_y?: Record<string, unknown> };
type Axis = Record<string, unknown> & { title: { text: string }; range?: number[] };
type Layout = Record<string, unknown> & { xaxis: Axis; yaxis: Axis; annotations: { text: string }[] };

const SERIES: PlotSeries[] = [
  {
    label: "ResNet-50 (ONNX)",
    batchSizes: [1, 4, 16, 64],
    median: [2, 5, 16, 60],
    low: [1.8, 4.6, 15, 55],
    high: [2.4, 5.5, 18, 66],
  },
  {
    label: "DeepJet $\\rightarrow$ TF",
    batchSizes: [1, 2, 8, 64],
    median: [4, 5, 9, 40],
    low: [3.5, 4.5, 8, 36],
    high: [4.5, 5.6, 10, 45],
  },
];

const OPTS: PlotOptions = { yLog: false, xLog: false, bsNormalized: false, errorStyle: "band" };

function build(
  opts: Partial<PlotOptions> = {},
  series: PlotSeries[] = SERIES,
): { data: Trace[]; layout: Layout } {
  const figure = buildRuntimeFigure(series, { ...OPTS, ...opts });
  return { data: figure.data as Trace[], layout: figure.layout as Layout };
}

function hasCommand(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

void test("x axis has ticks exactly at the union of the batch sizes when they fit", () => {
  const { xaxis } = build({ xLog: true }).layout;
  assert.deepEqual(xaxis["tickvals"], [1, 2, 4, 8, 16, 64]);
  assert.deepEqual(xaxis["ticktext"], ["1", "2", "4", "8", "16", "64"]);
  assert.equal(xaxis.title.text, "Batch size");
});

void test("y axis title depends on bsNormalized", () => {
  assert.equal(build({ bsNormalized: false }).layout.yaxis.title.text, "Runtime [ms]");
  assert.equal(build({ bsNormalized: true }).layout.yaxis.title.text, "Runtime / batch size [ms]");
});

void test("log axes and log10 conversion of the y range", () => {
  const lin = build().layout;
  assert.equal(lin.xaxis["type"], "linear");
  assert.equal(lin.yaxis["type"], "linear");
  assert.equal(lin.yaxis.range, undefined);

  const log = build({ xLog: true, yLog: true, yMin: 0.1, yMax: 1000 }).layout;
  assert.equal(log.xaxis["type"], "log");
  assert.equal(log.yaxis["type"], "log");
  assert.deepEqual(log.yaxis.range, [-1, 3]);

  assert.deepEqual(build({ yMin: 1, yMax: 100 }).layout.yaxis.range, [1, 100]);
});

void test("a missing y bound is derived from the data", () => {
  const [lo, hi] = build({ yLog: true, yMin: 1 }).layout.yaxis.range ?? [];
  assert.equal(lo, 0);
  assert.ok(hi !== undefined && hi > Math.log10(66) && hi < Math.log10(66) + 0.5, `upper bound ${hi}`);

  const [lo2, hi2] = build({ yLog: true, yMax: 1000 }).layout.yaxis.range ?? [];
  assert.equal(hi2, 3);
  assert.ok(lo2 !== undefined && lo2 < Math.log10(1.8) && lo2 > Math.log10(1.8) - 0.5, `lower bound ${lo2}`);

  assert.deepEqual(build({ yMax: 200 }).layout.yaxis.range, [0, 200]);
  assert.throws(() => build({ yLog: true, yMin: 0 }), /yMin/);
  assert.throws(() => build({ yMin: 10, yMax: 5 }), /smaller/);
});

void test("band style: filled traces between the 16 % and 84 % quantiles", () => {
  const { data } = build({ errorStyle: "band" });
  const filled = data.flatMap((t, i) => (t.fill === "tonexty" ? [i] : []));
  assert.equal(filled.length, SERIES.length);
  const colors = new Set<unknown>();
  SERIES.forEach((s, k) => {
    const i = filled[k] as number;
    assert.deepEqual(data[i]?.y, s.high);
    assert.deepEqual(data[i - 1]?.y, s.low);
    assert.equal(data[i - 1]?.["fill"] ?? "none", "none");
    assert.match(String(data[i]?.["fillcolor"]), /^rgba\(.*, 0\.\d+\)$/);
    colors.add(data[i]?.["fillcolor"]);
  });
  assert.equal(colors.size, SERIES.length);
  const medians = data.filter((t) => t["mode"] === "lines+markers");
  assert.deepEqual(
    medians.map((t) => t.y),
    SERIES.map((s) => s.median),
  );
  assert.ok(medians.every((t) => t.error_y === undefined));
});

void test("bars style: asymmetric error bars on markers, no lines, no sideways shift", () => {
  const { data } = build({ errorStyle: "bars" });
  assert.equal(data.length, SERIES.length);
  assert.ok(data.every((t) => t.fill === undefined));
  assert.ok(data.every((t) => t["mode"] === "markers"));
  // the curves' intervals overlap at no shared batch size: every point stays at its batch size
  data.forEach((t, k) => assert.deepEqual(t["x"], SERIES[k]!.batchSizes));
  SERIES.forEach((s, k) => {
    const err = data[k]?.error_y;
    assert.equal(err?.["symmetric"], false);
    assert.deepEqual(
      err?.["array"],
      s.high.map((h, i) => h - (s.median[i] as number)),
    );
    assert.deepEqual(
      err?.["arrayminus"],
      s.median.map((m, i) => m - (s.low[i] as number)),
    );
  });
});

void test("legend labels, CMS header and top-right label", () => {
  const { data, layout } = build({ topRightLabel: "$\\sqrt{s}=13.6$ TeV" });
  const names = data.filter((t) => t["showlegend"] !== false).map((t) => t["name"]);
  assert.deepEqual(names, ["ResNet-50 (ONNX)", "DeepJet → TF"]);
  const texts = layout.annotations.map((a) => a.text);
  assert.deepEqual(texts, ["<b>CMS</b> <i>Simulation, MLProf</i>", "√s=13.6 TeV"]);
  assert.equal(build().layout.annotations.length, 1);
});

void test("series with mismatched lengths are rejected", () => {
  const bad = [{ ...SERIES[0], low: [1] } as PlotSeries];
  assert.throws(() => build({}, bad), /same length/);
});

void test("latexToPlotly converts simple LaTeX", () => {
  assert.equal(latexToPlotly("$\\circledast$"), "⊛");
  assert.equal(latexToPlotly("TF $\\rightarrow$ ONNX"), "TF → ONNX");
  assert.equal(latexToPlotly("$\\sqrt{s}=13.6$ TeV"), "√s=13.6 TeV");
  assert.equal(latexToPlotly("$2\\times3$"), "2×3");
  assert.equal(latexToPlotly("$\\mu$s"), "μs");
  assert.equal(latexToPlotly("$x^{2}$ and $p_{T}$"), "x<sup>2</sup> and p<sub>T</sub>");
  assert.equal(latexToPlotly("$m_\\mu^2$"), "m<sub>μ</sub><sup>2</sup>");
  assert.equal(latexToPlotly("$\\mathrm{GeV}$"), "GeV");
  assert.equal(latexToPlotly("$\\sqrt{a+b}$"), "√(a+b)");
  assert.equal(latexToPlotly("costs \\$5"), "costs $5");
});

void test("latexToPlotly leaves plain text alone and escapes HTML", () => {
  assert.equal(latexToPlotly("ResNet-50 (batch 4, fp32)"), "ResNet-50 (batch 4, fp32)");
  assert.equal(latexToPlotly("a<b> & c"), "a&lt;b&gt; &amp; c");
  assert.equal(latexToPlotly("$x<y$"), "x&lt;y");
  assert.equal(latexToPlotly("price $5"), "price 5");
});

void test("findChromium fails with a helpful message when nothing is found", () => {
  assert.throws(
    () => findChromium({ PATH: "" }),
    (error: Error) =>
      /chromium/.test(error.message) &&
      /apt-get install chromium/.test(error.message) &&
      /MLPROF_CHROMIUM=\/path\/to\/chrome/.test(error.message),
  );
  assert.throws(
    () => findChromium({ PATH: "", MLPROF_CHROMIUM: "/nonexistent/chrome" }),
    /MLPROF_CHROMIUM=\/nonexistent\/chrome is not an executable file; set MLPROF_CHROMIUM to Chromium's path/,
  );
  // a named browser that does not exist is an error even where another one is on PATH
  const path = process.env.PATH ?? "";
  assert.throws(
    () => findChromium({ PATH: path, MLPROF_CHROMIUM: "no-such-browser-xyz" }),
    /MLPROF_CHROMIUM=no-such-browser-xyz is not a command on PATH/,
  );
  assert.equal(findChromium({ PATH: "", MLPROF_CHROMIUM: process.execPath }), process.execPath);
});

const chromium = chromiumOrSkip();

void test("renders PDF, PNG and HTML with the text really drawn", { skip: chromium.skip }, async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mlprof-plot-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const targets = {
    pdf: path.join(dir, "runtime.pdf"),
    png: path.join(dir, "runtime.png"),
    html: path.join(dir, "runtime.html"),
  };
  const topRight = "$\\sqrt{s}=13.6$ TeV, CPU";
  const figure = buildRuntimeFigure(SERIES, { ...OPTS, xLog: true, yLog: true, topRightLabel: topRight });
  await renderFigure(figure, targets);

  assert.deepEqual((await readdir(dir)).sort(), ["runtime.html", "runtime.pdf", "runtime.png"]);
  const pdf = await readFile(targets.pdf);
  assert.equal(pdf.subarray(0, 4).toString("latin1"), "%PDF");
  assert.ok(pdf.length > 10_000, `PDF size ${pdf.length}`);
  const png = await readFile(targets.png);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.ok(png.length > 30_000, `PNG size ${png.length}`);
  assert.equal(png.readUInt32BE(16), 1250, "PNG width: 800 CSS px at 150 dpi");
  assert.equal(png.readUInt32BE(20), 938, "PNG height: 600 CSS px at 150 dpi");
  assert.equal(png.subarray(37, 41).toString("latin1"), "pHYs", "the resolution is recorded");
  assert.equal(png.readUInt32BE(41), Math.round(150 / 0.0254), "150 dpi in pixels per metre");
  if (hasCommand("pdfimages")) {
    const images = execFileSync("pdfimages", ["-list", targets.pdf], { encoding: "utf8" });
    assert.equal(images.trim().split("\n").length, 2, `the PDF is vector (no raster images):\n${images}`);
  }
  const html = await readFile(targets.html, "utf8");
  assert.match(html, /<div id="plot">/);
  assert.match(html, /Plotly\.newPlot/);
  assert.doesNotMatch(html, /<script[^>]*\bsrc=/i);

  if (hasCommand("pdftotext")) {
    const text = execFileSync("pdftotext", [targets.pdf, "-"], { encoding: "utf8" });
    for (const expected of ["CMS", "Simulation, MLProf", "Batch size", "Runtime [ms]", "ResNet-50 (ONNX)"]) {
      assert.ok(text.includes(expected), `PDF text lacks "${expected}":\n${text}`);
    }
    assert.ok(text.includes("DeepJet → TF"), "legend label with converted LaTeX");
    assert.ok(text.includes("√s=13.6 TeV, CPU"), "top-right label");
  }
});

void test("a failing render throws and leaves no files", async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), "mlprof-plot-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const targets = {
    pdf: path.join(dir, "a.pdf"),
    png: path.join(dir, "a.png"),
    html: path.join(dir, "a.html"),
  };
  await assert.rejects(
    renderFigure(buildRuntimeFigure(SERIES, OPTS), targets, { chromium: "/bin/false" }),
    /Failed to launch Chromium/,
  );
  assert.deepEqual(await readdir(dir), []);
});

void test("bars style: points whose bars would coincide are spread, the others stay at their batch size", () => {
  const twin = (label: string, last: number): PlotSeries => ({
    label,
    batchSizes: [1, 10, 100],
    median: [1, 5, last],
    low: [0.9, 4.5, last - 0.5],
    high: [1.1, 5.5, last + 0.5],
  });
  const { data } = build({ errorStyle: "bars", xLog: true }, [twin("a", 9), twin("b", 12)]);
  const [a, b] = data.map((t) => t["x"] as number[]);
  // at batch sizes 1 and 10 the bars coincide (spread symmetrically), at 100 they are apart
  assert.ok(a![0]! < 1 && b![0]! > 1 && Math.abs(a![0]! * b![0]! - 1) < 1e-9, `${a} ${b}`);
  assert.ok(a![1]! < 10 && b![1]! > 10);
  assert.deepEqual([a![2], b![2]], [100, 100]);
  assert.deepEqual(data[0]!["customdata"], [1, 10, 100], "hover shows the batch size");
});

test("crowded batch-size axes label a readable subset, always the first and last size", () => {
  const sizes = Array.from({ length: 25 }, (_, i) => i + 1);
  assert.deepEqual(labelledTicks(sizes, true), [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 14, 17, 25]);
  assert.deepEqual(
    labelledTicks([1, 2, 4, 8, 16, 32, 64, 128, 256], true),
    [1, 2, 4, 8, 16, 32, 64, 128, 256],
  );
  assert.deepEqual(labelledTicks([1, 2, 4, 8, 16, 32, 64, 128, 256], false), [1, 16, 32, 64, 128, 256]);
  assert.deepEqual(labelledTicks([4], false), [4]);
});

test("a figure resized for the report: text and margins in proportion (the smaller of 560/800 and 430/600), x labels chosen for its width", () => {
  const bs = [1, 2, 4, 8, 16, 32, 64, 128, 256];
  const series = [{ label: "A", batchSizes: bs, median: bs, low: bs, high: bs }];
  const figure = buildRuntimeFigure(series, OPTS);
  const small = resized(figure, 560, 430).layout as Layout & {
    font: { size: number };
    legend: { font: { size: number } };
    margin: { l: number };
  };
  assert.equal(small["width"], 560);
  assert.equal(small.font.size, Math.round(22 * 0.7));
  assert.equal(small.legend.font.size, Math.round(20 * 0.7));
  assert.equal(small.margin.l, Math.round(80 * 0.7));
  const labels = (l: Layout) => (l.xaxis["ticktext"] as string[]).filter((t) => t !== "");
  assert.deepEqual(labels(figure.layout as Layout), ["1", "16", "32", "64", "128", "256"]);
  assert.deepEqual(labels(small), labels(figure.layout as Layout), "text and plot area shrink alike");
  // a wide, flat figure: smaller text on a plot area as wide as before, so more labels fit
  assert.deepEqual(labels(resized(figure, 800, 300).layout as Layout), [
    "1",
    "8",
    "16",
    "32",
    "64",
    "128",
    "256",
  ]);
  assert.deepEqual(small.xaxis["tickvals"], bs, "a tick at every batch size still");
  assert.equal(resized(figure, 800, 600), figure);
});
