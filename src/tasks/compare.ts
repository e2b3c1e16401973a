/**
 * CompareRuntimes: two measurement sets A and B per batch size — two models (or engines: the same network
 * as ONNX and TF), two mlprof versions, two CMSSW releases or architectures. Each list parameter takes one
 * value (shared) or two (A, B); the ones with two values define the comparison.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { buildRatioFigure } from "../plot/ratio.js";
import { runtimeSamples, summarizeSample } from "../report/summaries.js";
import {
  fixedColumn,
  percent,
  plainLabel,
  summaryTable,
  textTable,
  type Column,
  type SummaryEntry,
} from "../report/text.js";
import { DEFAULT_BOOTSTRAP } from "../stats/bootstrap.js";
import { SIGNIFICANCE_LEVEL, compareProcesses, type SampleComparison } from "../stats/compare.js";
import { summaryMethod } from "../stats/summary.js";
import { cmsswPart, taskDir } from "../store.js";
import { MlprofError } from "../util/errors.js";
import { checkName } from "../util/names.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { defineTask } from "../framework/family.js";
import { omit, param, type Values } from "../framework/parameters.js";
import { Task, type TaskContext } from "../framework/task.js";
import {
  checkPerModel,
  refuseLocalReleaseComparison,
  refuseSharedNames,
  releaseLabel,
} from "./mixins/curves.js";
import { plotConfig, plotOutputs, renderAndView, type PlotConfig } from "./mixins/plot.js";
import { runtimeConfig, type RuntimeConfig } from "./mixins/runtime.js";
import {
  BATCH_SIZES,
  MEASUREMENT_PARAMS,
  MULTI_CMSSW_PARAMS,
  MULTI_MODEL_PARAMS,
  PLOT_PARAMS,
  VERSION,
  runParamsPart,
  sortedBatchSizes,
} from "./params.js";
import { MergeRuntimes } from "./runtime.js";

/** Exit status of `mlprof` when --fail-on-regression finds one (1 stays for errors). */
export const REGRESSION_EXIT_CODE = 3;

/** B is slower than A beyond the noise threshold and --fail-on-regression is set. */
export class RegressionError extends MlprofError {
  constructor(message: string, hint?: string) {
    super(message, hint, REGRESSION_EXIT_CODE);
    this.name = "RegressionError";
  }
}

/** One side of the comparison. */
interface Side {
  cfg: RuntimeConfig;
  label: string;
}

/** Per batch size: both summaries and the comparison. */
interface BatchComparison extends Omit<SampleComparison, "verdict"> {
  batchSize: number;
  a: SummaryEntry;
  b: SummaryEntry;
  /** "no verdict" where a side's point is invalid (stats/validity.ts), with why in `noVerdict`. */
  verdict: SampleComparison["verdict"] | "no verdict";
  noVerdict?: string[];
}

/**
 * A comparison of two points, without its verdict where either point is invalid: the reasons of each
 * invalid side, prefixed with the side ("A: too few calls: …").
 */
function withValidity(c: Omit<BatchComparison, "noVerdict">): BatchComparison {
  const reasons = (["A", "B"] as const).flatMap((name) => {
    const v = (name === "A" ? c.a : c.b).validity;
    return v?.valid === false ? v.reasons.map((r) => `${name}: ${r}`) : [];
  });
  return reasons.length > 0 ? { ...c, verdict: "no verdict", noVerdict: reasons } : c;
}

/** The parameters of CompareRuntimes. */
const COMPARE_PARAMS = {
  version: VERSION,
  versions: param.strings({
    flag: "versions",
    default: [],
    significant: true,
    defaultText: "--version",
    description: "the versions of the measurements A and B (one or two)",
    check: (v) => v.forEach((name) => checkName("--versions", name)),
  }),
  batchSizes: BATCH_SIZES,
  ...MULTI_MODEL_PARAMS,
  ...MULTI_CMSSW_PARAMS,
  ...MEASUREMENT_PARAMS,
  noiseThreshold: param.float({
    flag: "noise-threshold",
    default: 0.05,
    significant: true,
    description:
      "smallest relative difference of the medians called faster or slower (0.05: B / A beyond 0.95-1.05)",
    check: (v) => {
      if (!(v >= 0 && v < 1))
        throw new MlprofError(`--noise-threshold: expected a fraction in [0, 1), found ${v}`);
    },
  }),
  failOnRegression: param.bool({
    flag: "fail-on-regression",
    default: false,
    description: `exit with status ${REGRESSION_EXIT_CODE} when B is slower than A at a batch size (for CI)`,
  }),
  ...omit(PLOT_PARAMS, ["bsNormalized", "errorStyle"]),
};
type CompareValues = Values<typeof COMPARE_PARAMS>;

