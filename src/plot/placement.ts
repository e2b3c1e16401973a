/**
 * Legend placement from the rendered data, run in the page after Plotly has drawn the figure (in the
 * headless Chromium that renders PDF and PNG, and in the interactive HTML): the legend goes to the first
 * corner (then edge midpoint) of the plot area where its box covers no marker, line, error bar, text label
 * or band; when every position inside covers something, below the plot. Rendered geometry, not estimates:
 * label widths depend on the font, bands on the axis ranges.
 */

/** Browser-side source: defines `mlprofLegendOverlaps(gd)` and `mlprofPlaceLegend(gd)` (a promise). */
export const LEGEND_PLACEMENT_SCRIPT = String.raw`
function mlprofLegendRect(gd) {
  const bg = gd.querySelector(".legend .bg");
  if (!bg) return null;
  const r = bg.getBoundingClientRect();
  return { left: r.left - 2, top: r.top - 2, right: r.right + 2, bottom: r.bottom + 2 };
}
function mlprofInside(r, x, y) {
  return x >= r.left && x <= r.right && y >= r.top && y <= r.bottom;
}
function mlprofIntersects(r, b) {
  return b.right >= r.left && b.left <= r.right && b.bottom >= r.top && b.top <= r.bottom;
}
/** What of the data the legend box covers: a list of short descriptions (empty: nothing). */
function mlprofLegendOverlaps(gd) {
  const r = mlprofLegendRect(gd);
  if (!r) return [];
  const found = [];
  const layer = gd.querySelector(".cartesianlayer");
  if (!layer) return [];
  for (const el of layer.querySelectorAll(".point, .textpoint text, .errorbar path")) {
    const b = el.getBoundingClientRect();
    if (b.width + b.height > 0 && mlprofIntersects(r, b)) found.push("marker or label");
  }
  for (const path of layer.querySelectorAll("path.js-line")) {
    const length = path.getTotalLength ? path.getTotalLength() : 0;
    const ctm = path.getScreenCTM();
    if (!ctm || !(length > 0) || parseFloat(getComputedStyle(path).strokeWidth || "0") === 0) continue;
    for (let s = 0; s <= length; s += 2) {
      const p = path.getPointAtLength(s).matrixTransform(ctm);
      if (mlprofInside(r, p.x, p.y)) {
        found.push("line");
        break;
      }
    }
  }
  for (const path of layer.querySelectorAll("path.js-fill")) {
    const ctm = path.getScreenCTM();
    if (!ctm) continue;
    const inv = ctm.inverse();
    let hit = false;
    for (let x = r.left; x <= r.right && !hit; x += 3) {
      for (let y = r.top; y <= r.bottom && !hit; y += 3) {
        const p = new DOMPoint(x, y).matrixTransform(inv);
        if (path.isPointInFill(p)) hit = true;
      }
    }
    if (hit) found.push("band");
  }
  return found;
}
const MLPROF_LEGEND_SPOTS = [
  { x: 0.02, xanchor: "left", y: 0.98, yanchor: "top" },
  { x: 0.98, xanchor: "right", y: 0.98, yanchor: "top" },
  { x: 0.02, xanchor: "left", y: 0.02, yanchor: "bottom" },
  { x: 0.98, xanchor: "right", y: 0.02, yanchor: "bottom" },
  { x: 0.5, xanchor: "center", y: 0.98, yanchor: "top" },
  { x: 0.5, xanchor: "center", y: 0.02, yanchor: "bottom" },
  { x: 0.02, xanchor: "left", y: 0.5, yanchor: "middle" },
  { x: 0.98, xanchor: "right", y: 0.5, yanchor: "middle" },
];
/** Moves the legend to the first free spot (the layout's own first), else below the plot. */
async function mlprofPlaceLegend(gd) {
  const legend = gd.layout.legend || {};
  if (!gd.layout.showlegend || legend.orientation === "h") return "as laid out";
  const own = { x: legend.x, xanchor: legend.xanchor, y: legend.y, yanchor: legend.yanchor };
  const spots = [own, ...MLPROF_LEGEND_SPOTS.filter((s) => s.x !== own.x || s.y !== own.y)];
  for (const s of spots) {
    await Plotly.relayout(gd, { "legend.x": s.x, "legend.xanchor": s.xanchor, "legend.y": s.y, "legend.yanchor": s.yanchor });
    if (mlprofLegendOverlaps(gd).length === 0) return s.yanchor + " " + s.xanchor;
  }
  // below the axis title: at the bottom of the figure, the plot area shrunk by the legend's height
  await Plotly.relayout(gd, {
    "legend.orientation": "h",
    "legend.x": 0,
    "legend.xanchor": "left",
    "legend.yref": "container",
    "legend.y": 0,
    "legend.yanchor": "bottom",
    "legend.bgcolor": "rgba(255, 255, 255, 0)",
    "legend.borderwidth": 0,
  });
  const box = gd.querySelector(".legend .bg");
  const height = box ? box.getBoundingClientRect().height : 0;
  await Plotly.relayout(gd, { "margin.b": (gd.layout.margin && gd.layout.margin.b || 50) + height + 4 });
  return "below the plot";
}
`;
