import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { beforeTimedWork } from "../util/before-timing.js";
import { atCommandEnd } from "../util/command-end.js";
import { makeTempDir, removeStaleTemporaries, tmpSibling, writeError } from "../util/fs.js";
import { findChromium } from "./chromium.js";
import { FIGURE_HEIGHT, FIGURE_WIDTH } from "./figure.js";
import { EPS_WORK_PREFIX, pdfToEps } from "./formats.js";
import { LEGEND_PLACEMENT_SCRIPT } from "./placement.js";
import { plotlySource } from "./plotly.js";

/** Absolute paths of the files to write; each one is optional. */
export interface RenderTargets {
  pdf?: string;
  png?: string;
  svg?: string;
  eps?: string;
  html?: string;
}

/** How figures are rendered: the browser, a timeout, the PNG resolution. */
export interface RenderOptions {
  chromium?: string;
  timeoutMs?: number;
  /** PNG resolution in dots per inch (default 150): the figure's CSS size times dpi / 96 pixels. */
  pngDpi?: number;
  /** Heading, facts and settings of the interactive page. */
  page?: PageInfo;
}

/** A Plotly figure as built by `buildRuntimeFigure`. */
type Figure = { data: object[]; layout: object };

/**
 * Flags Chromium is always launched with (besides a fresh --user-data-dir): headless, nothing that starts
 * a network request or a background service. (--no-zygote, --disable-extensions and --single-process
 * made no measurable difference to the launch time.)
 */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--mute-audio",
  "--font-render-hinting=none",
];

/** Name prefixes of the temporaries of rendering in the system's temporary folder. */
const PROFILE_PREFIX = "mlprof-chromium";

const DEFAULT_TIMEOUT_MS = 60_000;

/** Pixel size of the figure, taken from its layout. */
function figureSize(layout: object): { width: number; height: number } {
  const { width, height } = layout as { width?: unknown; height?: unknown };
  return {
    width: typeof width === "number" ? width : FIGURE_WIDTH,
    height: typeof height === "number" ? height : FIGURE_HEIGHT,
  };
}

/** What the interactive page shows above the figure: a heading and the key facts of the measurements. */
export interface PageInfo {
  heading: string;
  facts: [label: string, value: string][];
  /** Recorded in the page (JSON), to tell later whether the plot was rendered with the same settings. */
  settings?: Record<string, unknown>;
}

/** Id of the JSON script element holding a plot's settings in its interactive page. */
export const SETTINGS_ELEMENT = "mlprof-plot-settings";

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Escapes a value as JSON inside a <script> element: "<" cannot end the element ("</script>"). */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

/**
 * Browser-side source: `mlprofDraw(figure, config)` draws a figure into `#plot` (replacing the previous
 * one), places the legend from the rendered data and resolves to where it went.
 */
const DRAW_SCRIPT = `${LEGEND_PLACEMENT_SCRIPT}
async function mlprofDraw(figure, config) {
  const gd = document.getElementById("plot");
  Plotly.purge(gd);
  await Plotly.newPlot(gd, figure.data, figure.layout, config);
  return mlprofPlaceLegend(gd);
}
`;

/**
 * Self-contained interactive HTML page (plotly.js inlined): the page heading and facts, then the figure at
 * the width of the window (4:3, at most the window's height), with hover and zoom. The legend is placed
 * from the rendered data as in the PDF; `window.mlprofReady` resolves when it is.
 */
