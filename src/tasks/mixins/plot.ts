/** What the plotting tasks share: the plot configuration, output names and rendering. */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { crowdedBatchSizes, type PlotOptions } from "../../plot/figure.js";
import { checkFileTypes, type FileType } from "../../plot/formats.js";
import { DEFAULT_PALETTE } from "../../plot/palette.js";
import { readMergedRecord, type PartialRecord } from "../../record/measurement.js";
import { SETTINGS_ELEMENT, renderFigure, type PageInfo, type RenderTargets } from "../../plot/render.js";
import { MlprofError } from "../../util/errors.js";
import type { Values } from "../../framework/parameters.js";
import type { TaskContext } from "../../framework/task.js";
import { PLOT_PARAMS } from "../params.js";
import { distinctValues } from "../../report/text.js";

/** Plot settings shared by the plotting tasks. */
export interface PlotConfig {
  options: PlotOptions;
  fileTypes: FileType[];
  postfix: string;
  viewCmd: string;
}

/** Checks and converts the plot parameters (PLOT_PARAMS). */
export function plotConfig(v: Values<typeof PLOT_PARAMS>): PlotConfig {
  const fileTypes = checkFileTypes(v.fileTypes);
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
      palette: v.palette,
      topRightLabel: v.topRightLabel || undefined,
    },
    fileTypes,
    postfix: v.plotPostfix,
    viewCmd: v.viewCmd,
  };
}

/** Output paths of a plot: one per file type plus the interactive HTML. */
export function plotOutputs(dir: string, stem: string, plot: PlotConfig): string[] {
  const base = plot.postfix ? `${stem}__${plot.postfix}` : stem;
  return [...plot.fileTypes.map((t) => join(dir, `${base}.${t}`)), join(dir, `${base}.html`)];
}

/** The plot-only settings of a plot (they are not part of its path): recorded in its interactive page. */
export function plotSettings(plot: PlotConfig): Record<string, unknown> {
  const o = plot.options;
  return {
    yLog: o.yLog,
    xLog: o.xLog,
    yMin: o.yMin ?? null,
    yMax: o.yMax ?? null,
    bsNormalized: o.bsNormalized,
    errorStyle: o.errorStyle,
    palette: o.palette ?? DEFAULT_PALETTE,
    topRightLabel: o.topRightLabel ?? "",
  };
}

