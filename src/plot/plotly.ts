/**
 * The plotly.js the figures are drawn with: the official "basic" partial bundle (scatter, bar and pie
 * traces; every figure of MLProf is made of scatter traces), 1.2 MB instead of the full bundle's 4.6 MB,
 * so that each interactive page stays small and Chromium parses it in a quarter of the time.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** The npm package of the bundle. */
export const PLOTLY_PACKAGE = "plotly.js-basic-dist-min";

let source: string | undefined;

/** The bundle's source, ready to be inlined in a <script> element (read once per process). */
export function plotlySource(): string {
  source ??= readFileSync(createRequire(import.meta.url).resolve(PLOTLY_PACKAGE), "utf8").replace(
    /<\/script/gi,
    "<\\/script",
  );
  return source;
}