function interactiveHtml(figure: Figure, plotly: string, page?: PageInfo): string {
  const { width, height } = figureSize(figure.layout);
  const config = { displaylogo: false, displayModeBar: "hover", responsive: true };
  // the page's width, not the PDF's: Plotly lays the figure out for the element's size
  const layout: Record<string, unknown> = { ...figure.layout, autosize: true };
  delete layout["width"];
  delete layout["height"];
  const header = page
    ? `<header>
<h1>${escapeHtml(page.heading)}</h1>
<dl>${page.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>
</header>
<script type="application/json" id="${SETTINGS_ELEMENT}">${scriptJson(page.settings ?? {})}</script>
`
    : "";
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page ? escapeHtml(page.heading) : "MLProf figure"}</title>
<style>
html, body { margin: 0; padding: 0; background: #ffffff; }
body { font-family: "DejaVu Sans", Arial, sans-serif; }
header { padding: 12px 16px 0 16px; box-sizing: border-box; }
h1 { font-size: 18px; margin: 0 0 6px 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 6px 0; font-size: 13px; }
dt { color: #555555; }
dd { margin: 0; }
#plot { width: 100%; height: min(${((100 * height) / width).toFixed(2)}vw, 92vh); min-height: 360px; overflow: hidden; }
</style>
<script>${plotly}</script>
</head>
<body>
${header}<div id="plot"></div>
<script>
${DRAW_SCRIPT}
window.mlprofReady = mlprofDraw({ data: ${scriptJson(figure.data)}, layout: ${scriptJson(layout)} }, ${scriptJson(config)})
  .then((placed) => { window.mlprofLegend = placed; return true; });
</script>
</body>
</html>
`;
}

/**
 * The page the static figures (PDF, PNG, SVG) are drawn in: plotly.js and the drawing script, loaded once
 * per browser; each figure is then drawn into the same page (no second parse of plotly.js).
 */
function staticPageHtml(plotly: string): string {
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>MLProf figure</title>
<style id="page-size"></style>
<style>
html, body { margin: 0; padding: 0; background: #ffffff; }
#plot { overflow: hidden; }
</style>
<script>${plotly}</script>
<script>${DRAW_SCRIPT}</script>
</head>
<body><div id="plot"></div></body>
</html>
`;
}

/** Pixels per CSS inch: Chromium lays pages out at 96 px per inch. */
const CSS_DPI = 96;

/** Default resolution of PNG files. */
export const DEFAULT_PNG_DPI = 150;

interface SharedBrowser {
  browser: Browser;
  executablePath: string;
  userDataDir: string;
  /** The page with plotly.js loaded, drawn into figure after figure. */
  page?: Promise<Page>;
}

let shared: Promise<SharedBrowser> | undefined;
let idleTimer: NodeJS.Timeout | undefined;

/** Time a shared browser stays open after its last figure, for the next figure of the same command. */
const IDLE_CLOSE_MS = 1500;

/**
 * Removes the Chromium profile folders and EPS work folders that processes of this host left when they were
 * killed while plotting (SIGINT, kill -9): only those whose owner (host, pid and start time in the name)
 * has ended, never a live process's.
 */
export function removeStaleRenderTemporaries(dir = os.tmpdir()): string[] {
  return removeStaleTemporaries(
    dir,
    (name) => name.startsWith(`${PROFILE_PREFIX}-`) || name.startsWith(`${EPS_WORK_PREFIX}-`),
  );
}

async function launchBrowser(executablePath: string, timeout: number): Promise<SharedBrowser> {
  removeStaleRenderTemporaries();
  const userDataDir = makeTempDir(PROFILE_PREFIX);
  try {
    // loaded on first use: puppeteer is the heaviest module of the CLI, and most commands render nothing
    const { default: puppeteer } = await import("puppeteer-core");
    const browser = await puppeteer.launch({
      executablePath,
      ignoreDefaultArgs: true,
      pipe: true,
      args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`, "about:blank"],
      defaultViewport: null,
      timeout,
      protocolTimeout: timeout,
    });
    return { browser, executablePath, userDataDir };
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Failed to launch Chromium (${executablePath}): ${reason}`, { cause: error });
  }
}

/**
 * The headless Chromium of this command: launched on first use, shared by every figure of the command
 * (one launch instead of one per plot), closed when the command ends or after a short idle time.
 */
async function sharedBrowser(executablePath: string, timeout: number): Promise<SharedBrowser> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (!shared) {
    shared = launchBrowser(executablePath, timeout);
    shared.catch(() => (shared = undefined));
    atCommandEnd(closeRenderer);
    beforeTimedWork(closeRenderer);
  }
  const s = await shared;
  if (s.executablePath !== executablePath || !s.browser.connected) {
    await closeRenderer();
    return sharedBrowser(executablePath, timeout);
  }
  return s;
}

/** The shared browser's drawing page (opened and loaded with plotly.js on first use). */
async function drawingPage(s: SharedBrowser, timeout: number): Promise<Page> {
  s.page ??= (async () => {
    // the tab Chromium opened at launch (about:blank): no second one to create
    const page = (await s.browser.pages())[0] ?? (await s.browser.newPage());
    page.setDefaultTimeout(timeout);
    await page.setContent(staticPageHtml(plotlySource()), { waitUntil: "load" });
    return page;
  })();
  s.page.catch(() => (s.page = undefined));
  const page = await s.page;
  if (page.isClosed()) {
    s.page = undefined;
    return drawingPage(s, timeout);
  }
  return page;
}

/**
 * Starts the renderer ahead of time: launches Chromium and loads plotly.js into its drawing page, so that
 * the next figure only draws. For a task to call once its last measurement has finished (never while a
 * measurement runs: Chromium would compete with it). Resolves when ready; a failure is reported by the
 * first figure rendered instead. The browser closes at the command's end, or after a short idle time
 * once it has drawn a figure.
 */
export async function prepareRenderer(
  opts: Pick<RenderOptions, "chromium" | "timeoutMs"> = {},
): Promise<void> {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    await drawingPage(await sharedBrowser(opts.chromium ?? findChromium(), timeout), timeout);
  } catch {
    // the figure that needs the renderer reports why it cannot start
  }
}

