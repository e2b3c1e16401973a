/**
 * Plots for a slide (issue 22), checked in a real Chromium: 12 curves pairwise distinguishable, every
 * measured batch size labelled or named in the hint, the ratio plot's text inside the page, the interactive
 * page's plot at the window's width, valid SVG and EPS files, error bars without lines; and the renderer's
 * housekeeping: stale Chromium profile folders removed (never a live one's), a full store named as such.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "puppeteer-core";
import { buildRuntimeFigure, crowdedBatchSizes, type PlotSeries } from "../../src/plot/figure.js";
import { checkFileTypes } from "../../src/plot/formats.js";
import { PALETTES, curveStyles, paletteByName } from "../../src/plot/palette.js";
import { buildRatioFigure } from "../../src/plot/ratio.js";
import { closeRenderer, removeStaleRenderTemporaries, renderFigure } from "../../src/plot/render.js";
import { xAxisHint, type PlotConfig } from "../../src/tasks/mixins/plot.js";
import { ownerTag } from "../../src/util/procs.js";
import { FIXTURES, listFiles, mlprof, tempData, REPO } from "../helpers/cli.js";
import { loadPage, openBrowser } from "../helpers/layout.js";
import { describeUnless, firstSkip, needRoot } from "../helpers/skip.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";
import { colourDistance } from "./colour.js";

useSharedTestSoftware();

/** CIEDE2000 distance below which two curves must differ in marker or dash. */
const COLOUR_FLOOR = 15;

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), "mlprof-slide-"));
before(async () => {
  browser = await openBrowser();
});
after(async () => {
  await browser.close();
  await closeRenderer();
  rmSync(dir, { recursive: true, force: true });
});

const BS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
const curve = (label: string, f: (b: number) => number, spread = 0.05, bs = BS): PlotSeries => ({
  label,
  batchSizes: bs,
  median: bs.map(f),
  low: bs.map((b) => f(b) * (1 - spread)),
  high: bs.map((b) => f(b) * (1 + spread)),
});
const OPTS = { yLog: false, xLog: false, bsNormalized: true, errorStyle: "band" as const };

/** Renders a figure's static page and interactive page; returns the page of the latter. */
async function rendered(
  name: string,
  figure: { data: object[]; layout: object },
  width = 1200,
): Promise<Page> {
  const html = join(dir, `${name}.html`);
  await renderFigure(figure, { html, png: join(dir, `${name}.png`) });
  return loadPage(browser, html, width);
}

describe("palettes", () => {
  test("Petroff's sequences by the number of curves, with matplotlib's exact values", () => {
    const colours = (n: number) => [...new Set(curveStyles(n).map((s) => s.color.toLowerCase()))];
    assert.deepEqual(colours(6), ["#5790fc", "#f89c20", "#e42536", "#964a8b", "#9c9ca1", "#7a21dd"]);
    assert.deepEqual(colours(8), [
      "#1845fb",
      "#ff5e02",
      "#c91f16",
      "#c849a9",
      "#adad7d",
      "#86c8dd",
      "#578dff",
      "#656364",
    ]);
    assert.deepEqual(colours(12), [
      "#3f90da",
      "#ffa90e",
      "#bd1f01",
      "#94a4a2",
      "#832db6",
      "#a96b59",
      "#e76300",
      "#b9ac70",
      "#717581",
      "#92dadd",
    ]);
    assert.equal(curveStyles(3)[0]!.color, "#5790FC");
  });

  test("every palette: within a round of colours ΔE2000 ≥ 15, every colour ≥ 20 from white", () => {
    for (const p of PALETTES) {
      const c = p.colors(10);
      for (const [i, a] of c.entries()) {
        assert.ok(colourDistance(a, "#ffffff") >= 20, `${p.name}: ${a} too close to white`);
        for (const b of c.slice(i + 1)) {
          assert.ok(colourDistance(a, b) >= COLOUR_FLOOR, `${p.name}: ${a} and ${b} too close`);
        }
      }
    }
    assert.throws(() => paletteByName("viridis"), /unknown palette 'viridis': expected one of petroff, /);
  });
});

