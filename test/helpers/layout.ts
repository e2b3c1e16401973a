/**
 * Layout facts of rendered pages, read in a real Chromium: where each plot's legend box lies against the
 * plot's data (computed from Plotly's own axis mapping of the data values, independently of the legend
 * placement code, which reads the drawn SVG), and how wide a page's tables are.
 */
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { findChromium } from "../../src/plot/chromium.js";

/** What one plot's legend covers: data points, line segments, bands or error bars, by trace name. */
export interface LegendFacts {
  legend: { left: number; top: number; right: number; bottom: number } | null;
  /** Everything of the data inside the legend box ("trace: point at x=4", …); empty when nothing. */
  covered: string[];
  /** Number of data points checked (so that an empty plot cannot pass). */
  points: number;
}

/** Opens pages in one headless Chromium; close() when done. */
export async function openBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: findChromium(),
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--font-render-hinting=none"],
  });
}

/** Loads a file into a page of the given width and waits until every plot is drawn and its legend placed. */
export async function loadPage(browser: Browser, file: string, width = 1200): Promise<Page> {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 900 });
  await page.goto(`file://${file}`, { waitUntil: "load" });
  await page.evaluate("window.mlprofReady ?? true");
  // the report places legends after each newPlot: wait until the plots stop changing
  await new Promise((r) => setTimeout(r, 300));
  return page;
}

/** The legend facts of every plot of a page. */
export async function legendFacts(page: Page): Promise<LegendFacts[]> {
  return (await page.evaluate(`(() => {
    const out = [];
    for (const gd of document.querySelectorAll(".js-plotly-plot")) {
      const bg = gd.querySelector(".legend .bg");
      if (!bg) { out.push({ legend: null, covered: [], points: 0 }); continue; }
      const b = bg.getBoundingClientRect();
      const r = { left: b.left, top: b.top, right: b.right, bottom: b.bottom };
      const g = gd.getBoundingClientRect();
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      const px = (x) => g.left + xa._offset + xa.l2p(xa.d2l(x));
      const py = (y) => g.top + ya._offset + ya.l2p(ya.d2l(y));
      const inside = (x, y, pad) => x >= r.left - pad && x <= r.right + pad && y >= r.top - pad && y <= r.bottom + pad;
      const spans = (x, y0, y1) => x >= r.left && x <= r.right && Math.max(y0, y1) >= r.top && Math.min(y0, y1) <= r.bottom;
      const covered = [];
      let points = 0;
      const data = gd._fullData;
      data.forEach((t, k) => {
        if (t.visible !== true || !t.x || !t.y) return;
        const xs = Array.from(t.x), ys = Array.from(t.y);
        const name = t.name || "trace " + k;
        const drawn = (t.mode || "").includes("markers") || (t.mode || "").includes("lines") && t.line && t.line.width > 0;
        for (let i = 0; i < xs.length; i++) {
          points++;
          const x = px(xs[i]), y = py(ys[i]);
          if (drawn && inside(x, y, (t.marker && t.marker.size ? t.marker.size / 2 : 3))) covered.push(name + ": point at x=" + xs[i]);
          if (drawn && (t.mode || "").includes("lines") && i + 1 < xs.length) {
            const x2 = px(xs[i + 1]), y2 = py(ys[i + 1]);
            for (let s = 1; s < 40; s++) {
              if (inside(x + (x2 - x) * s / 40, y + (y2 - y) * s / 40, 1)) { covered.push(name + ": line after x=" + xs[i]); break; }
            }
          }
          const e = t.error_y;
          if (e && e.visible && e.array) {
            if (spans(x, py(ys[i] + e.array[i]), py(ys[i] - (e.arrayminus || e.array)[i]))) covered.push(name + ": error bar at x=" + xs[i]);
          }
        }
        if (t.fill === "tonexty" && k > 0) {
          const lo = data[k - 1];
          const lx = Array.from(lo.x), ly = Array.from(lo.y);
          for (let i = 0; i + 1 < xs.length && i + 1 < lx.length; i++) {
            for (let s = 0; s <= 40; s++) {
              const f = s / 40;
              const x = px(xs[i]) + (px(xs[i + 1]) - px(xs[i])) * f;
              const yHi = py(ys[i]) + (py(ys[i + 1]) - py(ys[i])) * f;
              const yLo = py(ly[i]) + (py(ly[i + 1]) - py(ly[i])) * f;
              if (spans(x, yLo, yHi)) { covered.push(name + ": band after x=" + xs[i]); break; }
            }
          }
        }
        if (t.fill === "toself") {
          const bx = xs.map(px), by = ys.map(py);
          const box = { left: Math.min(...bx), right: Math.max(...bx), top: Math.min(...by), bottom: Math.max(...by) };
          if (box.right >= r.left && box.left <= r.right && box.bottom >= r.top && box.top <= r.bottom) covered.push(name + ": band");
        }
      });
      out.push({ legend: r, covered, points });
    }
    return out;
  })()`)) as LegendFacts[];
}

/** The widths of a page's tables, the viewport's width, and whether any table box scrolls sideways. */
export async function tableWidths(
  page: Page,
): Promise<{ viewport: number; tables: number[]; scrolling: number }> {
  return (await page.evaluate(`(() => ({
    viewport: document.documentElement.clientWidth,
    tables: [...document.querySelectorAll("table")].map((t) => t.getBoundingClientRect().right),
    scrolling: [...document.querySelectorAll(".table")].filter((d) => d.scrollWidth > d.clientWidth + 1).length,
  }))()`)) as { viewport: number; tables: number[]; scrolling: number };
}
