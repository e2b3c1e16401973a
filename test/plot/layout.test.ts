/**
 * Layout facts of the plots and the report, checked in a real Chromium: no legend box covers a data
 * point, a line, an error bar or a band (for the README's examples, the memory plot, the ratio plot, the
 * report, and figures whose data fill every corner), and the report's tables fit its width.
 * With MLPROF_SCREENSHOTS=<folder> the test also writes the PNGs and a screenshot of the report there
 * (scripts/screenshots.sh refreshes docs/screenshots/ this way).
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "puppeteer-core";
import { buildRuntimeFigure, type PlotSeries } from "../../src/plot/figure.js";
import { buildQuantityFigure, pointSeries } from "../../src/plot/quantity.js";
import { buildRatioFigure } from "../../src/plot/ratio.js";
import { closeRenderer, renderFigure } from "../../src/plot/render.js";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { legendFacts, loadPage, openBrowser, tableWidths } from "../helpers/layout.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
const SHOTS = process.env.MLPROF_SCREENSHOTS;
const shot = (file: string, name = basename(file)) => {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  copyFileSync(file, join(SHOTS, name));
};

let browser: Browser;
before(async () => {
  browser = await openBrowser();
});
after(async () => {
  await browser.close();
  await closeRenderer();
});

/** Asserts that no legend of the page covers data, and that the page has plots with data. */
async function assertLegendsClear(html: string, width = 1200): Promise<string[]> {
  const page = await loadPage(browser, html, width);
  try {
    const facts = await legendFacts(page);
    assert.ok(facts.length > 0, `${html}: no plot`);
    for (const f of facts) {
      assert.ok(f.points > 0, `${html}: a plot without data points`);
      assert.deepEqual(f.covered, [], `${html}: the legend covers data`);
    }
    return (await page.evaluate("String(window.mlprofLegend ?? '')")) as string[];
  } finally {
    await page.close();
  }
}

describe("legends placed from the data (synthetic figures)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mlprof-layout-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bs = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
  const curve = (label: string, f: (b: number) => number, spread = 0.05): PlotSeries => ({
    label,
    batchSizes: bs,
    median: bs.map(f),
    low: bs.map((b) => f(b) * (1 - spread)),
    high: bs.map((b) => f(b) * (1 + spread)),
  });
  const opts = { yLog: false, xLog: false, bsNormalized: true, errorStyle: "band" as const };

  const cases: [string, () => { data: object[]; layout: object }][] = [
    [
      "falling per-event curves on the linear axis",
      () =>
        buildRuntimeFigure(
          [curve("DNN 10x128", (b) => 0.01 + 1 / b), curve("CNN", (b) => 0.5 + 0.2 / b)],
          opts,
        ),
    ],
    [
      "curves and bands in every corner",
      () =>
        buildRuntimeFigure(
          [
            curve("a long label of a model measured in a release, emulated", () => 1, 0.02),
            curve("rising", (b) => 0.1 + (0.9 * Math.log2(b)) / 10, 0.3),
            curve("falling", (b) => 1 - (0.9 * Math.log2(b)) / 10, 0.3),
            curve("low", () => 0.1, 0.05),
          ],
          { ...opts, xLog: true },
        ),
    ],
    [
      "error bars on log axes",
      () =>
        buildRuntimeFigure([curve("A", (b) => 1 / b), curve("B", (b) => 2 / b, 0.2)], {
          ...opts,
          xLog: true,
          yLog: true,
          errorStyle: "bars",
        }),
    ],
    [
      "ratio plot with verdict markers and the noise band",
      () =>
        buildRatioFigure(
          bs.map((b, i) => ({
            batchSize: b,
            ratio: [1.2, 0.9, 1.01][i % 3]!,
            low: [1.1, 0.85, 0.98][i % 3]!,
            high: [1.3, 0.95, 1.04][i % 3]!,
            verdict: ["slower", "faster", "same"][i % 3]!,
          })),
          { a: "A", b: "B" },
          0.05,
          { xLog: true, yLog: false },
        ),
    ],
    [
      "memory stages that coincide",
      () =>
        buildQuantityFigure(
          ["before loading", "after loading", "after warm-up", "peak"].map((l, i) =>
            pointSeries(
              l,
              bs,
              bs.map(() => 45 + (i > 0 ? 5.7 : 0)),
            ),
          ),
          { ...opts, bsNormalized: false },
          { title: "Resident memory [MiB]", unit: "MiB", fit: true, legendTitle: "ONNX 10x128" },
        ),
    ],
  ];
  for (const [name, make] of cases) {
    test(name, async () => {
      const html = join(dir, `${name.replace(/\W+/g, "_")}.html`);
      await renderFigure(make(), { html, png: html.replace(/\.html$/, ".png") });
      await assertLegendsClear(html);
    });
  }

  test("when every spot inside covers data, the legend goes below the plot", async () => {
    const wall = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95].map((v, i) => curve(`level ${i}`, () => v, 0.12));
    const html = join(dir, "wall.html");
    await renderFigure(buildRuntimeFigure(wall, { ...opts, yMin: 0, yMax: 1 }), { html });
    const placed = await assertLegendsClear(html);
    assert.equal(String(placed), "below the plot");
  });
});