/** Value of side 0 (A) or 1 (B) of a list of one or two values. */
function pick<T>(list: T[], side: number): T | undefined {
  return list[Math.min(side, list.length - 1)];
}

/**
 * The sides A and B: each of --model-files, --versions, --cmssw-versions and --scram-archs holds one value
 * (shared) or two (A, B); those with two different values are what is compared, and label the sides.
 */
function compareSides(v: CompareValues): [Side, Side] {
  const dims = {
    "model-files": v.modelFiles,
    versions: v.versions.length > 0 ? v.versions : [v.version],
    "cmssw-versions": v.cmsswVersions,
    "scram-archs": v.scramArchs,
  };
  for (const [flag, list] of Object.entries(dims)) {
    if (list.length < 1 || list.length > 2) {
      throw new MlprofError(`--${flag}: expected one value (shared) or two (A,B), found ${list.length}`);
    }
  }
  const files = dims["model-files"];
  checkPerModel(files, { "model-names": v.modelNames, "model-labels": v.modelLabels }, false);
  const varying = Object.entries(dims).filter(([, list]) => list.length === 2 && list[0] !== list[1]);
  if (varying.length === 0) {
    throw new MlprofError(
      "nothing to compare: A and B are the same measurement",
      "give two values to one of --model-files, --versions, --cmssw-versions or --scram-archs",
    );
  }
  const differs = (flag: string) => varying.some(([f]) => f === flag);
  refuseLocalReleaseComparison(
    v.executor,
    v.engineVersions,
    [
      ...(differs("cmssw-versions") ? dims["cmssw-versions"] : []),
      ...(differs("scram-archs") ? dims["scram-archs"] : []),
    ],
    differs("cmssw-versions") || differs("scram-archs"),
  );
  const side = (s: number): Side => {
    const cfg = runtimeConfig({
      ...v,
      version: pick(dims.versions, s)!,
      cmsswVersion: pick(dims["cmssw-versions"], s)!,
      scramArch: pick(dims["scram-archs"], s)!,
      modelFile: pick(files, s)!,
      modelName: pick(v.modelNames, s) ?? "",
      modelLabel: pick(v.modelLabels, s) ?? "",
    });
    const parts: string[] = [];
    if (differs("model-files")) parts.push(cfg.model.label);
    if (differs("versions")) parts.push(cfg.version);
    if (differs("cmssw-versions")) parts.push(releaseLabel(cfg));
    if (differs("scram-archs")) parts.push(cfg.scramArch);
    return { cfg, label: parts.join(", ") };
  };
  const sides: [Side, Side] = [side(0), side(1)];
  refuseSharedNames(sides);
  return sides;
}

/** Compares the runtimes of two measurement sets per batch size: ratio of medians, Mann–Whitney U, verdict. */
export class CompareRuntimes extends Task {
  static readonly family = defineTask({
    name: "CompareRuntimes",
    examples: [
      [
        "mlprof run CompareRuntimes --version v1 --model-files examples/dnn/model_onnx_l10u128.yaml,examples/dnn/model_onnx_l20u128.yaml",
        "is the 20-layer DNN slower than the 10-layer one, batch size by batch size?",
      ],
      [
        "mlprof run CompareRuntimes --version ci --versions main,pr --model-files examples/dnn/model_onnx_l10u128.yaml --fail-on-regression True",
        "two versions of one model for CI: exit 3 on a regression",
      ],
    ],
    description:
      "compare two measurement sets A and B per batch size: ratio of medians, Mann-Whitney U, verdict, ratio plot",
    params: COMPARE_PARAMS,
    create: (v) => {
      const plot = plotConfig({ ...v, bsNormalized: false, errorStyle: "band" });
      return new CompareRuntimes(v, plot);
    },
  });
  readonly family = "CompareRuntimes";
  /** The version of the comparison's outputs (--version). */
  readonly version: string;
  readonly batchSizes: number[];
  readonly sides: [Side, Side];

  readonly noiseThreshold: number;
  readonly failOnRegression: boolean;

