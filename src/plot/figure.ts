import { latexToPlotly } from "./labels.js";
import { DEFAULT_PALETTE, curveStyles, paletteByName, type CurveStyle } from "./palette.js";

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
  /** Each point's validity verdict (false: drawn with a hollow marker); absent: every point filled. */
  valid?: (boolean | null)[];
}

/** The marker symbol of each point: the curve's, hollow ("-open") where the point is invalid. */
export function pointSymbols(s: PlotSeries, symbol: string): string | string[] {
  if (!s.valid?.includes(false)) return symbol;
  return s.batchSizes.map((_, i) => (s.valid![i] === false ? `${symbol}-open` : symbol));
}

/** Appearance of the runtime plot. */
export interface PlotOptions {
  yLog: boolean;
  xLog: boolean;
  yMin?: number;
  yMax?: number;
  /** Only decides the y-axis title: "Runtime / batch size [ms]" vs "Runtime [ms]". */
  bsNormalized: boolean;
  /** "band": filled 16–84 % band; "bars": markers with asymmetric error bars, no lines. */
  errorStyle: "band" | "bars";
  /** Name of the colour palette (palette.ts, PALETTES); default: Petroff's sequence by the number of curves. */
  palette?: string;
  /** Text above the top-right corner of the plot area (may contain simple LaTeX). */
  topRightLabel?: string;
  /** Figure title (may contain simple LaTeX). */
  title?: string;
}

/** Figure size in px; also the PDF page size. */
export const FIGURE_WIDTH = 800;
export const FIGURE_HEIGHT = 600;

/**
 * Text sizes in px on the 800 × 600 px figure, in the proportions of mplhep's CMS style (a 10 × 10 in
 * figure with 26 pt text: 3.6 % of the figure's height; the "CMS" label 1.3 times that): 22 px is 3.7 % of
 * 600 px. On a 600 × 450 pt PDF page that is 16.5 pt, readable with the plot shrunk to half a slide.
 */
export const TEXT_SIZE = { text: 22, legend: 20, manyLegend: 16, cms: 29, title: 20 } as const;

/** Fonts shipped with Debian (DejaVu) first, then common fallbacks. */
const FONT_FAMILY = "DejaVu Sans, Arial, sans-serif";

/**
 * Bands are light, with edges in the curve's colour, so that overlapping bands of close curves stay
 * attributable instead of blending into one brown.
 */