describe("the README's examples, the memory plot and the report, measured for real", () => {
  const data = tempData();
  after(() => data.cleanup());
  before(() => ensureBuilt());
  const htmlOf = (stdout: string) =>
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("/") && l.endsWith(".html"));
  const pngOf = (stdout: string) =>
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("/") && l.endsWith(".png"));
  const quick = ["--n-calls", "20", "--repeats", "1", "--file-types", "pdf,png"];
  const models = [
    join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
    join(EXAMPLES, "cnn", "model_onnx_i32c1v1l10u128.yaml"),
    join(EXAMPLES, "cnn", "model_onnx_i32c1v3l10u128.yaml"),
  ].join(",");
  const batchSizes = "1,2,4,8,16,32,64,128,256";

  test("the quickstart's PlotRuntimes", async () => {
    const res = await mlprof(["run", "PlotRuntimes", "--version", "readme", ...quick], data.env);
    assert.equal(res.code, 0, res.stderr);
    await assertLegendsClear(htmlOf(res.stdout)[0]!);
    shot(pngOf(res.stdout)[0]!, "quickstart.png");
  });

  test("PlotMultiRuntimes of three ONNX models on a log axis, with the linear-axis hint", async () => {
    const args = ["--version", "readme", "--model-files", models, "--batch-sizes", batchSizes, ...quick];
    const res = await mlprof(["run", "PlotMultiRuntimes", ...args, "--y-log", "True"], data.env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stdout,
      /^warning: the batch sizes span 1 to 256 on a linear x axis( \(batch sizes? [\d, ]+ without tick labels\))?: --x-log True spaces them evenly: PlotMultiRuntimes/m,
    );
    await assertLegendsClear(htmlOf(res.stdout)[0]!);
    shot(pngOf(res.stdout)[0]!, "multi-runtimes.png");
    const memory = await mlprof(
      [
        "run",
        "PlotMemory",
        ...args.slice(0, 2),
        "--model-file",
        models.split(",")[0]!,
        "--batch-sizes",
        batchSizes,
        ...quick,
      ],
      data.env,
    );
    assert.equal(memory.code, 0, memory.stderr);
    await assertLegendsClear(htmlOf(memory.stdout)[0]!);
    shot(pngOf(memory.stdout)[0]!, "memory.png");
  });

  test("the report: legends clear, tables within the page's 1200 px", async () => {
    const res = await mlprof(
      [
        "run",
        "Report",
        "--version",
        "readme",
        "--model-files",
        models,
        "--batch-sizes",
        batchSizes,
        "--n-calls",
        "20",
        "--repeats",
        "1",
      ],
      data.env,
    );
    assert.equal(res.code, 0, res.stderr);
    const html = htmlOf(res.stdout)[0]!;
    assert.ok(existsSync(html));
    await assertLegendsClear(html);
    const page = await loadPage(browser, html, 1200);
    try {
      const { viewport, tables, scrolling } = await tableWidths(page);
      assert.equal(viewport, 1200);
      assert.ok(tables.length >= 3, "summary, memory and metadata tables");
      for (const right of tables)
        assert.ok(right <= viewport, `a table ends at ${right} px, beyond ${viewport}`);
      assert.equal(scrolling, 0, "no table scrolls sideways");
      if (SHOTS) {
        // at half the size: the page is long, the PNG stays small
        await page.setViewport({ width: 1200, height: 900, deviceScaleFactor: 0.5 });
        await page.screenshot({ path: join(SHOTS, "report.png"), fullPage: true });
      }
    } finally {
      await page.close();
    }
  });
});
