/** The Report task: one offline HTML page with plots, tables, metadata and warnings. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import puppeteer from "puppeteer-core";
import { findChromium } from "../../src/plot/chromium.js";
import { reportHtml } from "../../src/report/html.js";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());

function chromiumOrUndefined(): string | undefined {
  try {
    return findChromium();
  } catch {
    return undefined;
  }
}

test("the page escapes user text and inlines the given plotly source", () => {
  const page = reportHtml(
    {
      title: "a <b> & c",
      subtitle: ["</script><script>alert(1)</script>"],
      warnings: ["drift: 'x' > y"],
      figures: [{ heading: "F", figure: { data: [{ name: "</script>" }], layout: {} } }],
      tables: [{ heading: "T", header: ["h"], rows: [["<td>"]], numeric: [0] }],
      notes: ["n"],
    },
    "/* plotly */",
  );
  assert.match(page, /<title>a &lt;b&gt; &amp; c<\/title>/);
  assert.ok(!page.includes("<script>alert(1)"));
  assert.ok(page.includes('{"name":"\\u003c/script>"}'), "figure JSON cannot end the script");
  assert.match(page, /<li>drift: &#39;x&#39; &gt; y<\/li>/);
  assert.match(page, /<td class="num">&lt;td&gt;<\/td>/);
  assert.equal(page.match(/<script>\/\* plotly \*\/<\/script>/g)?.length, 1);
});

const chromium = chromiumOrUndefined();
let reportPath: string | undefined;

test("Report of the DNN and CNN examples: plots, tables, metadata and warnings, drawn offline", async () => {
  const res = await mlprof(
    [
      "run",
      "Report",
      "--version",
      "rep",
      "--model-files",
      `${join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml")},${join(EXAMPLES, "cnn", "model_onnx_i32c1v1l10u128.yaml")}`,
      "--batch-sizes",
      "1,2",
      "--n-calls",
      "30",
    ],
    data.env,
  );
  assert.equal(res.code, 0, res.stderr);
  const html = res.stdout
    .split("\n")
    .find((l) => l.startsWith("  /"))!
    .trim();
  assert.match(
    html,
    /Report\/.*\/rep\/report_model_onnx_l10u128_\w+_model_onnx_i32c1v1l10u128_\w+_bs_1_2\.html$/,
  );
  const page = readFileSync(html, "utf8");
  assert.match(page, /<title>MLProf report: ONNX 10x128, ONNX 32x1⊛1→10x128<\/title>/);
  assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href=/, "nothing loaded from elsewhere");
  for (const heading of [
    "Warnings",
    "Runtime",
    "Throughput",
    "Peak resident memory",
    "Resident memory added by loading the model",
    "Model load time, first (cold) call and median call",
    "Runtime per call (ms)",
    "Resident memory (MiB), load time, first (cold) and median call",
    "Metadata",
    "Methods",
  ]) {
    assert.ok(page.includes(`<h2>${heading}</h2>`), `section ${heading}`);
  }
  assert.match(page, /<td>engine<\/td><td>onnxruntime 1\.\d+\.\d+<\/td><td>onnxruntime 1\./);
  assert.match(page, /<td>CPU<\/td><td>[^<]+\(\d+ logical CPUs\)<\/td>/);
  assert.match(page, /<td>mlprof revision<\/td><td>[^<–]+<\/td>/);
  // batch size, processes (3 repeats by default), calls of all processes
  assert.match(
    page,
    /<td>ONNX 32x1⊛1→10x128<\/td><td class="num">2<\/td><td class="num">3<\/td><td class="num">90<\/td>/,
  );
  reportPath = html;
});

test("the report draws its five figures offline", { skip: !chromium && "no Chromium found" }, async () => {
  const html = reportPath;
  assert.ok(html, "the report was written by the test before");
  // every request but the page itself is refused
  const browser = await puppeteer.launch({
    executablePath: chromium!,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  try {
    const tab = await browser.newPage();
    const refused: string[] = [];
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(String(e)));
    await tab.setRequestInterception(true);
    tab.on("request", (r) => {
      if (r.url() === `file://${html}`) return void r.continue();
      refused.push(r.url());
      return void r.abort();
    });
    await tab.goto(`file://${html}`, { waitUntil: "load" });
    await tab.waitForFunction("document.querySelectorAll('.figure .main-svg').length >= 5", {
      timeout: 20_000,
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(refused, []);
  } finally {
    await browser.close();
  }
});
