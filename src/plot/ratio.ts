import { buildRuntimeFigure, type PlotOptions } from "./figure.js";
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
const VERDICT_STYLE: Record<string, { symbol: string; color: string; name: (b: string) => string }> = {
  slower: { symbol: "triangle-up", color: "#D55E00", name: (b) => `${b} slower` },
  faster: { symbol: "triangle-down", color: "#009E73", name: (b) => `${b} faster` },
  same: { symbol: "circle-open", color: "#555555", name: () => "no established difference" },
};

/**
 * Figure of the runtime ratio B / A against the batch size: the ratio of medians with its confidence
 * band, each point marked by its verdict (a legend entry per verdict), a line at 1 and the noise band
 * 1 ± threshold, itself in the legend. The legend is placed from the rendered data, as in the runtime plots.
 */
export function buildRatioFigure(
  points: RatioPoint[],
  labels: { a: string; b: string },
  noiseThreshold: number,
  opts: Pick<PlotOptions, "xLog" | "yLog" | "yMin" | "yMax" | "topRightLabel">,
): { data: object[]; layout: object } {
  const series = {
    label: `ratio of medians, ${latexToPlotly(labels.b)} / ${latexToPlotly(labels.a)}`,
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
            name: style.name(latexToPlotly(labels.b)),
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
  const layout = figure.layout as { yaxis: object; title?: object; shapes?: object[] };
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
      yaxis: {
        ...layout.yaxis,
        title: {
          text: `Runtime ratio ${latexToPlotly(labels.b)} / ${latexToPlotly(labels.a)}`,
          standoff: 10,
        },
      },
      shapes: [one],
    },
  };
}
