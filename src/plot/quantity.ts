import { buildRuntimeFigure, type PlotOptions, type PlotSeries } from "./figure.js";

/** The y axis of a figure of another quantity than the runtime. */
export interface QuantityAxis {
  /** Axis title, e.g. "Resident memory [MiB]". */
  title: string;
  /** Unit shown on hover, e.g. "MiB". */
  unit: string;
}

/** A series of one value per batch size (no spread): low and high equal the value. */
export function pointSeries(label: string, batchSizes: number[], values: number[]): PlotSeries {
  return { label, batchSizes, median: values, low: values, high: values };
}

/**
 * The runtime figure's layout (CMS header, axes, legend, palette) for another quantity against the batch
 * size: memory, load time, runtime ratios. Pure function.
 */
export function buildQuantityFigure(
  series: PlotSeries[],
  opts: PlotOptions,
  axis: QuantityAxis,
): { data: object[]; layout: object } {
  const figure = buildRuntimeFigure(series, opts);
  const layout = figure.layout as { yaxis: object; legend: object };
  const data = figure.data.map((trace) =>
    "hovertemplate" in trace ? { ...trace, hovertemplate: `batch size %{x}: %{y:.4g} ${axis.unit}` } : trace,
  );
  return {
    data,
    layout: {
      ...layout,
      yaxis: { ...layout.yaxis, title: { text: axis.title, standoff: 10 } },
      // these curves are often flat and close together: the legend goes below the plot, not over the data
      legend: { ...layout.legend, orientation: "h", x: 0, xanchor: "left", y: -0.14, yanchor: "top" },
    },
  };
}
