import { latexToPlotly } from "./labels.js";

/** One measured model / configuration: runtime quantiles per batch size. */
export interface PlotSeries {
  /** Legend label; may contain simple LaTeX (converted with {@link latexToPlotly}). */
  label: string;
  /** x values, ascending. */
  batchSizes: number[];
  /** Median runtime (already normalised by the caller if `bsNormalized`). */
  median: number[];
  /** 16th percentile, same length as `median`. */
  low: number[];
  /** 84th percentile, same length as `median`. */
  high: number[];
}

/** Appearance of the runtime plot. */
export interface PlotOptions {
  yLog: boolean;
  xLog: boolean;
  yMin?: number;
  yMax?: number;
  /** Only decides the y-axis title: "Runtime / batch size [ms]" vs "Runtime [ms]". */
  bsNormalized: boolean;
  /** "band": filled 16–84 % band; "bars": asymmetric error bars. */
  errorStyle: "band" | "bars";
  /** Text above the top-right corner of the plot area (may contain simple LaTeX). */
  topRightLabel?: string;
  /** Figure title (may contain simple LaTeX). */
  title?: string;
}

/** Figure size in px; also the PDF page size. */
export const FIGURE_WIDTH = 800;
export const FIGURE_HEIGHT = 600;

/** Okabe-Ito colour-blind-friendly palette, reordered so that well-contrasting colours come first. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#000000", "#F0E442"];

/** Fonts shipped with Debian (DejaVu) first, then common fallbacks. */
const FONT_FAMILY = "DejaVu Sans, Arial, sans-serif";

/** Bands are light, with edges in the curve's colour, so that overlapping bands stay attributable. */
const BAND_OPACITY = 0.15;
const BAND_EDGE_OPACITY = 0.55;

/** Converts `#rrggbb` to an `rgba()` string with the given opacity. */
function withAlpha(hex: string, alpha: number): string {
  const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return `rgba(${rgb.join(", ")}, ${alpha})`;
}

/** Throws if the quantile arrays of a series do not match its batch sizes. */
function checkSeries(s: PlotSeries): void {
  const n = s.batchSizes.length;
  if (s.median.length !== n || s.low.length !== n || s.high.length !== n) {
    throw new Error(
      `Series "${s.label}": batchSizes, median, low and high must have the same length ` +
        `(got ${n}, ${s.median.length}, ${s.low.length}, ${s.high.length})`,
    );
  }
}

/** Plotly traces of the 16–84 % band of one series: invisible low/high lines, filled in between. */
function bandTraces(s: PlotSeries, color: string, group: string): object[] {
  const label = latexToPlotly(s.label);
  const common = {
    type: "scatter",
    x: s.batchSizes,
    mode: "lines",
    line: { width: 0.8, color: withAlpha(color, BAND_EDGE_OPACITY) },
    legendgroup: group,
    showlegend: false,
    hoverinfo: "skip",
  };
  return [
    { ...common, name: `${label} 16 %`, y: s.low },
    {
      ...common,
      name: `${label} 84 %`,
      y: s.high,
      fill: "tonexty",
      fillcolor: withAlpha(color, BAND_OPACITY),
    },
  ];
}

/** Plotly trace of the medians of one series, with asymmetric error bars if requested. */
function medianTrace(s: PlotSeries, color: string, group: string, bars: boolean, x = s.batchSizes): object {
  return {
    type: "scatter",
    x,
    y: s.median,
    customdata: s.batchSizes,
    name: latexToPlotly(s.label),
    mode: "lines+markers",
    line: { color, width: 2 },
    marker: { color, size: 7 },
    legendgroup: group,
    hovertemplate: "batch size %{customdata}: %{y:.4g} ms",
    ...(bars && {
      error_y: {
        type: "data",
        symmetric: false,
        array: s.high.map((h, i) => h - (s.median[i] ?? NaN)),
        arrayminus: s.median.map((m, i) => m - (s.low[i] ?? NaN)),
        color,
        thickness: 1.5,
        width: 4,
      },
    }),
  };
}

/** Extent of all finite quantiles in axis units (log10 for log axes, ignoring values <= 0). */
function dataExtent(series: PlotSeries[], yLog: boolean): [number, number] | undefined {
  const values = series
    .flatMap((s) => [...s.low, ...s.median, ...s.high])
    .filter((v) => Number.isFinite(v) && (!yLog || v > 0))
    .map((v) => (yLog ? Math.log10(v) : v));
  return values.length > 0 ? [Math.min(...values), Math.max(...values)] : undefined;
}