  constructor(
    v: CompareValues,
    readonly plot: PlotConfig,
  ) {
    super();
    this.batchSizes = sortedBatchSizes(v.batchSizes);
    this.noiseThreshold = v.noiseThreshold;
    this.failOnRegression = v.failOnRegression;
    this.version = v.version;
    this.sides = compareSides(v);
    const [mergeA, mergeB] = this.requires();
    if (mergeA!.outputs()[0] === mergeB!.outputs()[0]) {
      throw new MlprofError(
        "nothing to compare: A and B resolve to the same measurement",
        "give the two model files different --model-names",
      );
    }
  }

  requires(): MergeRuntimes[] {
    return this.sides.map((s) => new MergeRuntimes(s.cfg, this.batchSizes));
  }

  private get dir(): string {
    const [a, b] = this.sides;
    const key = (s: Side) =>
      `${s.cfg.model.storeName}${a.cfg.version !== b.cfg.version ? `_${s.cfg.version}` : ""}`;
    return taskDir(
      this.family,
      cmsswPart(
        [...new Set([a.cfg.cmsswVersion, b.cfg.cmsswVersion])],
        [...new Set([a.cfg.scramArch, b.cfg.scramArch])],
      ),
      `${key(a)}__vs__${key(b)}__${runParamsPart(a.cfg.run)}`,
      this.version,
    );
  }

  /** The JSON and the text table first, then the ratio plot files. */
  outputs(): string[] {
    const bs = this.batchSizes.join("_");
    return [
      join(this.dir, `compare_bs_${bs}.json`),
      join(this.dir, `compare_bs_${bs}.txt`),
      ...plotOutputs(this.dir, `ratio_bs_${bs}`, this.plot),
    ];
  }

  /**
   * Complete when the outputs exist — except, with --fail-on-regression, when they record a regression:
   * then every call checks (and fails) again instead of passing as "already complete".
   */
  override complete(): boolean {
    if (!super.complete()) return false;
    if (!this.failOnRegression) return true;
    try {
      return !(JSON.parse(readFileSync(this.outputs()[0]!, "utf8")) as { regression?: boolean }).regression;
    } catch {
      return false;
    }
  }

  reprParams(): Record<string, unknown> {
    const [a, b] = this.sides;
    return {
      version: this.version,
      versions: a.cfg.version === b.cfg.version ? undefined : `${a.cfg.version},${b.cfg.version}`,
      a: a.cfg.model.file,
      b: b.cfg.model.file,
      batch_sizes: this.batchSizes,
      noise_threshold: this.noiseThreshold,
    };
  }