const BAND_OPACITY = 0.12;
const BAND_EDGE_OPACITY = 0.7;

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
function bandTraces(s: PlotSeries, style: CurveStyle, group: string): object[] {
  const label = latexToPlotly(s.label);
  const color = style.color;
  const common = {
    type: "scatter",
    x: s.batchSizes,
    mode: "lines",
    line: { width: 1, color: withAlpha(color, BAND_EDGE_OPACITY), dash: style.dash },
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

/**
 * Plotly trace of the medians of one series: a line with markers, or with `bars` markers with asymmetric
 * error bars and no line (as the original's error-bar style).
 */
function medianTrace(
  s: PlotSeries,
  style: CurveStyle,
  group: string,
  bars: boolean,
  x = s.batchSizes,
): object {
  const color = style.color;
  return {
    type: "scatter",
    x,
    y: s.median,
    customdata: s.batchSizes,
    name: latexToPlotly(s.label),
    mode: bars ? "markers" : "lines+markers",
    line: { color, width: 2.5, dash: style.dash },
    marker: {
      color,
      size: 9,
      symbol: pointSymbols(s, style.marker),
      line: { color: s.valid?.includes(false) ? color : style.edge, width: s.valid?.includes(false) ? 2 : 1 },
    },
    legendgroup: group,
    hovertemplate: "batch size %{customdata}: %{y:.4g} ms",
    ...(bars && {
      error_y: {
        type: "data",
        symmetric: false,
        array: s.high.map((h, i) => h - (s.median[i] ?? NaN)),
        arrayminus: s.median.map((m, i) => m - (s.low[i] ?? NaN)),
        color,
        thickness: 2,
        width: 6,
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

/** Width of the plot area in px on the default figure (the figure less the margins and the y labels). */
const PLOT_AREA_WIDTH = 660;

/** Estimated width in px of a tick label of `text` at a text size (DejaVu Sans digits). */
function labelWidth(text: string, font: number): number {
  return 0.64 * font * text.length;
}

/** Smallest empty space in px between two neighbouring tick labels. */
const LABEL_GAP = 8;

/**
 * The batch sizes that get a tick label: all of them when they fit, else a subset (always the first and
 * the last) whose labels do not overlap on the plot area, on a linear or log axis. The others keep an
 * unlabelled tick.
 */
export function labelledTicks(
  batchSizes: number[],
  log: boolean,
  width = PLOT_AREA_WIDTH,
  font: number = TEXT_SIZE.text,
): number[] {
  const pos = (x: number) => (log ? Math.log10(x) : x);
  const first = batchSizes[0];
  const last = batchSizes[batchSizes.length - 1];
  if (first === undefined || last === undefined || first === last) return [...batchSizes];
  const px = (x: number) => ((pos(x) - pos(first)) / (pos(last) - pos(first))) * width;
  const apart = (a: number, b: number) =>
    Math.abs(px(b) - px(a)) >= (labelWidth(String(a), font) + labelWidth(String(b), font)) / 2 + LABEL_GAP;
  const kept = [first];
  for (const x of batchSizes.slice(1, -1)) {
    if (apart(kept[kept.length - 1]!, x) && apart(x, last)) kept.push(x);
  }
  kept.push(last);
  return kept;
}

/**
 * The measured batch sizes without a tick label on the x axis (their labels would overlap), and whether the
 * sizes span more than two decades: then a linear axis crowds the small ones and a log axis would space
 * them evenly.
 */
export function crowdedBatchSizes(
  batchSizes: number[],
  xLog: boolean,
): { unlabelled: number[]; decades: number } {
  const sorted = [...new Set(batchSizes)].sort((a, b) => a - b);
  const labelled = new Set(labelledTicks(sorted, xLog));
  const lo = sorted[0] ?? 1;
  const hi = sorted[sorted.length - 1] ?? 1;
  return {
    unlabelled: sorted.filter((b) => !labelled.has(b)),
    decades: lo > 0 ? Math.log10(hi / lo) : 0,
  };
}

/** Share of the x axis between the error bars of neighbouring series at one batch size. */
const DODGE = 0.012;

/**
 * x positions of series `i` with error bars. A point stays at its batch size unless another series has a
 * point at the same batch size whose 16–84 % interval overlaps its own (their bars would be drawn on top
 * of each other): the overlapping points are then spread by DODGE of the axis per series, around the batch
 * size (multiplicatively on a log axis). Hover still shows the batch size.
 */
export function dodged(series: PlotSeries[], i: number, all: number[], log: boolean): number[] {
  const s = series[i]!;
  const first = all[0];
  const last = all[all.length - 1];
  if (series.length < 2 || first === undefined || last === undefined) return s.batchSizes;
  return s.batchSizes.map((x, j) => {
    const lo = s.low[j]!;
    const hi = s.high[j]!;
    // the series whose bars at this batch size overlap this one's, this one included
    const group = series
      .map((o, k) => ({ o, k, at: o.batchSizes.indexOf(x) }))
      .filter(({ o, at }) => at >= 0 && o.low[at]! <= hi && o.high[at]! >= lo)
      .map(({ k }) => k);
    if (group.length < 2) return x;
    const offset = group.indexOf(i) - (group.length - 1) / 2;
    if (log) return x * 10 ** (DODGE * (Math.log10(last / first) || 1) * offset);
    return x + DODGE * (last - first || 1) * offset;
  });
}

/** The annotations above a figure: "CMS Simulation, MLProf" on the left, the top-right label (if any) on the right. */
export function cmsHeader(topRightLabel?: string): object[] {
  const header = { xref: "paper", yref: "paper", y: 1, yanchor: "bottom", yshift: 4, showarrow: false };
  const annotations: object[] = [
    {
      ...header,
      x: 0,
      xanchor: "left",
      text: "<b>CMS</b> <i>Simulation, MLProf</i>",
      font: { size: TEXT_SIZE.cms },
    },
  ];
  if (topRightLabel) {
    annotations.push({
      ...header,
      x: 1,
      xanchor: "right",
      text: latexToPlotly(topRightLabel),
      font: { size: TEXT_SIZE.text },
    });
  }
  return annotations;
}

/** Builds the Plotly figure (data + layout) of runtime vs. batch size; pure function. */
export function buildRuntimeFigure(
  series: PlotSeries[],
  opts: PlotOptions,
): { data: object[]; layout: object } {
  series.forEach(checkSeries);
  const styles = curveStyles(series.length, paletteByName(opts.palette ?? DEFAULT_PALETTE));
  const bands =
    opts.errorStyle === "band" ? series.flatMap((s, i) => bandTraces(s, styles[i]!, `s${i}`)) : [];
  // Bands first so that no band covers the median line of another series.
  const batchSizes = [...new Set(series.flatMap((s) => s.batchSizes))].sort((a, b) => a - b);
  const bars = opts.errorStyle === "bars";
  const data = [
    ...bands,
    ...series.map((s, i) =>
      medianTrace(
        s,
        styles[i]!,
        `s${i}`,
        bars,
        bars ? dodged(series, i, batchSizes, opts.xLog) : s.batchSizes,
      ),
    ),
  ];

  const range = yRange(series, opts);
  const [yLo, yHi] = range ?? dataExtent(series, opts.yLog) ?? [0, 0];
  const left = legendOnLeft(series);
  const labelled = new Set(labelledTicks(batchSizes, opts.xLog));

  const annotations = cmsHeader(opts.topRightLabel);

  const layout = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    margin: { l: 80, r: 30, t: opts.title ? 110 : 56, b: 60 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    font: { family: FONT_FAMILY, size: TEXT_SIZE.text, color: "#000000" },
    ...(opts.title && {
      title: {
        text: latexToPlotly(opts.title),
        x: 0.5,
        xanchor: "center",
        y: 0.985,
        yanchor: "top",
        font: { size: TEXT_SIZE.title },
      },
    }),
    xaxis: {
      ...AXIS_STYLE,
      type: opts.xLog ? "log" : "linear",
      title: { text: "Batch size", standoff: 10 },
      tickmode: "array",
      // a tick at every measured batch size, labelled where the label does not overlap another
      tickvals: batchSizes,
      ticktext: batchSizes.map((b) => (labelled.has(b) ? String(b) : "")),
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
      // many curves: a smaller legend, so that it does not take the plot's place
      font: { size: series.length > 8 ? TEXT_SIZE.manyLegend : TEXT_SIZE.legend },
      bgcolor: "rgba(255, 255, 255, 0.8)",
      bordercolor: "#bbbbbb",
      borderwidth: 1,
    },
    annotations,
    hovermode: "closest",
  };
  return { data, layout };
}

/** A layout's text sizes and margins times `k` (fonts of the layout, legend, title and annotations). */
function scaledLayout(layout: Record<string, unknown>, k: number): Record<string, unknown> {
  const font = (f: unknown) => {
    const o = (f ?? {}) as { size?: number };
    return o.size === undefined ? f : { ...o, size: Math.round(o.size * k) };
  };
  const withFont = (o: unknown) => {
    const obj = o as Record<string, unknown> | undefined;
    return obj && typeof obj === "object"
      ? { ...obj, ...(obj["font"] ? { font: font(obj["font"]) } : {}) }
      : o;
  };
  const margin = layout["margin"] as Record<string, number> | undefined;
  const annotations = layout["annotations"] as unknown[] | undefined;
  return {
    ...layout,
    font: font(layout["font"]),
    legend: withFont(layout["legend"]),
    ...(layout["title"] ? { title: withFont(layout["title"]) } : {}),
    ...(margin && {
      margin: Object.fromEntries(Object.entries(margin).map(([key, v]) => [key, Math.round(v * k)])),
    }),
    ...(annotations && {
      annotations: annotations.map((a) =>
        withFont(
          a && typeof a === "object" && "yshift" in a
            ? { ...a, yshift: Math.round((a.yshift as number) * k) }
            : a,
        ),
      ),
    }),
  };
}

/**
 * The figure laid out for another size than the default 800 × 600 px (e.g. the report's figures): text
 * sizes and margins in proportion, and the x tick labels chosen again for the narrower plot area.
 */
export function resized(
  figure: { data: object[]; layout: object },
  width: number,
  height: number,
): { data: object[]; layout: object } {
  if (width === FIGURE_WIDTH && height === FIGURE_HEIGHT) return figure;
  const k = Math.min(width / FIGURE_WIDTH, height / FIGURE_HEIGHT);
  const layout = scaledLayout({ ...(figure.layout as Record<string, unknown>), width, height }, k);
  const xaxis = layout["xaxis"] as { tickvals?: number[]; ticktext?: string[]; type?: string } | undefined;
  if (xaxis?.tickvals && xaxis.ticktext) {
    const area = width - (FIGURE_WIDTH - PLOT_AREA_WIDTH) * k;
    const shown = new Set(labelledTicks(xaxis.tickvals, xaxis.type === "log", area, TEXT_SIZE.text * k));
    layout["xaxis"] = { ...xaxis, ticktext: xaxis.tickvals.map((v) => (shown.has(v) ? String(v) : "")) };
  }
  return { data: figure.data, layout };
}
