import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";
import { findChromium } from "./chromium.js";
import { FIGURE_HEIGHT, FIGURE_WIDTH } from "./figure.js";

/** Absolute paths of the files to write; each one is optional. */
export interface RenderTargets {
  pdf?: string;
  png?: string;
  html?: string;
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

/** Source of the bundled plotly.js, to be inlined (no network or file:// access at view time). */
async function plotlySource(): Promise<string> {
  const file = createRequire(import.meta.url).resolve("plotly.js-dist-min");
  return (await readFile(file, "utf8")).replace(/<\/script/gi, "<\\/script");
}

/**
 * Self-contained HTML page that draws the figure into `#plot` and exposes the `Plotly.newPlot`
 * promise as `window.mlprofReady`. `interactive` keeps hover/zoom; otherwise the plot is static.
 */
function figureHtml(figure: Figure, plotly: string, interactive: boolean): string {
  const { width, height } = figureSize(figure.layout);
  const config = interactive ? { displaylogo: false, displayModeBar: "hover" } : { staticPlot: true };
  // Escaping "<" keeps user text such as "</script>" from ending the script element.
  const json = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>MLProf runtime</title>
<style>
@page { size: ${width}px ${height}px; margin: 0; }
html, body { margin: 0; padding: 0; background: #ffffff; }
#plot { width: ${width}px; height: ${height}px; overflow: hidden; }
</style>
<script>${plotly}</script>
</head>
<body>
<div id="plot"></div>
<script>
const figure = ${json(figure)};
window.mlprofReady = Plotly.newPlot("plot", figure.data, figure.layout, ${json(config)}).then(() => true);
</script>
</body>
</html>
`;
}

/** Renders the static page in one headless Chromium and returns the requested PDF and PNG bytes. */
async function renderInBrowser(
  html: string,
  size: { width: number; height: number },
  want: { pdf: boolean; png: boolean },
  opts: { chromium?: string; timeoutMs?: number },
): Promise<{ pdf?: Uint8Array; png?: Uint8Array }> {
  const executablePath = opts.chromium ?? findChromium();
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), "mlprof-chromium-"));
  let browser: Browser | undefined;
  try {
    browser = await puppeteer
      .launch({
        executablePath,
        ignoreDefaultArgs: true,
        pipe: true,
        args: [...CHROMIUM_FLAGS, `--user-data-dir=${userDataDir}`, "about:blank"],
        defaultViewport: { ...size, deviceScaleFactor: 2 },
        timeout,
        protocolTimeout: timeout,
      })
      .catch((error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`Failed to launch Chromium (${executablePath}): ${reason}`, { cause: error });
      });
    const page = await browser.newPage();
    page.setDefaultTimeout(timeout);
    await page.setContent(html, { waitUntil: "load" });
    await page.evaluate("window.mlprofReady"); // rejects if Plotly.newPlot fails
    await page.evaluate("document.fonts.ready.then(() => true)");
    const png = want.png ? await page.screenshot({ type: "png", clip: { x: 0, y: 0, ...size } }) : undefined;
    const pdf = want.pdf
      ? await page.pdf({
          width: `${size.width}px`,
          height: `${size.height}px`,
          printBackground: true,
          pageRanges: "1",
        })
      : undefined;
    return { pdf, png };
  } finally {
    await browser?.close().catch(() => undefined);
    await rm(userDataDir, { recursive: true, force: true });
  }
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
  opts: { chromium?: string; timeoutMs?: number } = {},
): Promise<void> {
  if (!targets.pdf && !targets.png && !targets.html) return;
  const plotly = await plotlySource();
  const outputs: [string, string | Uint8Array][] = [];
  if (targets.pdf || targets.png) {
    const size = figureSize(figure.layout);
    const html = figureHtml(figure, plotly, false);
    const { pdf, png } = await renderInBrowser(html, size, { pdf: !!targets.pdf, png: !!targets.png }, opts);
    if (targets.pdf && pdf) outputs.push([targets.pdf, pdf]);
    if (targets.png && png) outputs.push([targets.png, png]);
  }
  if (targets.html) outputs.push([targets.html, figureHtml(figure, plotly, true)]);
  await writeAtomically(outputs);
}