describe("rendered in Chromium", () => {
  test("12 curves: every pair differs in colour (ΔE2000 ≥ 15) or in marker or dash", async () => {
    const twelve = Array.from({ length: 12 }, (_, i) =>
      curve(`model ${i + 1}`, (b) => (1 + i * 0.15) * b ** -0.3, 0.08),
    );
    const page = await rendered("twelve", buildRuntimeFigure(twelve, { ...OPTS, xLog: true, yLog: true }));
    try {
      // the median traces (those with markers), as drawn
      const drawn = (await page.evaluate(`[...document.querySelectorAll(".scatterlayer .trace")]
        .filter((t) => t.querySelector("path.point"))
        .map((t) => {
          const line = t.querySelector("path.js-line");
          return {
            colour: getComputedStyle(line).stroke,
            dash: getComputedStyle(line).strokeDasharray,
            marker: t.querySelector("path.point").getAttribute("d"),
          };
        })`)) as { colour: string; dash: string; marker: string }[];
      assert.equal(drawn.length, 12);
      for (const [i, a] of drawn.entries()) {
        for (const [j, b] of drawn.slice(i + 1).entries()) {
          const dE = colourDistance(a.colour, b.colour);
          assert.ok(
            dE >= COLOUR_FLOOR || a.dash !== b.dash || a.marker !== b.marker,
            `curves ${i + 1} and ${i + j + 2}: ${a.colour} / ${b.colour} (ΔE2000 ${dE.toFixed(1)}), same marker and dash`,
          );
        }
      }
      // curves 11 and 12 repeat the colours of 1 and 2, with another marker and dash
      assert.equal(drawn[10]!.colour, drawn[0]!.colour);
      assert.notEqual(drawn[10]!.marker, drawn[0]!.marker);
      assert.notEqual(drawn[10]!.dash, drawn[0]!.dash);
    } finally {
      await page.close();
    }
  });

  test("linear x over 1…1024: a tick per batch size, labels that do not overlap, the rest named in the hint", async () => {
    const page = await rendered("linear", buildRuntimeFigure([curve("DNN", (b) => 0.01 + 1 / b)], OPTS));
    try {
      const ticks = (await page.evaluate(`[...document.querySelectorAll(".xtick text")].map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent, left: r.left, right: r.right };
      })`)) as { text: string; left: number; right: number }[];
      const marks = (await page.evaluate(`document.querySelectorAll("path.xtick").length`)) as number;
      assert.equal(marks, BS.length, "a tick at every measured batch size");
      const labelled = ticks.filter((t) => t.text !== "");
      for (const [i, a] of labelled.slice(0, -1).entries()) {
        const b = labelled[i + 1]!;
        assert.ok(a.right < b.left, `tick labels ${a.text} and ${b.text} overlap`);
      }
      const { unlabelled } = crowdedBatchSizes(BS, false);
      assert.deepEqual(
        [...labelled.map((t) => Number(t.text)), ...unlabelled].sort((a, b) => a - b),
        BS,
        "every batch size is labelled or named in the hint",
      );
      const plot = { options: { ...OPTS } } as unknown as PlotConfig;
      assert.equal(
        xAxisHint(BS, plot),
        `the batch sizes span 1 to 1024 on a linear x axis (batch sizes ${unlabelled.join(", ")} without tick labels): --x-log True spaces them evenly`,
      );
      assert.equal(xAxisHint([1, 10, 100], plot), undefined, "two decades: no hint");
      assert.equal(xAxisHint(BS, { options: { ...OPTS, xLog: true } } as unknown as PlotConfig), undefined);
    } finally {
      await page.close();
    }
  });

  test("ratio plot with long version names: a short axis title, the names in the subtitle, all inside the page", async () => {
    const a = "baseline_onnxruntime_1_16_3_el8_amd64_gcc11_with_a_long_suffix";
    const b = "candidate_onnxruntime_1_20_1_el9_amd64_gcc13_with_a_long_suffix";
    const points = BS.slice(0, 6).map((bs, i) => ({
      batchSize: bs,
      ratio: 1 + 0.04 * i,
      low: 0.97 + 0.04 * i,
      high: 1.03 + 0.04 * i,
      verdict: i > 2 ? "slower" : "same",
    }));
    const page = await rendered(
      "ratio",
      buildRatioFigure(points, { a, b }, 0.05, { xLog: true, yLog: false }),
    );
    try {
      const texts = (await page.evaluate(`(() => {
        const svg = document.querySelector("#plot .main-svg").getBoundingClientRect();
        return [...document.querySelectorAll("#plot text")].filter((t) => t.textContent).map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent, left: r.left - svg.left, right: r.right - svg.left, top: r.top - svg.top,
            bottom: r.bottom - svg.top, width: svg.width, height: svg.height };
        });
      })()`)) as {
        text: string;
        left: number;
        right: number;
        top: number;
        bottom: number;
        width: number;
        height: number;
      }[];
      const title = texts.find((t) => t.text === "Runtime ratio B / A");
      assert.ok(title, `the y-axis title: ${texts.map((t) => t.text).join(" | ")}`);
      // the subtitle: two lines (tspans of one text)
      assert.ok(
        texts.some((t) => t.text === `A: ${a}B: ${b}`),
        texts.map((t) => t.text).join(" | "),
      );
      for (const t of texts) {
        assert.ok(
          t.left >= -0.5 && t.top >= -0.5 && t.right <= t.width + 0.5 && t.bottom <= t.height + 0.5,
          `"${t.text}" outside the page: ${JSON.stringify(t)}`,
        );
      }
    } finally {
      await page.close();
    }
  });

  test("the interactive page: the plot at the window's width, below a short header", async () => {
    const html = join(dir, "page.html");
    await renderFigure(
      buildRuntimeFigure([curve("A", (b) => 1 / b), curve("B", (b) => 2 / b)], OPTS),
      { html },
      {
        page: { heading: "Runtimes of 12 curves", facts: [["curves", "A; B"]] },
      },
    );
    for (const width of [1400, 900]) {
      const page = await loadPage(browser, html, width);
      try {
        const box = (await page.evaluate(`(() => {
          const r = document.querySelector("#plot .main-svg").getBoundingClientRect();
          return { width: r.width, top: r.top, height: r.height, page: document.documentElement.clientWidth };
        })()`)) as { width: number; top: number; height: number; page: number };
        assert.ok(box.width >= box.page - 1, `the plot is ${box.width} px wide in a ${box.page} px page`);
        assert.ok(box.top < 150, `the plot starts ${box.top} px down`);
        assert.ok(Math.abs(box.height / box.width - 0.75) < 0.01 || box.height >= 360);
      } finally {
        await page.close();
      }
    }
  });

  test("error bars: markers with bars, no lines", async () => {
    const figure = buildRuntimeFigure([curve("A", (b) => 1 / b, 0.2), curve("B", (b) => 3 / b, 0.2)], {
      ...OPTS,
      xLog: true,
      yLog: true,
      errorStyle: "bars",
    });
    const page = await rendered("bars", figure);
    try {
      const counts = (await page.evaluate(`({
        lines: [...document.querySelectorAll(".scatterlayer path.js-line")].filter((p) => p.getAttribute("d")).length,
        bars: document.querySelectorAll(".errorbar").length,
        points: document.querySelectorAll(".scatterlayer path.point").length,
      })`)) as { lines: number; bars: number; points: number };
      assert.deepEqual(counts, { lines: 0, bars: 2 * BS.length, points: 2 * BS.length });
    } finally {
      await page.close();
    }
  });

  test("svg: a valid SVG document with the traces, the axes and the CMS header", async () => {
    const svg = join(dir, "figure.svg");
    const series = [curve("A", (b) => 1 / b), curve("B", (b) => 2 / b)];
    await renderFigure(buildRuntimeFigure(series, { ...OPTS, xLog: true }), { svg });
    const text = readFileSync(svg, "utf8");
    assert.match(text, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]* width="800" height="600"/);
    const page = await browser.newPage();
    try {
      await page.goto(`file://${svg}`);
      const facts = (await page.evaluate(`({
        root: document.documentElement.tagName,
        errors: document.getElementsByTagName("parsererror").length,
        traces: document.querySelectorAll(".scatterlayer .trace").length,
        points: document.querySelectorAll(".scatterlayer path.point").length,
        cms: [...document.querySelectorAll("text")].some((t) => t.textContent.startsWith("CMS")),
        ticks: document.querySelectorAll(".xtick text").length,
      })`)) as Record<string, unknown>;
      // two bands (two traces each) and two median traces
      assert.deepEqual(facts, {
        root: "svg",
        errors: 0,
        traces: 6,
        points: 2 * BS.length,
        cms: true,
        ticks: BS.length,
      });
    } finally {
      await page.close();
    }
  });

  test("eps: converted from the PDF by pdftops, the page's bounding box, fonts embedded; refused without it", async () => {
    const eps = join(dir, "figure.eps");
    await renderFigure(buildRuntimeFigure([curve("A", (b) => 1 / b)], OPTS), { eps });
    const text = readFileSync(eps, "latin1");
    assert.match(text, /^%!PS-Adobe-3\.0 EPSF-3\.0$/m);
    assert.match(text, /^%%BoundingBox: 0 0 600 450$/m);
    assert.match(text, /^%%LanguageLevel: 3$/m);
    assert.match(text, /\/FontType 42|\/FontType 3|%%BeginResource: font/, "the text stays text");
    assert.deepEqual(checkFileTypes(["pdf", "svg", "eps", "pdf"]), ["pdf", "svg", "eps"]);
    assert.throws(
      () => checkFileTypes(["eps"], { PATH: "/nonexistent" }),
      /--file-types eps: the EPS is converted from the PDF by pdftops, which is not on PATH/,
    );
    assert.throws(
      () => checkFileTypes(["jpg"]),
      /--file-types: expected some of pdf, png, svg, eps, found 'jpg' \(an interactive \.html is always written\)/,
    );
  });
});