/** The settings recorded in a plot's interactive page, or undefined (no page, or one from before they were). */
function recordedSettings(outputs: string[]): Record<string, unknown> | undefined {
  const html = outputs.find((o) => o.endsWith(".html"));
  if (!html || !existsSync(html)) return undefined;
  const text = readFileSync(html, "utf8");
  const at = text.indexOf(`id="${SETTINGS_ELEMENT}">`);
  if (at < 0) return undefined;
  const start = at + SETTINGS_ELEMENT.length + 6;
  try {
    return JSON.parse(text.slice(start, text.indexOf("</script>", start))) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The plot-only settings that differ between the existing plot and this run ("--y-log True (was False)"),
 * empty when they agree or the plot records none. A plot task whose outputs exist but differ here is not
 * complete: plot options are not in the output path, so the plot is rendered again.
 */
export function changedSettings(outputs: string[], plot: PlotConfig): string[] {
  const before = recordedSettings(outputs);
  if (!before) return [];
  const now = plotSettings(plot);
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const show = (v: unknown) =>
    typeof v === "boolean" ? (v ? "True" : "False") : v == null ? "(none)" : String(v);
  return Object.keys(now)
    .filter((k) => JSON.stringify(now[k]) !== JSON.stringify(before[k]))
    .map((k) => `${flag(k)} ${show(now[k])} (was ${show(before[k])})`);
}

/** Whether a plot's outputs exist and were rendered with these plot settings. */
export function plotComplete(outputs: string[], plot: PlotConfig): boolean {
  return outputs.every((p) => existsSync(p)) && changedSettings(outputs, plot).length === 0;
}

/**
 * The heading and key facts of a plot's interactive page, from the MergeRuntimes JSON files of its curves:
 * the models, engines, releases, machine, settings and when the measurements ran.
 */
export function plotPage(heading: string, mergedJsons: string[]): Omit<PageInfo, "settings"> {
  const metas = mergedJsons
    .filter((f) => existsSync(f))
    .flatMap((f) => {
      try {
        return readMergedRecord(f).measurements.map((m) => m.metadata ?? {});
      } catch {
        return [];
      }
    });
  const distinct = (read: (m: PartialRecord) => unknown) => distinctValues(metas, read);
  const started = metas
    .map((m) => m.startedAt)
    .filter((v): v is string => !!v)
    .sort();
  const facts: [string, string][] = [
    ["engines", distinct((m) => m.process?.engine && `${m.process.engine.name} ${m.process.engine.version}`)],
    [
      "releases",
      distinct((m) => m.cmssw && `${m.cmssw.version} (${m.cmssw.scramArch}, ${m.cmssw.executor})`),
    ],
    [
      "calls",
      distinct(
        (m) =>
          m.measurement &&
          `${m.repeats?.length ?? 1} process(es) × ${m.measurement.nEvents} × ${m.measurement.nCalls} timed calls, ` +
            `${m.measurement.nWarmup} warm-up, threads ${m.process?.threads?.intraOp ?? "?"}`,
      ),
    ],
    ["machine", distinct((m) => m.host && `${m.host.hostname}: ${m.host.cpuModel}`)],
    ["measured", started.length ? `${started[0]} – ${started[started.length - 1]}` : ""],
    ["mlprof", distinct((m) => m.mlprof?.revision)],
  ];
  return { heading, facts: facts.filter(([, v]) => v !== "") };
}

/**
 * A hint for a linear x axis whose batch sizes span more than two decades (the small ones share a sliver of
 * the axis), naming the sizes whose tick labels were left out because they would overlap; undefined on a
 * log axis or a narrower span.
 */
export function xAxisHint(batchSizes: number[], plot: PlotConfig): string | undefined {
  if (plot.options.xLog || batchSizes.length === 0) return undefined;
  const { unlabelled, decades } = crowdedBatchSizes(batchSizes, false);
  if (decades <= 2) return undefined;
  const lo = Math.min(...batchSizes);
  const hi = Math.max(...batchSizes);
  const dropped = unlabelled.length
    ? ` (batch size${unlabelled.length > 1 ? "s" : ""} ${unlabelled.join(", ")} without tick labels)`
    : "";
  return `the batch sizes span ${lo} to ${hi} on a linear x axis${dropped}: --x-log True spaces them evenly`;
}

/**
 * Renders a figure to the plot's outputs (saying first when it replaces a plot of other settings), then
 * runs --view-cmd on the PDF/PNG files; a --view-cmd that cannot be run is an error, one that fails a warning.
 */
export async function renderAndView(
  figure: { data: object[]; layout: object },
  plot: PlotConfig,
  outputs: string[],
  ctx: TaskContext,
  page?: Omit<PageInfo, "settings">,
): Promise<void> {
  const changed = changedSettings(outputs, plot);
  if (changed.length) ctx.log?.(`rendering the plot again: ${changed.join(", ")}`);
  const targets: RenderTargets = {};
  for (const out of outputs) {
    const ext = out.slice(out.lastIndexOf(".") + 1) as keyof RenderTargets;
    targets[ext] = out;
  }
  ctx.progress("rendering the plot in Chromium");
  await renderFigure(figure, targets, {
    page: { heading: page?.heading ?? "MLProf", facts: page?.facts ?? [], settings: plotSettings(plot) },
  });
  if (plot.viewCmd) {
    for (const out of outputs.filter((o) => !o.endsWith(".html"))) {
      const [cmd, ...cmdArgs] = plot.viewCmd.trim().split(/\s+/) as [string, ...string[]];
      const { execa } = await import("execa");
      const res = await execa(cmd, [...cmdArgs, out], { stdio: "inherit", reject: false });
      if ((res as { code?: string }).code === "ENOENT" || res.exitCode === 127) {
        throw new MlprofError(
          `--view-cmd: '${cmd}' cannot be run (command not found); the plot is at ${out}`,
          "give a viewer on PATH, e.g. --view-cmd xdg-open, or leave --view-cmd out",
        );
      }
      // the plot is written; a viewer that fails is worth a warning, not a failed task
      if (res.exitCode !== 0)
        ctx.warn?.(
          `--view-cmd '${plot.viewCmd}' failed`,
          `${res.signal ? `killed by ${res.signal}` : `exit status ${res.exitCode}`} on ${out}`,
        );
    }
  }
}