/**
 * y-axis range in axis units (log10 for log axes) from yMin/yMax; a missing bound is derived from the
 * data with 5 % padding (linear axes start at 0 for non-negative data). Undefined means autorange.
 */
function yRange(series: PlotSeries[], opts: PlotOptions): [number, number] | undefined {
  const { yMin, yMax, yLog } = opts;
  if (yMin === undefined && yMax === undefined) return undefined;
  for (const [name, v] of [
    ["yMin", yMin],
    ["yMax", yMax],
  ] as const) {
    if (v !== undefined && (!Number.isFinite(v) || (yLog && v <= 0))) {
      throw new Error(`${name} must be a finite${yLog ? ", positive" : ""} number, got ${v}`);
    }
  }
  const t = (v: number): number => (yLog ? Math.log10(v) : v);
  const lo = yMin === undefined ? undefined : t(yMin);
  const hi = yMax === undefined ? undefined : t(yMax);
  if (lo !== undefined && hi !== undefined) {
    if (lo >= hi) throw new Error(`yMin (${yMin}) must be smaller than yMax (${yMax})`);
    return [lo, hi];
  }
  const given = (lo ?? hi) as number;
  const [dataLo, dataHi] = dataExtent(series, yLog) ?? [given, given];
  const fallbackSpan = yLog ? 1 : Math.abs(given) || 1;
  const pad = 0.05 * (dataHi - dataLo) || 0.1 * fallbackSpan;
  if (lo !== undefined) {
    const top = dataHi + pad;
    return [lo, top > lo ? top : lo + fallbackSpan];
  }
  const bottom = !yLog && dataLo >= 0 ? 0 : dataLo - pad;
  return [bottom < given ? bottom : given - fallbackSpan, given];
}

/** A tick value as a label: no float noise (0.30000000000000004), no exponent for 1e-4 … 1e6. */
export function tickLabel(v: number): string {
  const text = String(Number(v.toPrecision(6)));
  return /e/.test(text) ? v.toExponential(0).replace("e+", "e") : text;
}

/**
 * Ticks of a log axis spanning [lo, hi] (log10 units): labels at 1-2-5 per decade for up to 3 decades,
 * at 1-3 up to 5, at each decade beyond; unlabelled minor ticks at 1…9 per decade. Every label is set
 * explicitly, so all have the same size (Plotly's own minor-log labels are smaller).
 */
export function logAxisTicks(lo: number, hi: number): object {
  const decades = hi - lo;
  const mantissas = decades <= 3 ? [1, 2, 5] : decades <= 5 ? [1, 3] : [1];
  const labelled: number[] = [];
  const minor: number[] = [];
  for (let e = Math.floor(lo) - 1; e <= Math.ceil(hi); e++) {
    for (let m = 1; m <= 9; m++) {
      const v = m * 10 ** e;
      const lv = Math.log10(v);
      if (lv < lo - 0.05 || lv > hi + 0.05) continue;
      (mantissas.includes(m) ? labelled : minor).push(Number(v.toPrecision(6)));
    }
  }
  return {
    tickmode: "array",
    tickvals: labelled,
    ticktext: labelled.map(tickLabel),
    minor: { tickmode: "array", tickvals: minor, ticks: "inside", ticklen: 3, showgrid: false },
  };
}

/** Legend corner: top-left when the medians rise with the batch size (that corner is empty), else top-right. */
function legendOnLeft(series: PlotSeries[]): boolean {
  let trend = 0;
  for (const s of series) {
    const first = s.median[0];
    const last = s.median[s.median.length - 1];
    if (first !== undefined && last !== undefined) trend += Math.sign(last - first);
  }
  return trend >= 0;
}

/** Axis styling shared by x and y: framed box, inside ticks, light grid. */
const AXIS_STYLE = {
  showline: true,
  linecolor: "#000000",
  linewidth: 1,
  mirror: "ticks",
  ticks: "inside",
  ticklen: 6,
  showgrid: true,
  gridcolor: "#e3e3e3",
  zeroline: false,
  automargin: true,
};

/** Smallest distance between two labelled x ticks, as a fraction of the axis span. */
const MIN_TICK_GAP = 0.045;

/**
 * The batch sizes that get a tick label: all of them when they fit, else a subset (always the first and
 * the last) whose labels are at least MIN_TICK_GAP of the axis apart, on a linear or log axis.
 */
