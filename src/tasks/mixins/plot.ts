/** What the plotting tasks share: the plot configuration, output names and rendering. */
import { join } from "node:path";
import { execa } from "execa";
import type { PlotOptions } from "../../plot/figure.js";
import { renderFigure, type RenderTargets } from "../../plot/render.js";
import { MlprofError } from "../../util/errors.js";
import type { Values } from "../../framework/parameters.js";
import type { TaskContext } from "../../framework/task.js";
import { PLOT_PARAMS } from "../params.js";

/** Plot settings shared by the plotting tasks. */
export interface PlotConfig {
  options: PlotOptions;
  fileTypes: ("pdf" | "png")[];
  postfix: string;
  viewCmd: string;
}

const FILE_TYPES = ["pdf", "png"] as const;

/** Checks and converts the plot parameters (PLOT_PARAMS). */
export function plotConfig(v: Values<typeof PLOT_PARAMS>): PlotConfig {
  const fileTypes = [...new Set(v.fileTypes)];
  for (const t of fileTypes) {
    if (!(FILE_TYPES as readonly string[]).includes(t)) {
      throw new MlprofError(
        `--file-types: expected pdf and/or png, found '${t}' (an interactive .html is always written)`,
      );
    }
  }
  if (fileTypes.length === 0) throw new MlprofError("--file-types: expected at least one of pdf, png");
  const { yMin, yMax, yLog } = v;
  if (yMin !== undefined && yMax !== undefined && yMin >= yMax) {
    throw new MlprofError(`--y-min (${yMin}) must be smaller than --y-max (${yMax})`);
  }
  if (yLog && ((yMin !== undefined && yMin <= 0) || (yMax !== undefined && yMax <= 0))) {
    throw new MlprofError("--y-min and --y-max must be positive with --y-log");
  }
  return {
    options: {
      yLog,
      xLog: v.xLog,
      yMin,
      yMax,
      bsNormalized: v.bsNormalized,
      errorStyle: v.errorStyle as "band" | "bars",
      topRightLabel: v.topRightLabel || undefined,
    },
    fileTypes: fileTypes as ("pdf" | "png")[],
    postfix: v.plotPostfix,
    viewCmd: v.viewCmd,
  };
}

/** Output paths of a plot: one per file type plus the interactive HTML. */
export function plotOutputs(dir: string, stem: string, plot: PlotConfig): string[] {
  const base = plot.postfix ? `${stem}__${plot.postfix}` : stem;
  return [...plot.fileTypes.map((t) => join(dir, `${base}.${t}`)), join(dir, `${base}.html`)];
}

/** Renders a figure to the plot's outputs and runs --view-cmd on the PDF/PNG files. */
export async function renderAndView(
  figure: { data: object[]; layout: object },
  plot: PlotConfig,
  outputs: string[],
  ctx: TaskContext,
): Promise<void> {
  const targets: RenderTargets = {};
  for (const out of outputs) {
    const ext = out.slice(out.lastIndexOf(".") + 1) as keyof RenderTargets;
    targets[ext] = out;
  }
  ctx.progress("rendering the plot in Chromium");
  await renderFigure(figure, targets);
  if (plot.viewCmd) {
    for (const out of outputs.filter((o) => !o.endsWith(".html"))) {
      const [cmd, ...cmdArgs] = plot.viewCmd.trim().split(/\s+/) as [string, ...string[]];
      await execa(cmd, [...cmdArgs, out], { stdio: "inherit", reject: false });
    }
  }
}
