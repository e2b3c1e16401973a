/** The Report task: one offline HTML page with plots, tables, metadata and warnings. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import puppeteer from "puppeteer-core";
import { reportHtml } from "../../src/report/html.js";
import { EXAMPLES, mlprof, tempData } from "../helpers/cli.js";
import { chromiumOrSkip } from "../helpers/skip.js";

const data = tempData();
after(() => data.cleanup());

test("the page escapes user text and inlines the given plotly source", () => {
  const page = reportHtml(
    {
      title: "a <b> & c",
      facts: [["models", "</script><script>alert(1)</script>"]],
      warnings: [{ group: "m <1>", lines: ["drift: 'x' > y"] }],
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

const chromium = chromiumOrSkip();
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
  assert.match(html, /Report\/.*\/rep\/report_onnx_l10u128_onnx_i32c1v1l10u128_bs_1_2\.html$/);
  const page = readFileSync(html, "utf8");
  assert.match(page, /<title>MLProf report: ONNX 10x128, ONNX 32x1⊛1→10x128<\/title>/);
  assert.doesNotMatch(page, /<script[^>]+src=|<link[^>]+href=/, "nothing loaded from elsewhere");
  // the plots first, then the tables, the warnings (collapsed, counted) and the methods
  const order = [
    "Runtime",
    "Throughput",
    "Peak resident memory",
    "Resident memory added by loading the model",
    "Load time, first (cold) call and median call (log scale)",
    "Runtime per call (ms)",
    "Resident memory (MiB), load time, first (cold) and median call",
    "Metadata",
  ].map((h) => page.indexOf(`<h2>${h}</h2>`));
  assert.ok(
    order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!)),
    `sections in order: ${order}`,
  );
  assert.match(page, /<details class="warnings-section">\n<summary><h2>Warnings \(\d+\)<\/h2><\/summary>/);
  assert.ok(page.indexOf("<h2>Warnings") > order.at(-1)!, "warnings after the tables");
  assert.match(
    page,
    /<dt>machine<\/dt><dd>[^<]+: [^<]+, \d+ logical CPUs<\/dd>/,
    "the header names the machine",
  );
  for (const heading of [
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
  // rows grouped per model; batch size, processes (3 repeats by default) × calls per process
  assert.match(page, /<tr class="group"><th colspan="15">ONNX 32x1⊛1→10x128<\/th><\/tr>/);
  assert.match(page, /<tr><td class="num">2<\/td><td class="num">3 × 30<\/td>/);
  // 3 × 30 calls: too few for p95 (130, LoadGen's binomial rule), left out; the worst process's wait for a
  // CPU and the verdict end each row, the competition of each process has a table of its own
  assert.match(
    page,
    /<td class="num">–<\/td><td class="num">–<\/td>(<td class="num">[^<]*<\/td>){5}<td class="num">\d+\.\d %<\/td><td>(yes|NO|unknown)<\/td><\/tr>/,
  );
  assert.ok(page.includes("<h2>Competition during the timed calls (per process)</h2>"));
  assert.match(
    page,
    /<tr><td class="num">2<\/td><td class="num">3<\/td><td class="num">[\d.]+<\/td><td class="num">[\d.]+ \(\d+\.\d %\)<\/td><td class="num">\d+ \(\d+\.\d %\)<\/td><td class="num">[\d.]+<\/td><td class="num">\d+ \/ \d+<\/td><\/tr>/,
  );
  const methods = page.slice(
    page.indexOf("<h2>Methods</h2>"),
    page.indexOf("</ul>", page.indexOf("<h2>Methods</h2>")),
  );
  assert.match(methods, /Student-t interval/);
  assert.doesNotMatch(methods, /[{}]/, "methods in words, not JSON");
  reportPath = html;
});

test("the report draws its five figures offline", { skip: chromium.skip }, async () => {
  const html = reportPath;
  assert.ok(html, "the report was written by the test before");
  // every request but the page itself is refused
  const browser = await puppeteer.launch({
    executablePath: chromium.path!,
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
