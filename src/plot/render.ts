import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Browser } from "puppeteer-core";
import { atCommandEnd } from "../util/command-end.js";
import { findChromium } from "./chromium.js";
import { FIGURE_HEIGHT, FIGURE_WIDTH } from "./figure.js";
import { LEGEND_PLACEMENT_SCRIPT } from "./placement.js";
import { plotlySource } from "./plotly.js";

/** Absolute paths of the files to write; each one is optional. */
export interface RenderTargets {
  pdf?: string;
  png?: string;
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

/** Flags Chromium is always launched with (besides a fresh --user-data-dir). */
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

/**
 * Self-contained HTML page that draws the figure into `#plot`, places the legend from the rendered data,
 * and exposes the promise of both as `window.mlprofReady`. `interactive` keeps hover/zoom and shows the
 * page heading and facts; otherwise the page is the bare, static figure (for PDF and PNG).
 */
function figureHtml(figure: Figure, plotly: string, interactive: boolean, page?: PageInfo): string {
  const { width, height } = figureSize(figure.layout);
  const config = interactive ? { displaylogo: false, displayModeBar: "hover" } : { staticPlot: true };
  // Escaping "<" keeps user text such as "</script>" from ending the script element.
  const json = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");
  const header =
    interactive && page
      ? `<header>
<h1>${escapeHtml(page.heading)}</h1>
<dl>${page.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>
</header>
<script type="application/json" id="${SETTINGS_ELEMENT}">${json(page.settings ?? {})}</script>
`
      : "";
  const title = interactive && page ? escapeHtml(page.heading) : "MLProf figure";
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>
@page { size: ${width}px ${height}px; margin: 0; }
html, body { margin: 0; padding: 0; background: #ffffff; }
body { font-family: "DejaVu Sans", Arial, sans-serif; }
header { max-width: ${width}px; padding: 16px 16px 0 16px; box-sizing: border-box; }
h1 { font-size: 18px; margin: 0 0 8px 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0 0 8px 0; font-size: 13px; }
dt { color: #555555; }
dd { margin: 0; }
#plot { width: ${width}px; height: ${height}px; overflow: hidden; }
</style>
<script>${plotly}</script>
</head>
<body>
${header}<div id="plot"></div>
<script>
${LEGEND_PLACEMENT_SCRIPT}
const figure = ${json(figure)};
window.mlprofReady = Plotly.newPlot("plot", figure.data, figure.layout, ${json(config)})
  .then((gd) => mlprofPlaceLegend(gd))
  .then((placed) => { window.mlprofLegend = placed; return true; });
</script>
</body>
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
}

let shared: Promise<SharedBrowser> | undefined;
let idleTimer: NodeJS.Timeout | undefined;

/** Time a shared browser stays open after its last page, for the next figure of the same command. */
const IDLE_CLOSE_MS = 1500;

async function launchBrowser(executablePath: string, timeout: number): Promise<SharedBrowser> {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), "mlprof-chromium-"));
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
async function sharedBrowser(executablePath: string, timeout: number): Promise<Browser> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = undefined;
  if (!shared) {
    shared = launchBrowser(executablePath, timeout);
    shared.catch(() => (shared = undefined));
    atCommandEnd(closeRenderer);
  }
  const s = await shared;
  if (s.executablePath !== executablePath || !s.browser.connected) {
    await closeRenderer();
    return sharedBrowser(executablePath, timeout);
  }
  return s.browser;
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

/** Renders the static page in the shared headless Chromium and returns the requested PDF and PNG bytes. */
async function renderInBrowser(
  html: string,
  size: { width: number; height: number },
  want: { pdf: boolean; png: boolean },
  opts: RenderOptions,
): Promise<{ pdf?: Uint8Array; png?: Uint8Array; legend?: string }> {
  const executablePath = opts.chromium ?? findChromium();
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const browser = await sharedBrowser(executablePath, timeout);
  const page = await browser.newPage();
  try {
    page.setDefaultTimeout(timeout);
    const dpi = opts.pngDpi ?? DEFAULT_PNG_DPI;
    await page.setViewport({ ...size, deviceScaleFactor: dpi / CSS_DPI });
    await page.setContent(html, { waitUntil: "load" });
    await page.evaluate("window.mlprofReady"); // rejects if Plotly.newPlot fails
    await page.evaluate("document.fonts.ready.then(() => true)");
    const legend = (await page.evaluate("window.mlprofLegend")) as string | undefined;
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
    return { pdf, png, legend };
  } finally {
    await page.close().catch(() => undefined);
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

/** Writes all files via `<path>.tmp-<pid>` + rename; on error no tmp file remains. */
async function writeAtomically(outputs: [file: string, content: string | Uint8Array][]): Promise<void> {
  const tmp = (file: string): string => `${file}.tmp-${process.pid}`;
  try {
    for (const [file, content] of outputs) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(tmp(file), content);
    }
    for (const [file] of outputs) await rename(tmp(file), file);
  } catch (error) {
    await Promise.all(outputs.map(([file]) => rm(tmp(file), { force: true })));
    throw error;
  }
}

/**
 * Renders the figure to each requested target: PDF (vector, page size = figure size), PNG (2× device
 * scale) and a standalone interactive HTML page with plotly.js inlined. Uses at most one Chromium
 * launch; files are only written (atomically) once everything has rendered, so nothing is left on error.
 */
export async function renderFigure(
  figure: Figure,
  targets: RenderTargets,
  opts: RenderOptions = {},
): Promise<{ legend?: string }> {
  if (!targets.pdf && !targets.png && !targets.html) return {};
  const plotly = plotlySource();
  const outputs: [string, string | Uint8Array][] = [];
  let legend: string | undefined;
  if (targets.pdf || targets.png) {
    const size = figureSize(figure.layout);
    const html = figureHtml(figure, plotly, false);
    const rendered = await renderInBrowser(html, size, { pdf: !!targets.pdf, png: !!targets.png }, opts);
    legend = rendered.legend;
    if (targets.pdf && rendered.pdf) outputs.push([targets.pdf, rendered.pdf]);
    if (targets.png && rendered.png) outputs.push([targets.png, rendered.png]);
  }
  if (targets.html) outputs.push([targets.html, figureHtml(figure, plotly, true, opts.page)]);
  await writeAtomically(outputs);
  return { legend };
}