/**
 * Runs a plot task's `body` with the renderer started ahead (prepareRenderer), so that Chromium starts while
 * the task reads its results; when `body` fails the browser is closed at once (no figure armed its idle close).
 */
export async function withRendererStarted<T>(body: () => Promise<T>): Promise<T> {
  void prepareRenderer();
  try {
    return await body();
  } catch (err) {
    await closeRenderer();
    throw err;
  }
}

/** Closes the shared browser (if any) and removes its profile folder. */
export async function closeRenderer(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  const s = await shared?.catch(() => undefined);
  shared = undefined;
  if (!s) return;
  await s.browser.close().catch(() => undefined);
  await rm(s.userDataDir, { recursive: true, force: true });
}

/** What the browser renders of one figure. */
interface Rendered {
  pdf?: Uint8Array;
  png?: Uint8Array;
  svg?: string;
  legend?: string;
}

/** Draws the figure in the shared headless Chromium and returns the requested PDF, PNG and SVG. */
async function renderInBrowser(
  figure: Figure,
  want: { pdf: boolean; png: boolean; svg: boolean },
  opts: RenderOptions,
): Promise<Rendered> {
  const size = figureSize(figure.layout);
  const executablePath = opts.chromium ?? findChromium();
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const page = await drawingPage(await sharedBrowser(executablePath, timeout), timeout);
  try {
    const dpi = opts.pngDpi ?? DEFAULT_PNG_DPI;
    await page.setViewport({ ...size, deviceScaleFactor: dpi / CSS_DPI });
    const css = `@page { size: ${size.width}px ${size.height}px; margin: 0; }
#plot { width: ${size.width}px; height: ${size.height}px; }`;
    // rejects if Plotly.newPlot fails
    const legend = (await page.evaluate(
      `document.getElementById("page-size").textContent = ${JSON.stringify(css)};
       mlprofDraw(${scriptJson(figure)}, { staticPlot: true })
         .then((placed) => document.fonts.ready.then(() => placed))`,
    )) as string | undefined;
    const png = want.png
      ? withPngDpi(await page.screenshot({ type: "png", clip: { x: 0, y: 0, ...size } }), dpi)
      : undefined;
    const pdf = want.pdf
      ? await page.pdf({
          width: `${size.width}px`,
          height: `${size.height}px`,
          printBackground: true,
          pageRanges: "1",
        })
      : undefined;
    // Plotly's own SVG export of the drawn figure (the legend where it was placed)
    const svg = want.svg
      ? ((await page.evaluate(
          `Plotly.toImage(document.getElementById("plot"), { format: "svg", width: ${size.width}, height: ${size.height} })
             .then((url) => decodeURIComponent(url.slice(url.indexOf(",") + 1)))`,
        )) as string)
      : undefined;
    return { pdf, png, svg, legend };
  } finally {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = setTimeout(() => void closeRenderer(), IDLE_CLOSE_MS);
  }
}

