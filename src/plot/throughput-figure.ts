/**
 * The throughput figure: events/s against the number of streams (median over the processes, the min–max
 * of the processes as error bars, the ideal linear scaling S × events/s(1) dashed, the efficiency written at
 * each point) above the per-call latency under contention (p50 solid, p99 dotted) against the streams.
 */
import { FIGURE_HEIGHT, FIGURE_WIDTH, TEXT_SIZE, cmsHeader } from "./figure.js";
import { latexToPlotly } from "./labels.js";
import { DEFAULT_PALETTE, curveStyles, paletteByName } from "./palette.js";

/** One curve: a model at a batch size, its points by streams. */
export interface ThroughputSeries {
  label: string;
  streams: number[];
  eventsPerSecond: number[];
  eventsPerSecondMin: number[];
  eventsPerSecondMax: number[];
  /** null where the curve has no 1-stream point. */
  efficiency: (number | null)[];
  p50Ms: number[];
  p99Ms: number[];
}

/** What the throughput figure takes of the plot options. */
export interface ThroughputFigureOptions {
  palette?: string;
  topRightLabel?: string;
  /** A logarithmic events/s axis (models of very different cost in one figure). */
  eventsLog: boolean;
  /** A logarithmic latency axis (latencies under contention span decades). */
  latencyLog: boolean;
}

const AXIS = {
  showline: true,
  linecolor: "#000000",
  mirror: "ticks",
  ticks: "inside",
  ticklen: 6,
  showgrid: true,
  gridcolor: "#e3e3e3",
  zeroline: false,
  automargin: true,
};

/** Builds the figure (Plotly data and layout) of throughput curves. */
export function buildThroughputFigure(
  series: ThroughputSeries[],
  opts: ThroughputFigureOptions,
): { data: object[]; layout: object } {
  const styles = curveStyles(series.length, paletteByName(opts.palette ?? DEFAULT_PALETTE));
  const data: object[] = [];
  series.forEach((s, i) => {
    const style = styles[i]!;
    const one = s.streams.indexOf(1);
    if (one >= 0) {
      // the ideal: every added stream adds the 1-stream throughput
      data.push({
        x: s.streams,
        y: s.streams.map((n) => n * s.eventsPerSecond[one]!),
        mode: "lines",
        line: { color: style.color, dash: "dash", width: 1.5 },
        name: `${latexToPlotly(s.label)}: ideal`,
        legendgroup: `s${i}`,
        showlegend: false,
        hoverinfo: "skip",
      });
    }
    data.push({
      x: s.streams,
      y: s.eventsPerSecond,
      mode: "lines+markers+text",
      name: latexToPlotly(s.label),
      legendgroup: `s${i}`,
      line: { color: style.color, width: 2.5 },
      marker: { symbol: style.marker, size: 10, color: style.color, line: { color: style.edge, width: 1 } },
      error_y: {
        type: "data",
        symmetric: false,
        array: s.eventsPerSecondMax.map((v, k) => v - s.eventsPerSecond[k]!),
        arrayminus: s.eventsPerSecond.map((v, k) => v - s.eventsPerSecondMin[k]!),
        color: style.edge,
      },
      text: s.efficiency.map((e, k) => (e === null || s.streams[k] === 1 ? "" : `${Math.round(100 * e)} %`)),
      textposition: "bottom left",
      textfont: { size: TEXT_SIZE.legend - 4, color: style.edge },
    });
    data.push(
      {
        x: s.streams,
        y: s.p50Ms,
        xaxis: "x2",
        yaxis: "y2",
        mode: "lines+markers",
        name: `${latexToPlotly(s.label)} p50`,
        legendgroup: `s${i}`,
        showlegend: false,
        line: { color: style.color, width: 2 },
        marker: { symbol: style.marker, size: 8, color: style.color },
      },
      {
        x: s.streams,
        y: s.p99Ms,
        xaxis: "x2",
        yaxis: "y2",
        mode: "lines+markers",
        name: `${latexToPlotly(s.label)} p99`,
        legendgroup: `s${i}`,
        showlegend: false,
        line: { color: style.color, width: 1.5, dash: "dot" },
        marker: { symbol: style.marker, size: 6, color: style.color },
      },
    );
  });
  const streams = [...new Set(series.flatMap((s) => s.streams))].sort((a, b) => a - b);
  const annotations = cmsHeader(opts.topRightLabel);
  const lo = streams[0] ?? 1;
  const hi = streams.at(-1) ?? 1;
  const pad = 0.15 * Math.max(hi - lo, 1);
  const xaxis = {
    ...AXIS,
    tickmode: "array",
    tickvals: streams,
    ticktext: streams.map(String),
    range: [lo - pad, hi + pad],
    autorange: false,
  };
  const layout = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    margin: { l: 90, r: 30, t: 56, b: 60 },
    paper_bgcolor: "#ffffff",
    plot_bgcolor: "#ffffff",
    font: { family: "DejaVu Sans, Arial, sans-serif", size: TEXT_SIZE.text - 4, color: "#000000" },
    xaxis: { ...xaxis, anchor: "y", showticklabels: false, domain: [0, 1] },
    yaxis: {
      ...AXIS,
      domain: [0.4, 1],
      type: opts.eventsLog ? "log" : "linear",
      ...(opts.eventsLog ? {} : { rangemode: "tozero" }),
      title: { text: "Events / s (dashed: ideal)", standoff: 8 },
    },
    xaxis2: { ...xaxis, anchor: "y2", matches: "x", title: { text: "Streams", standoff: 8 } },
    yaxis2: {
      ...AXIS,
      domain: [0, 0.33],
      type: opts.latencyLog ? "log" : "linear",
      ...(opts.latencyLog ? {} : { rangemode: "tozero" }),
      title: { text: "Latency [ms]<br><sub>p50 solid, p99 dotted</sub>", standoff: 8 },
    },
    showlegend: true,
    legend: {
      x: 0.02,
      xanchor: "left",
      y: 0.98,
      yanchor: "top",
      font: { size: series.length > 6 ? TEXT_SIZE.manyLegend : TEXT_SIZE.legend - 4 },
      bgcolor: "rgba(255, 255, 255, 0.8)",
      bordercolor: "#bbbbbb",
      borderwidth: 1,
    },
    annotations,
    hovermode: "closest",
  };
  return { data, layout };
}