  override title(): string {
    const [a, b] = this.sides;
    return `CompareRuntimes ${b.label} vs ${a.label}, batch sizes ${this.batchSizes.join(",")}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [a, b] = this.sides;
    const [csvA, csvB] = this.requires().map((t) => t.outputs()[0]!) as [string, string];
    const samplesA = runtimeSamples(csvA, this.batchSizes);
    const samplesB = runtimeSamples(csvB, this.batchSizes);
    const results: BatchComparison[] = this.batchSizes.map((bs) => {
      const sa = samplesA.get(bs)!;
      const sb = samplesB.get(bs)!;
      return withValidity({
        batchSize: bs,
        a: summarizeSample(`A ${a.label}`, bs, sa),
        b: summarizeSample(`B ${b.label}`, bs, sb),
        ...compareProcesses(sa.repeats, sb.repeats, this.noiseThreshold),
      });
    });
    const regressed = results.filter((r) => r.verdict === "slower").map((r) => r.batchSize);
    const lines = this.table(results, regressed);
    const describe = (s: Side, csv: string) => ({
      label: s.label,
      modelFile: s.cfg.model.file,
      model: s.cfg.model.fullName,
      version: s.cfg.version,
      cmsswVersion: s.cfg.cmsswVersion,
      scramArch: s.cfg.scramArch,
      mergedCsv: csv,
    });
    const [jsonPath, txtPath, ...plotPaths] = this.outputs() as [string, string, ...string[]];
    const points = results.map((r) => ({
      batchSize: r.batchSize,
      ratio: r.ratio.ratio,
      low: r.ratio.low,
      high: r.ratio.high,
      verdict: r.verdict,
    }));
    const figure = buildRatioFigure(
      points,
      { a: a.label, b: b.label },
      this.noiseThreshold,
      this.plot.options,
    );
    await renderAndView(figure, this.plot, plotPaths, ctx);
    writeFileAtomic(txtPath, lines.join("\n") + "\n");
    writeJsonAtomic(jsonPath, {
      a: describe(a, csvA),
      b: describe(b, csvB),
      noiseThreshold: this.noiseThreshold,
      significanceLevel: SIGNIFICANCE_LEVEL,
      method: {
        unit: "the measurement process: each process contributes its median",
        ratio: {
          of: "geometric means of the process medians, B / A",
          interval: "Welch's t interval of the difference of the mean log medians",
          withOneProcessPerSide:
            "ratio of the medians of the calls, percentile bootstrap (ignores process-to-process variance)",
          bootstrap: DEFAULT_BOOTSTRAP,
        },
        test: "Welch's t-test on the log process medians, two-sided (one process per side: Mann-Whitney U on the calls)",
        withinProcess:
          "Mann-Whitney U on the pooled calls, reported only: it ignores process-to-process variance",
        verdict:
          "slower (faster): B / A above 1 + (below 1 -) noise threshold, its interval above (below) 1, and p < significance level; else same; " +
          "no verdict where the point of either side is invalid (noVerdict says why)",
        summaries: summaryMethod(),
      },
      regression: regressed.length > 0,
      regressedBatchSizes: regressed,
      results,
    });
    lines.forEach((line) => ctx.log?.(line));
    if (this.failOnRegression && regressed.length > 0) {
      throw new RegressionError(
        `${plainLabel(b.label)} is slower than ${plainLabel(a.label)} beyond ${percent(this.noiseThreshold)} at batch size(s) ${regressed.join(", ")}`,
        `see ${txtPath}`,
      );
    }
  }

  /** The comparison table: medians, ratio with interval, test, verdict, then both sides' summaries. */
  private table(results: BatchComparison[], regressed: number[]): string[] {
    const [a, b] = this.sides;
    const columns: Column[] = [
      { header: "batch", right: true },
      { header: "A procs", right: true },
      { header: "B procs", right: true },
      { header: "A median ms", right: true },
      { header: "B median ms", right: true },
      { header: "B / A", right: true },
      { header: "95 % CI", right: true },
      { header: "p", right: true },
      { header: "verdict" },
    ];
    const pText = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
    const aMedian = fixedColumn(results.map((r) => r.a.repeats?.center ?? r.a.summary.median));
    const bMedian = fixedColumn(results.map((r) => r.b.repeats?.center ?? r.b.summary.median));
    const rows = results.map((r, i) => [
      String(r.batchSize),
      String(r.a.repeats?.n ?? 1),
      String(r.b.repeats?.n ?? 1),
      aMedian[i]!,
      bMedian[i]!,
      r.ratio.ratio.toFixed(4),
      `[${r.ratio.low.toFixed(4)}, ${r.ratio.high.toFixed(4)}]`,
      pText(r.pValue),
      r.verdict + (r.basis === "calls" && r.verdict !== "no verdict" ? " *" : ""),
    ]);
    const refused = results.flatMap((r) =>
      r.noVerdict ? [`no verdict at batch size ${r.batchSize}: ${r.noVerdict.join("; ")}`] : [],
    );
    const notes = results.some((r) => r.basis === "calls" && r.verdict !== "no verdict")
      ? [
          "* one process on a side: this verdict rests on the calls of single processes and ignores " +
            "process-to-process variance (measure with --repeats 3 or more)",
        ]
      : [
          "medians: geometric means of the process medians; CI and p: Welch's t on the log process medians " +
            "(the process is the unit of replication)",
        ];
    const verdict =
      regressed.length > 0
        ? `regression: B is slower than A beyond ${percent(this.noiseThreshold)} at batch size(s) ${regressed.join(", ")}`
        : refused.length > 0
          ? `no regression where a verdict was given (batch size(s) ${
              results
                .filter((r) => !r.noVerdict)
                .map((r) => r.batchSize)
                .join(", ") || "none"
            }): the points of the other batch sizes are invalid`
          : `no regression: B is nowhere slower than A beyond ${percent(this.noiseThreshold)}`;
    const side = (name: string, s: Side) =>
      `${name}: ${plainLabel(s.label)} (${s.cfg.model.file}, version ${s.cfg.version}, ${s.cfg.cmsswVersion}, ${s.cfg.scramArch})`;
    return [
      "",
      side("A", a),
      side("B", b),
      ...textTable(columns, rows),
      ...notes,
      ...refused,
      verdict,
      ...summaryTable([...results.map((r) => r.a), ...results.map((r) => r.b)]),
    ];
  }
}
