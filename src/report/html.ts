import { resized } from "../plot/figure.js";
import { LEGEND_PLACEMENT_SCRIPT } from "../plot/placement.js";

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
  /** A column whose value heads a group of rows (one spanning row per value) instead of repeating in each. */
  group?: number;
}

/** Warnings of one model (or of the whole set: `group` empty). */
export interface WarningGroup {
  group: string;
  lines: string[];
}

/** Everything the report page shows, in order. */
export interface ReportContent {
  title: string;
  /** Short facts under the title: what was measured, where, when, on which machine. */
  facts: [label: string, value: string][];
  figures: ReportFigure[];
  tables: ReportTable[];
  warnings: WarningGroup[];
  /** The methods, in sentences. */
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
export { plotlySource } from "../plot/plotly.js";

function tableHtml(t: ReportTable): string {
  const numeric = new Set(t.numeric ?? []);
  const keep = (i: number) => i !== t.group;
  const cell = (tag: string, text: string, i: number) =>
    `<${tag}${numeric.has(i) ? ' class="num"' : ""}>${escapeHtml(text)}</${tag}>`;
  const row = (r: string[]) => `<tr>${r.map((c, i) => (keep(i) ? cell("td", c, i) : "")).join("")}</tr>`;
  const body: string[] = [];
  let current: string | undefined;
  for (const r of t.rows) {
    if (t.group !== undefined && r[t.group] !== current) {
      current = r[t.group];
      body.push(
        `<tr class="group"><th colspan="${t.header.length - 1}">${escapeHtml(current ?? "")}</th></tr>`,
      );
    }
    body.push(row(r));
  }
  return [
    `<h2>${escapeHtml(t.heading)}</h2>`,
    '<div class="table"><table>',
    `<thead><tr>${t.header.map((h, i) => (keep(i) ? cell("th", h, i) : "")).join("")}</tr></thead>`,
    "<tbody>",
    ...body,
    "</tbody>",
    "</table></div>",
  ].join("\n");
}

/** The warnings section: collapsed, grouped per model, with the count in its summary line. */
function warningsHtml(groups: WarningGroup[]): string {
  const n = groups.reduce((a, g) => a + g.lines.length, 0);
  if (n === 0) return '<h2>Warnings</h2>\n<p class="ok">No warnings.</p>';
  const body = groups
    .filter((g) => g.lines.length > 0)
    .map(
      (g) =>
        `${g.group ? `<h3>${escapeHtml(g.group)}</h3>\n` : ""}<ul class="warnings">\n${g.lines
          .map((w) => `<li>${escapeHtml(w)}</li>`)
          .join("\n")}\n</ul>`,
    )
    .join("\n");
  return `<details class="warnings-section">
<summary><h2>Warnings (${n})</h2></summary>
${body}
</details>`;
}

/** Width of the report's content; the figures and tables are laid out to fit it. */
export const REPORT_WIDTH = 1200;

/**
 * One self-contained HTML page (plotly.js inlined once: no network, no file access when viewed): a short
 * header, the interactive figures first, then the tables, the warnings (collapsed, per model), the methods.
 * `plotly` is the library's source (see plotlySource).
 */
export function reportHtml(content: ReportContent, plotly: string): string {
  // the figures are smaller than a plot's page: their text and tick labels in proportion
  const fitted = (figure: { data: object[]; layout: object }) => {
    const { width, height } = figure.layout as { width?: number; height?: number };
    return width && height ? resized(figure, width, height) : figure;
  };
  // "<" escaped so that user text such as "</script>" cannot end the script element
  const json = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c");
  const figures = content.figures.map(
    (f, i) =>
      `<section class="figure-box"><h2>${escapeHtml(f.heading)}</h2>\n<div class="figure" id="figure-${i}"></div></section>`,
  );
  const draw = content.figures.map(
    (f, i) =>
      `Plotly.newPlot("figure-${i}", ${json(f.figure.data)}, ${json(fitted(f.figure).layout)}, {displaylogo: false}).then(mlprofPlaceLegend);`,
  );
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title>
<style>
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 0; color: #111; background: #f6f6f6; }
main { max-width: ${REPORT_WIDTH}px; margin: 0 auto; padding: 24px 32px 48px 32px; background: #ffffff; }
h1 { font-size: 1.5em; margin: 0 0 0.4em 0; }
h2 { font-size: 1.15em; margin: 1.4em 0 0.5em 0; border-bottom: 1px solid #ccc; display: inline-block; width: 100%; }
h3 { font-size: 1em; margin: 0.8em 0 0.2em 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; font-size: 0.9em; }
dl.facts dt { color: #555; }
dl.facts dd { margin: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 8px 16px; }
.figure-box { flex: 0 0 auto; }
.figure-box h2 { width: auto; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.5em 0; max-width: 100%; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.45em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
tr.group th { background: #e8eef6; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
th { white-space: normal; vertical-align: bottom; }
td { overflow-wrap: anywhere; }
td:first-child { white-space: nowrap; overflow-wrap: normal; }
.table { overflow-x: auto; max-width: 100%; }
details.warnings-section summary { cursor: pointer; list-style-position: outside; }
details.warnings-section summary h2 { display: inline; border: none; }
.warnings li { color: #8a4b00; font-size: 0.9em; }
.ok { color: #1a7f37; }
.notes { color: #333; font-size: 0.9em; }
.notes li { margin: 0.2em 0; }
</style>
<script>${plotly}</script>
</head>
<body>
<main>
<h1>${escapeHtml(content.title)}</h1>
<dl class="facts">${content.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>
<div class="figures">
${figures.join("\n")}
</div>
${content.tables.map(tableHtml).join("\n")}
${warningsHtml(content.warnings)}
<h2>Methods</h2>
<ul class="notes">
${content.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("\n")}
</ul>
</main>
<script>
${LEGEND_PLACEMENT_SCRIPT}
${draw.join("\n")}
</script>
</body>
</html>
`;
}
