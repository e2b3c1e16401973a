import type { PlotOptions } from "./figure.js";
import { latexToPlotly } from "./labels.js";
import { buildQuantityFigure } from "./quantity.js";

/** The ratio B / A of one batch size with its interval and verdict. */
export interface RatioPoint {
  batchSize: number;
  ratio: number;
  low: number;
  high: number;
  verdict: string;
}

/**
 * Figure of the runtime ratio B / A against the batch size: the ratio of medians with its confidence
 * band, each point labelled with its verdict, a line at 1 and the noise band 1 ± threshold shaded.
 */
export function buildRatioFigure(
  points: RatioPoint[],
  labels: { a: string; b: string },
  noiseThreshold: number,
  opts: Pick<PlotOptions, "xLog" | "yLog" | "yMin" | "yMax" | "topRightLabel">,
): { data: object[]; layout: object } {
  const series = {
    label: `${labels.b} / ${labels.a}`,
    batchSizes: points.map((p) => p.batchSize),
    median: points.map((p) => p.ratio),
    low: points.map((p) => p.low),
    high: points.map((p) => p.high),
  };
  const figure = buildQuantityFigure(
    [series],
    { ...opts, bsNormalized: false, errorStyle: "band" },
    { title: `Runtime ratio ${latexToPlotly(labels.b)} / ${latexToPlotly(labels.a)}`, unit: "" },
  );
  const data = figure.data.map((trace) =>
    "hovertemplate" in trace
      ? {
          ...trace,
          mode: "lines+markers+text",
          text: points.map((p) => p.verdict),
          textposition: "top center",
          hovertemplate: "batch size %{x}: ratio %{y:.4f} (%{text})",
        }
      : trace,
  );
  const layout = figure.layout as { shapes?: object[] };
  const band = {
    type: "rect",
    xref: "paper",
    x0: 0,
    x1: 1,
    yref: "y",
    y0: 1 - noiseThreshold,
    y1: 1 + noiseThreshold,
    fillcolor: "rgba(0, 0, 0, 0.07)",
    line: { width: 0 },
    layer: "below",
  };
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
  return { data, layout: { ...layout, shapes: [band, one] } };
}
