/**
 * The colours, markers and dashes of the curves of a figure. The default follows the CMS style of mplhep:
 * Petroff's accessible colour sequences (M. A. Petroff, "Accessible Color Sequences for Data
 * Visualization", arXiv:2107.02270; the hex values are matplotlib's `petroff6`, `petroff8` and `petroff10`),
 * the shortest one that gives every curve its own colour. Beyond the colours of a sequence the curves
 * repeat them with another marker and dash, so that no two curves look alike.
 */

/** A named colour sequence, or a rule choosing one by the number of curves. */
export interface Palette {
  /** What `--palette` names it. */
  name: string;
  /** One line for the help. */
  description: string;
  /** The colours for `n` curves (fewer than `n` when they repeat). */
  colors(n: number): readonly string[];
}

const PETROFF6 = ["#5790FC", "#F89C20", "#E42536", "#964A8B", "#9C9CA1", "#7A21DD"] as const;
const PETROFF8 = [
  "#1845FB",
  "#FF5E02",
  "#C91F16",
  "#C849A9",
  "#ADAD7D",
  "#86C8DD",
  "#578DFF",
  "#656364",
] as const;
const PETROFF10 = [
  "#3F90DA",
  "#FFA90E",
  "#BD1F01",
  "#94A4A2",
  "#832DB6",
  "#A96B59",
  "#E76300",
  "#B9AC70",
  "#717581",
  "#92DADD",
] as const;
/** Okabe-Ito, yellow last: it is the faintest on white, used only for an eighth curve. */
const OKABE_ITO = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#56B4E9",
  "#CC79A7",
  "#000000",
  "#F0E442",
] as const;

/** The palettes `--palette` offers; the first is the default. */
export const PALETTES: readonly Palette[] = [
  {
    name: "petroff",
    description: "Petroff's 6-, 8- or 10-colour sequence, the shortest that fits the curves (CMS style)",
    colors: (n) => (n <= 6 ? PETROFF6 : n <= 8 ? PETROFF8 : PETROFF10),
  },
  { name: "petroff6", description: "Petroff's 6-colour sequence", colors: () => PETROFF6 },
  { name: "petroff8", description: "Petroff's 8-colour sequence", colors: () => PETROFF8 },
  { name: "petroff10", description: "Petroff's 10-colour sequence", colors: () => PETROFF10 },
  { name: "okabe-ito", description: "Okabe and Ito's 8 colours", colors: () => OKABE_ITO },
];

/** The name of the default palette. */
export const DEFAULT_PALETTE = PALETTES[0]!.name;

/** The palette of a name; throws naming the choices for an unknown one. */
export function paletteByName(name: string): Palette {
  const found = PALETTES.find((p) => p.name === name);
  if (!found) {
    throw new Error(`unknown palette '${name}': expected one of ${PALETTES.map((p) => p.name).join(", ")}`);
  }
  return found;
}

/** Markers of the rounds of colours: the first round has circles, each further one another shape. */
const MARKERS = [
  "circle",
  "square",
  "diamond",
  "triangle-up",
  "triangle-down",
  "cross",
  "x",
  "star",
] as const;
/** Dashes of the rounds of colours, as the markers. */
const DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px", "1px,3px"] as const;

/** How one curve is drawn. */
export interface CurveStyle {
  color: string;
  /** The colour darkened: the outline of markers and of the legend symbol, visible on white. */
  edge: string;
  marker: string;
  dash: string;
}

/** `#rrggbb` darkened by a fraction (0: unchanged, 1: black). */
export function darken(hex: string, by: number): string {
  const rgb = [1, 3, 5].map((i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * (1 - by)));
  return `#${rgb.map((c) => c.toString(16).padStart(2, "0")).join("")}`.toUpperCase();
}

/**
 * The styles of `n` curves: curve i has colour i of the palette; when the colours run out, the next round
 * repeats them with the next marker and dash, so that any two curves differ in colour, marker or dash.
 */
export function curveStyles(n: number, palette: Palette = paletteByName(DEFAULT_PALETTE)): CurveStyle[] {
  const colors = palette.colors(n);
  return Array.from({ length: n }, (_, i) => {
    const round = Math.floor(i / colors.length);
    const color = colors[i % colors.length]!;
    return {
      color,
      edge: darken(color, 0.4),
      marker: MARKERS[round % MARKERS.length]!,
      dash: DASHES[round % DASHES.length]!,
    };
  });
}