export function labelledTicks(batchSizes: number[], log: boolean): number[] {
  const pos = (x: number) => (log ? Math.log10(x) : x);
  const first = batchSizes[0];
  const last = batchSizes[batchSizes.length - 1];
  if (first === undefined || last === undefined || first === last) return [...batchSizes];
  const span = pos(last) - pos(first);
  const kept = [first];
  for (const x of batchSizes.slice(1, -1)) {
    if (
      pos(x) - pos(kept[kept.length - 1]!) >= MIN_TICK_GAP * span &&
      pos(last) - pos(x) >= MIN_TICK_GAP * span
    ) {
      kept.push(x);
    }
  }
  kept.push(last);
  return kept;
}

/** Share of the x axis between the error bars of neighbouring series at one batch size. */
const DODGE = 0.008;

/**
 * x positions of series `i` of `n` with error bars: shifted by a small fraction of the axis around the
 * batch size (multiplicatively on a log axis), so that overlapping bars stay apart; hover shows the batch size.
 */
export function dodged(x: number[], i: number, n: number, all: number[], log: boolean): number[] {
  if (n < 2 || all.length === 0) return x;
  const k = i - (n - 1) / 2;
  const first = all[0]!;
  const last = all[all.length - 1]!;
  if (log) {
    const span = Math.log10(last / first) || 1;
    return x.map((v) => v * 10 ** (DODGE * span * k));
  }
  const span = last - first || 1;
  return x.map((v) => v + DODGE * span * k);
}

/** Builds the Plotly figure (data + layout) of runtime vs. batch size; pure function. */
export function buildRuntimeFigure(
  series: PlotSeries[],
  opts: PlotOptions,
): { data: object[]; layout: object } {
  series.forEach(checkSeries);
  const colors = series.map((_, i) => PALETTE[i % PALETTE.length] as string);
  const bands =
    opts.errorStyle === "band" ? series.flatMap((s, i) => bandTraces(s, colors[i] as string, `s${i}`)) : [];
  // Bands first so that no band covers the median line of another series.
  const batchSizes = [...new Set(series.flatMap((s) => s.batchSizes))].sort((a, b) => a - b);
  const bars = opts.errorStyle === "bars";
  const data = [
    ...bands,
    ...series.map((s, i) =>
      medianTrace(
        s,
        colors[i] as string,
        `s${i}`,
        bars,
        bars ? dodged(s.batchSizes, i, series.length, batchSizes, opts.xLog) : s.batchSizes,
      ),
    ),
  ];

  const range = yRange(series, opts);
  const [yLo, yHi] = range ?? dataExtent(series, opts.yLog) ?? [0, 0];
  const left = legendOnLeft(series);

  const header = { xref: "paper", yref: "paper", y: 1, yanchor: "bottom", yshift: 4, showarrow: false };
  const annotations: object[] = [
    { ...header, x: 0, xanchor: "left", text: "<b>CMS</b> <i>Simulation, MLProf</i>", font: { size: 18 } },
  ];
  if (opts.topRightLabel) {
    annotations.push({
      ...header,
      x: 1,
      xanchor: "right",
      text: latexToPlotly(opts.topRightLabel),
      font: { size: 14 },
    });
  }

  const layout = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    margin: { l: 70, r: 30, t: opts.title ? 90 : 50, b: 50 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    font: { family: FONT_FAMILY, size: 14, color: "#000000" },
    ...(opts.title && {
      title: { text: latexToPlotly(opts.title), x: 0.5, xanchor: "center", font: { size: 18 } },
    }),
    xaxis: {
      ...AXIS_STYLE,
      type: opts.xLog ? "log" : "linear",
      title: { text: "Batch size", standoff: 10 },
      tickmode: "array",
      tickvals: labelledTicks(batchSizes, opts.xLog),
      ticktext: labelledTicks(batchSizes, opts.xLog).map(String),
      tickangle: 0,
    },
    yaxis: {
      ...AXIS_STYLE,
      type: opts.yLog ? "log" : "linear",
      title: { text: opts.bsNormalized ? "Runtime / batch size [ms]" : "Runtime [ms]", standoff: 10 },
      ...(range ? { range, autorange: false } : opts.yLog ? {} : { rangemode: "tozero" }),
      ...(opts.yLog && logAxisTicks(yLo, yHi)),
    },
    showlegend: true,
    legend: {
      x: left ? 0.02 : 0.98,
      xanchor: left ? "left" : "right",
      y: 0.98,
      yanchor: "top",
      tracegroupgap: 2,
      bgcolor: "rgba(255, 255, 255, 0.8)",
      bordercolor: "#bbbbbb",
      borderwidth: 1,
    },
    annotations,
    hovermode: "closest",
  };
  return { data, layout };
}
