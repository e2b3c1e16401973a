import { TEXT_SIZE, buildRuntimeFigure, type PlotOptions } from "./figure.js";
import { latexToPlotly } from "./labels.js";

/** The ratio B / A of one batch size with its interval and verdict. */
export interface RatioPoint {
  batchSize: number;
  ratio: number;
  low: number;
  high: number;
  verdict: string;
}

/** How each verdict is drawn: a marker of its own (no text labels, which collide at small batch sizes). */
const VERDICT_STYLE: Record<string, { symbol: string; color: string; name: string }> = {
  slower: { symbol: "triangle-up", color: "#D55E00", name: "B slower" },
  faster: { symbol: "triangle-down", color: "#009E73", name: "B faster" },
  same: { symbol: "circle-open", color: "#555555", name: "no established difference" },
  "no verdict": { symbol: "x-open", color: "#999999", name: "no verdict (a side is invalid)" },
};

/** Longest version label shown in full in the subtitle (20 px text on the 800 px figure). */
const MAX_LABEL = 64;

/** A label shortened in the middle to MAX_LABEL characters ("CMSSW_15_…_el9_amd64_gcc13"). */
function shortened(label: string): string {
  if (label.length <= MAX_LABEL) return label;
  const keep = (MAX_LABEL - 1) / 2;
  return `${label.slice(0, Math.ceil(keep))}…${label.slice(label.length - Math.floor(keep))}`;
}

/**
 * Figure of the runtime ratio B / A against the batch size: the ratio of medians with its confidence
 * band, each point marked by its verdict (a legend entry per verdict), a line at 1 and the noise band
 * 1 ± threshold, itself in the legend. The y-axis title stays short ("Runtime ratio B / A", whatever the
 * names); the subtitle says which measurements A and B are. The legend is placed from the rendered data, as
 * in the runtime plots.
 */
export function buildRatioFigure(
  points: RatioPoint[],
  labels: { a: string; b: string },
  noiseThreshold: number,
  opts: Pick<PlotOptions, "xLog" | "yLog" | "yMin" | "yMax" | "topRightLabel">,
): { data: object[]; layout: object } {
  const series = {
    label: "ratio of medians B / A",
    batchSizes: points.map((p) => p.batchSize),
    median: points.map((p) => p.ratio),
    low: points.map((p) => p.low),
    high: points.map((p) => p.high),
  };
  const figure = buildRuntimeFigure([series], { ...opts, bsNormalized: false, errorStyle: "band" });
  const data = figure.data.map((trace) =>
    "hovertemplate" in trace
      ? {
          ...trace,
          mode: "lines",
          hovertemplate: "batch size %{x}: ratio %{y:.4f}",
        }
      : trace,
  );
  const xs = points.map((p) => p.batchSize);
  const first = Math.min(...xs);
  const last = Math.max(...xs);
  const noise = {
    type: "scatter",
    x: [first, last, last, first, first],
    y: [1 - noiseThreshold, 1 - noiseThreshold, 1 + noiseThreshold, 1 + noiseThreshold, 1 - noiseThreshold],
    fill: "toself",
    fillcolor: "rgba(0, 0, 0, 0.07)",
    line: { width: 0 },
    mode: "lines",
    name: `noise threshold ±${(100 * noiseThreshold).toFixed(noiseThreshold * 100 < 1 ? 1 : 0)} %`,
    hoverinfo: "skip",
  };
  const verdicts = Object.entries(VERDICT_STYLE)
    .map(([verdict, style]) => {
      const at = points.filter((p) => p.verdict === verdict);
      return at.length === 0
        ? undefined
        : {
            type: "scatter",
            mode: "markers",
            x: at.map((p) => p.batchSize),
            y: at.map((p) => p.ratio),
            name: style.name,
            marker: {
              symbol: style.symbol,
              color: style.color,
              size: 10,
              line: { width: 1.5, color: style.color },
            },
            hovertemplate: `batch size %{x}: ratio %{y:.4f} (${verdict})<extra></extra>`,
          };
    })
    .filter((t) => t !== undefined);
  const layout = figure.layout as { yaxis: object; margin: object; annotations: object[] };
  const one = {
    type: "line",
    xref: "paper",
    x0: 0,
    x1: 1,
    yref: "y",
    y0: 1,
    y1: 1,
    line: { color: "#555555", width: 1, dash: "dash" },
  };
  return {
    data: [noise, ...data, ...verdicts],
    layout: {
      ...layout,
      margin: { ...layout.margin, t: 104 },
      yaxis: { ...layout.yaxis, title: { text: "Runtime ratio B / A", standoff: 10 } },
      shapes: [one],
      // which measurements A and B are, above the CMS header (an annotation: a multi-line title would be
      // anchored at its first line and overflow the top of the page)
      annotations: [
        ...layout.annotations,
        {
          xref: "paper",
          yref: "paper",
          x: 0.5,
          xanchor: "center",
          y: 1,
          yanchor: "bottom",
          yshift: 42,
          showarrow: false,
          align: "center",
          text: `A: ${latexToPlotly(shortened(labels.a))}<br>B: ${latexToPlotly(shortened(labels.b))}`,
          font: { size: TEXT_SIZE.title },
        },
      ],
    },
  };
}
