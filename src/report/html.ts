import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** A figure of the report: a Plotly figure with a heading. */
export interface ReportFigure {
  heading: string;
  figure: { data: object[]; layout: object };
}

/** A table of the report: header cells and rows of cell texts. */
export interface ReportTable {
  heading: string;
  header: string[];
  rows: string[][];
  /** Indices of the columns that hold numbers (right-aligned). */
  numeric?: number[];
}

/** Everything the report page shows, in order. */
export interface ReportContent {
  title: string;
  /** Lines under the title: what was measured, when, by which revision. */
  subtitle: string[];
  warnings: string[];
  figures: ReportFigure[];
  tables: ReportTable[];
  /** Notes at the end (methods). */
  notes: string[];
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The bundled plotly.js, inlined so that the page works offline. */
export function plotlySource(): string {
  const file = createRequire(import.meta.url).resolve("plotly.js-dist-min");
  return readFileSync(file, "utf8").replace(/<\/script/gi, "<\\/script");
}

function tableHtml(t: ReportTable): string {
  const numeric = new Set(t.numeric ?? []);
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${numeric.has(i) ? ' class="num"' : ""}>${escapeHtml(text)}</${tag}>`;
  return [
    `<h2>${escapeHtml(t.heading)}</h2>`,
    '<div class="table"><table>',
    `<thead><tr>${t.header.map((h, i) => cell("th", h, i)).join("")}</tr></thead>`,
    "<tbody>",
    ...t.rows.map((r) => `<tr>${r.map((c, i) => cell("td", c, i)).join("")}</tr>`),
    "</tbody>",
    "</table></div>",
  ].join("\n");
}

/**
 * One self-contained HTML page: plotly.js inlined (no network, no file access when viewed), interactive
 * figures, tables, warnings and notes. `plotly` is the library's source (see plotlySource).
 */
export function reportHtml(content: ReportContent, plotly: string): string {
  // "<" escaped so that user text such as "</script>" cannot end the script element
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
  const figures = content.figures.map(
    (f, i) => `<h2>${escapeHtml(f.heading)}</h2>\n<div class="figure" id="figure-${i}"></div>`,
  );
  const draw = content.figures.map(
    (f, i) =>
      `Plotly.newPlot("figure-${i}", ${json(f.figure.data)}, ${json(f.figure.layout)}, {displaylogo: false, responsive: true});`,
  );
  const warnings =
    content.warnings.length === 0
      ? '<p class="ok">No warnings.</p>'
      : `<ul class="warnings">\n${content.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("\n")}\n</ul>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(content.title)}</title>
<style>
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em auto; max-width: 1200px; color: #111; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
.subtitle { color: #444; margin: 0.1em 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.table { overflow-x: auto; }
.warnings li { color: #8a4b00; }
.ok { color: #1a7f37; }
.notes { color: #444; font-size: 0.85em; }
</style>
<script>${plotly}</script>
</head>
<body>
<h1>${escapeHtml(content.title)}</h1>
${content.subtitle.map((s) => `<p class="subtitle">${escapeHtml(s)}</p>`).join("\n")}
<h2>Warnings</h2>
${warnings}
${figures.join("\n")}
${content.tables.map(tableHtml).join("\n")}
<h2>Methods</h2>
<ul class="notes">
${content.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("\n")}
</ul>
<script>
${draw.join("\n")}
</script>
</body>
</html>
`;
}