test("Chromium profile folders of killed plotting processes are removed, never a live one's", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "mlprof-profiles-"));
  try {
    // a process that starts the renderer, then is killed with SIGKILL while Chromium runs
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import("${join(REPO, "src/plot/render.ts")}").then((r) => r.prepareRenderer()).then(() => console.log("ready"))`,
      ],
      { cwd: REPO, env: { ...process.env, TMPDIR: tmp }, stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
      child.on("exit", (code) => reject(new Error(`the child exited (${code}) before Chromium was ready`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const left = readdirSync(tmp).filter((n) => n.startsWith("mlprof-chromium-"));
    assert.equal(left.length, 1, "kill -9 leaves the profile folder");
    const live = join(tmp, `mlprof-chromium-${ownerTag()}-abcdef`);
    mkdirSync(live);
    // the next render removes the stale folder, not this (live) process's; the orphaned Chromium ends
    // when its pipe closes, and may still write into the folder for a moment
    let removed: string[] = [];
    for (let i = 0; i < 50 && removed.length === 0; i++) {
      removed = removeStaleRenderTemporaries(tmp);
      if (removed.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(removed, left);
    assert.deepEqual(
      readdirSync(tmp).filter((n) => n.startsWith("mlprof-")),
      [`mlprof-chromium-${ownerTag()}-abcdef`],
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const mounts: string[] = [];
after(() => {
  for (const m of mounts) {
    try {
      execFileSync("umount", [m]);
      rmSync(m, { recursive: true, force: true });
    } catch {
      // left for the system to clean up
    }
  }
});

/** Fills a file system until only about `leaveKb` are free. */
function fill(at: string, leaveKb: number): void {
  const fd = openSync(join(at, "filler"), "w");
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) {
      const { bavail, bsize } = statfsSync(at);
      if (bavail * bsize <= leaveKb * 1024) break;
      writeSync(fd, chunk);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

describeUnless(
  firstSkip(() => needRoot("mounting a tmpfs", "mount")),
  "a full store while plotting",
  () => {
    test("the store's error naming the store and the file, nothing of the plot left", async () => {
      ensureBuilt();
      const data = tempData();
      const mount = mkdtempSync(join(tmpdir(), "mlprof-fault-"));
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=4096k", "tmpfs", mount]);
      mounts.push(mount);
      const store = join(mount, "store");
      const env = { ...data.env, MLP_STORE: store };
      const args = ["--version", "v1", "--model-file", join(FIXTURES, "identity.yaml"), "--n-calls", "5"];
      try {
        const merged = await mlprof(["run", "MergeRuntimes", ...args, "--repeats", "1"], env);
        assert.equal(merged.code, 0, merged.stderr);
        // room for the PDF, not for the interactive page (plotly.js inlined: over 1 MB)
        fill(mount, 300);
        const res = await mlprof(["run", "PlotRuntimes", ...args, "--repeats", "1"], env);
        assert.equal(res.code, 1, res.stderr);
        assert.match(
          res.stderr,
          new RegExp(
            `^error: cannot write into the store ${store}: no space left on device \\(ENOSPC\\) \\(writing ${store}/PlotRuntimes/.*/runtimes_bs_1_2_4\\.(pdf|html)\\)$`,
            "m",
          ),
        );
        assert.match(res.stderr, /^hint: free space there, or point MLP_STORE/m);
        assert.ok(
          !existsSync(join(store, "PlotRuntimes")) || listFiles(join(store, "PlotRuntimes")).length === 0,
        );
      } finally {
        data.cleanup();
      }
    });
  },
);