/** CRC-32 of a buffer (PNG chunks). */
function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** Adds a pHYs chunk (the resolution, in pixels per metre) after a PNG's IHDR chunk. */
export function withPngDpi(png: Uint8Array, dpi: number): Uint8Array {
  const buf = Buffer.from(png);
  const ihdrEnd = 8 + 4 + 4 + 13 + 4; // signature, length, type, IHDR data, CRC
  if (buf.subarray(12, 16).toString("latin1") !== "IHDR") return png;
  const ppm = Math.round(dpi / 0.0254);
  const chunk = Buffer.alloc(4 + 4 + 9 + 4);
  chunk.writeUInt32BE(9, 0);
  chunk.write("pHYs", 4, "latin1");
  chunk.writeUInt32BE(ppm, 8);
  chunk.writeUInt32BE(ppm, 12);
  chunk.writeUInt8(1, 16); // unit: metre
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  return Buffer.concat([buf.subarray(0, ihdrEnd), chunk, buf.subarray(ihdrEnd)]);
}

/**
 * Writes all files via temporary siblings + rename; on error no temporary remains, and the error names the
 * file and the real cause (a FileWriteError: "no space left on device (ENOSPC)"), which the scheduler
 * reports as the store's error for a file in the store.
 */
async function writeAtomically(outputs: [file: string, content: string | Uint8Array][]): Promise<void> {
  const tmps = outputs.map(([file]) => tmpSibling(file));
  let writing = "";
  try {
    for (const [i, [file, content]] of outputs.entries()) {
      writing = file;
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(tmps[i]!, content);
    }
    for (const [i, [file]] of outputs.entries()) {
      writing = file;
      await rename(tmps[i]!, file);
    }
  } catch (error) {
    await Promise.all(tmps.map((tmp) => rm(tmp, { force: true }).catch(() => undefined)));
    throw writeError(writing, error);
  }
}

/**
 * Renders the figure to each requested target: PDF (vector, page size = figure size), PNG (at pngDpi),
 * SVG (Plotly's vector export), EPS (converted from the PDF) and a standalone interactive HTML page with
 * plotly.js inlined. Uses the command's one Chromium; files are only written (atomically) once everything
 * has rendered, so nothing is left on error.
 */
export async function renderFigure(
  figure: Figure,
  targets: RenderTargets,
  opts: RenderOptions = {},
): Promise<{ legend?: string }> {
  const { pdf, png, svg, eps, html } = targets;
  if (!pdf && !png && !svg && !eps && !html) return {};
  const outputs: [string, string | Uint8Array][] = [];
  let legend: string | undefined;
  if (pdf || png || svg || eps) {
    const rendered = await renderInBrowser(figure, { pdf: !!(pdf || eps), png: !!png, svg: !!svg }, opts);
    legend = rendered.legend;
    if (pdf && rendered.pdf) outputs.push([pdf, rendered.pdf]);
    if (png && rendered.png) outputs.push([png, rendered.png]);
    if (svg && rendered.svg) outputs.push([svg, rendered.svg]);
    if (eps && rendered.pdf) outputs.push([eps, await pdfToEps(rendered.pdf)]);
  }
  if (html) outputs.push([html, interactiveHtml(figure, plotlySource(), opts.page)]);
  await writeAtomically(outputs);
  return { legend };
}
