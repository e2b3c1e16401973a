import { buildRuntimeFigure, type PlotOptions, type PlotSeries } from "./figure.js";

/** The y axis of a figure of another quantity than the runtime. */
export interface QuantityAxis {
  /** Axis title, e.g. "Resident memory [MiB]". */
  title: string;
  /** Unit shown on hover, e.g. "MiB". */
  unit: string;
  /** Fit the y range to the data instead of starting at 0 (memory: a 5 MiB step on 50 MiB stays visible). */
  fit?: boolean;
  /** Legend heading, e.g. the model whose stages are drawn. */
  legendTitle?: string;
}

/** A series of one value per batch size (no spread): low and high equal the value. */
export function pointSeries(label: string, batchSizes: number[], values: number[]): PlotSeries {
  return { label, batchSizes, median: values, low: values, high: values };
}

/** Line dashes and marker symbols by series, so that coinciding lines stay distinguishable. */
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"];
const SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star"];

/**
 * The runtime figure's layout (CMS header, axes, legend placed from the data, palette) for another
 * quantity against the batch size: memory, load time. Pure function.
 */
export function buildQuantityFigure(
  series: PlotSeries[],
  opts: PlotOptions,
  axis: QuantityAxis,
): { data: object[]; layout: object } {
  const figure = buildRuntimeFigure(series, opts);
  const layout = figure.layout as { yaxis: Record<string, unknown>; legend: object };
  let k = 0;
  const data = figure.data.map((trace) => {
    if (!("hovertemplate" in trace)) return trace;
    const t = trace as unknown as { line: object; marker: object };
    const i = k++;
    return {
      ...trace,
      hovertemplate: `batch size %{customdata}: %{y:.4g} ${axis.unit}`,
      line: { ...t.line, dash: DASHES[i % DASHES.length] },
      marker: { ...t.marker, symbol: SYMBOLS[i % SYMBOLS.length], size: 8 },
    };
  });
  const yaxis = { ...layout.yaxis };
  delete yaxis.rangemode;
  return {
    data,
    layout: {
      ...layout,
      yaxis: {
        ...(axis.fit ? yaxis : layout.yaxis),
        title: { text: axis.title, standoff: 10 },
      },
      legend: { ...layout.legend, ...(axis.legendTitle && { title: { text: axis.legendTitle } }) },
    },
  };
}
