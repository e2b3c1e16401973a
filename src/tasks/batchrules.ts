/**
 * Batch rules from measurements for tfaot models: MeasureBatchCosts (the cost model: each compiled size
 * alone and stitched probes), OptimizeBatchRules (the cheapest rule per target, checked by measurement)
 * and RecommendBatchSizes (which sizes to compile for a distribution of batch sizes).
 */
import { COMPETITION_THRESHOLDS, processCompetition, waitFraction } from "../stats/competition.js";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { Model } from "../engines/model.js";
import {
  bestSizeSets,
  chooseK,
  fitStitchCosts,
  optimalRules,
  parseTargets,
  predictCost,
  spreadTargets,
  stitchProbes,
  type CostModel,
  type CostedRule,
} from "../engines/tfaot/optimize.js";
import { readDistributionFile } from "../engines/tfaot/optimize-distribution.js";
import { tfaotSpec } from "../engines/tfaot/modelfile.js";
import {
  defaultBatchRule,
  formatBatchRule,
  parseBatchRules,
  resolveBatchRule,
  type BatchRule,
} from "../engines/tfaot/rules.js";
import { defineTask } from "../framework/family.js";
import { omit, param, positive, type Values } from "../framework/parameters.js";
import { runTree } from "../framework/scheduler.js";
import { Task, type TaskContext } from "../framework/task.js";
import { readRuntimeCsv } from "../measure/csv.js";
import { readRecord } from "../record/schemas.js";
import { repeatStats } from "../stats/repeats.js";
import { softwareDir } from "../paths.js";
import { buildQuantityFigure, pointSeries } from "../plot/quantity.js";
import { readMeasurementRecord } from "../record/measurement.js";
import { bandStats } from "../stats/stats.js";
import { MlprofError } from "../util/errors.js";
import { writeFileAtomic, writeJsonAtomic } from "../util/fs.js";
import { shortHash } from "../util/hash.js";
import { lazyRequire } from "../util/lazy.js";
import { readJsonFile } from "../util/json.js";
import { readYamlFile } from "../util/yaml.js";
import { plotComplete, plotConfig, plotOutputs, renderAndView, type PlotConfig } from "./mixins/plot.js";
import {
  runtimeConfig,
  runtimeDir,
  RUNTIME_PARAMS,
  titleName,
  type RuntimeConfig,
} from "./mixins/runtime.js";
import { PLOT_PARAMS } from "./params.js";
import { MeasureRuntime } from "./runtime.js";

const yaml = lazyRequire<typeof import("yaml")>("yaml");

/**
 * The runtime parameters without --tfaot-batch-rules (these tasks choose the rules they measure), and
 * --model-file required (the default model is not a tfaot one).
 */
const COST_PARAMS = {
  ...omit(RUNTIME_PARAMS, ["tfaotBatchRules"]),
  modelFile: { ...RUNTIME_PARAMS.modelFile, default: undefined, required: true },
};

const COMPILED_SIZES = param.ints({
  flag: "compiled-sizes",
  default: [],
  significant: true,
  defaultText: "the model file's compilation.batch_sizes",
  description:
    "compile the model for these batch sizes instead of its file's compilation.batch_sizes (a copy of the " +
    "model file with them is written to the tool-managed software folder)",
  check: (v) => v.forEach(positive("compiled-sizes")),
});

/** One compiled size measured alone: its cost per call (ms; see measuredMs) and its 16–84 % band. */
interface SizeCost {
  size: number;
  medianMs: number;
  processMediansMs: number[];
  p16Ms: number;
  p84Ms: number;
  csv: string;
  /** Bytes of the size's object file (model_bs<N>.o), when the compilation was found. */
  objectBytes?: number;
}

/** A stitched probe: its rule, the measured median, and what its chunks alone add up to. */
interface ProbeCost {
  rule: string;
  target: number;
  chunks: number[];
  padding: number;
  medianMs: number;
  processMediansMs: number[];
  chunksAloneMs: number;
  predictedMs: number;
  csv: string;
}

/** What MeasureBatchCosts writes (batchcosts.json). */
export interface BatchCosts {
  modelFile: string;
  compiledSizes: number[];
  sizes: SizeCost[];
  probes: ProbeCost[];
  chunkOverheadMs: number;
  paddedElementSavingMs: number;
  /** The compilation of all compiled sizes (they compile in parallel: no time per size). */
  compile: { compileMs?: number; dir?: string };
  /**
   * The share of its timed calls each cost measurement's processes waited for a CPU (stats/competition.ts);
   * absent in files of older versions.
   */
  cpuWaits?: number[];
}

/** The cost model of a batchcosts.json. */
export function costModelOf(costs: BatchCosts): CostModel {
  return {
    sizeCost: new Map(costs.sizes.map((s) => [s.size, s.medianMs])),
    chunkOverhead: costs.chunkOverheadMs,
    paddedElementSaving: costs.paddedElementSavingMs,
  };
}

/** A runtime configuration measuring one rule (none: CMSSW's default rule). */
function ruleCfg(cfg: RuntimeConfig, rule?: BatchRule): RuntimeConfig {
  return { ...cfg, run: { ...cfg.run, tfaotBatchRules: rule ? formatBatchRule(rule) : "" } };
}

/**
 * The cost of a MeasureRuntime (ms per call): the geometric mean of its processes' medians, the measurement's
 * median as everywhere in MLProf (the process is the unit of replication; the fastest process alone would
 * favour whichever size happened to get a lucky process), with every process's median and the 16–84 % band of
 * all rows for reference.
 */
function measuredMs(task: MeasureRuntime): {
  medianMs: number;
  processMediansMs: number[];
  p16Ms: number;
  p84Ms: number;
  csv: string;
} {
  const [csv, json] = task.outputs() as [string, string];
  const b = bandStats(readRuntimeCsv(csv).rows.map((r) => r.runtimeMs));
  const repeats = readMeasurementRecord(json).repeats ?? [];
  const medians = repeats.map((r) => r.medianMs).filter((v) => Number.isFinite(v));
  return {
    medianMs: medians.length ? repeatStats(medians.map((m) => [m])).center : b.median,
    processMediansMs: medians.length ? medians : [b.median],
    p16Ms: b.p16,
    p84Ms: b.p84,
    csv,
  };
}

/** The share of its timed calls each process of a measurement waited for a CPU (where it recorded it). */
function cpuWaits(task: MeasureRuntime): number[] {
  const meta = readMeasurementRecord(task.outputs()[1]!);
  return processCompetition(meta).flatMap((p) => (p.competition ? [waitFraction(p.competition)] : []));
}

/**
 * The model with other compiled sizes: a copy of its file with `compilation.batch_sizes` replaced (and the
 * SavedModel path made absolute) under <software>/tfaot/variants/ (an input derived from the model file, not an
 * output: the store is left alone by --print-status and friends), named after the original plus the sizes, so
 * that its measurements have their own output paths. Written when it differs.
 */
export function compiledVariant(model: Model, sizes: number[]): Model {
  const spec = tfaotSpec(model.spec);
  const sorted = [...new Set(sizes)].sort((a, b) => a - b);
  const name = `${model.fullName.replace(/^model_/, "")}_compiled_${sorted.join(".")}`;
  const doc = readYamlFile(model.file, "model file") as Record<string, Record<string, unknown>>;
  const text = yaml().stringify({
    ...doc,
    model: { ...doc.model, saved_model: spec.section.savedModel },
    compilation: { ...doc.compilation, batch_sizes: sorted },
  });
  const file = join(softwareDir(), "tfaot", "variants", `${name}.yaml`);
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeFileAtomic(file, text);
  return new Model(file, name, `${model.label} (compiled ${sorted.join(", ")})`);
}

/** The configuration of a cost measurement: the model checked to be tfaot, its compiled sizes. */
function costConfig(v: Values<typeof COST_PARAMS> & { compiledSizes: number[] }): {
  cfg: RuntimeConfig;
  compiled: number[];
} {
  const cfg = runtimeConfig({ ...v, tfaotBatchRules: "" });
  const spec = tfaotSpec(cfg.model.spec);
  if (v.compiledSizes.length === 0) return { cfg, compiled: spec.section.compilation.batchSizes };
  const model = compiledVariant(cfg.model, v.compiledSizes);
  return { cfg: { ...cfg, model }, compiled: tfaotSpec(model.spec).section.compilation.batchSizes };
}

/** The cache folder of the model's compilation (compile.json of the same SavedModel, sizes and flags). */
function compilationDir(model: Model): string | undefined {
  const spec = tfaotSpec(model.spec);
  const root = join(softwareDir(), "tfaot", "models");
  if (!existsSync(root)) return undefined;
  const c = spec.section.compilation;
  const want = JSON.stringify([spec.section.savedModel, c.batchSizes, c.xlaFlags, c.tfXlaFlags]);
  for (const key of readdirSync(root)) {
    const record = join(root, key, "compile.json");
    if (!existsSync(record)) continue;
    const r = readJsonFile(record, "record of the compiled model") as Record<string, unknown>;
    if (JSON.stringify([r.savedModel, r.batchSizes, r.xlaFlags, r.tfXlaFlags]) === want)
      return join(root, key);
  }
  return undefined;
}

/**
 * The cost model of a tfaot model: each compiled size measured alone (MeasureRuntime with CMSSW's default
 * rule, which is the size itself) and a few stitched rules (stitchProbes), whose excess over their chunks
 * alone gives the per-chunk overhead and the per-padded-element saving (fitStitchCosts).
 */
export class MeasureBatchCosts extends Task {
  static readonly params = { compiledSizes: COMPILED_SIZES, ...COST_PARAMS };
  static readonly family = defineTask({
    name: "MeasureBatchCosts",
    examples: [
      [
        "mlprof run MeasureBatchCosts --version v1 --model-file examples/dnn/model_tfaot_l10u256_bs.yaml --repeats 2",
        "each compiled size alone and five stitched rules of a TF-AOT model: its cost model",
      ],
    ],
    description:
      "measure a tfaot model's compiled batch sizes alone and a few stitched rules: the cost model of its batch rules",
    params: MeasureBatchCosts.params,
    create: (v) => {
      const { cfg, compiled } = costConfig(v);
      return new MeasureBatchCosts(cfg, compiled);
    },
  });
  readonly family = "MeasureBatchCosts";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly compiled: number[],
  ) {
    super();
  }

  /** The stitched rules measured for the fit. */
  get probes(): BatchRule[] {
    return stitchProbes(this.compiled);
  }

  outputs(): string[] {
    return [join(runtimeDir(this.family, this.cfg), "batchcosts.json")];
  }

  sizeTasks(): MeasureRuntime[] {
    return this.compiled.map((s) => new MeasureRuntime(ruleCfg(this.cfg), s));
  }

  probeTasks(): MeasureRuntime[] {
    return this.probes.map((p) => new MeasureRuntime(ruleCfg(this.cfg, p), p.target));
  }

  requires(): MeasureRuntime[] {
    return [...this.sizeTasks(), ...this.probeTasks()];
  }

  reprParams(): Record<string, unknown> {
    return { version: this.cfg.version, model_file: this.cfg.model.file, compiled_sizes: this.compiled };
  }

  override title(): string {
    return `MeasureBatchCosts ${titleName(this.cfg)}, compiled ${this.compiled.join(",")}`;
  }

  async run(): Promise<void> {
    const dir = compilationDir(this.cfg.model);
    const first = readMeasurementRecord(this.sizeTasks()[0]!.outputs()[1]!);
    const compileMs = first.process?.preparation?.compileMs;
    const sizes: SizeCost[] = this.sizeTasks().map((t) => {
      const object = dir && join(dir, `model_bs${t.batchSize}.o`);
      return {
        size: t.batchSize,
        ...measuredMs(t),
        ...(object && existsSync(object) ? { objectBytes: statSync(object).size } : {}),
      };
    });
    const sizeCost = new Map(sizes.map((s) => [s.size, s.medianMs]));
    const observed = this.probes.map((rule, k) => ({ rule, ...measuredMs(this.probeTasks()[k]!) }));
    const fit = fitStitchCosts(
      sizeCost,
      observed.map((o) => ({ rule: o.rule, measured: o.medianMs })),
    );
    const model: CostModel = {
      sizeCost,
      chunkOverhead: fit.chunkOverhead,
      paddedElementSaving: fit.paddedElementSaving,
    };
    const alone: CostModel = { sizeCost, chunkOverhead: 0, paddedElementSaving: 0 };
    const costs: BatchCosts = {
      modelFile: this.cfg.model.file,
      compiledSizes: this.compiled,
      sizes,
      probes: observed.map((o) => ({
        rule: formatBatchRule(o.rule),
        target: o.rule.target,
        chunks: o.rule.chunks,
        padding: o.rule.padding,
        medianMs: o.medianMs,
        processMediansMs: o.processMediansMs,
        chunksAloneMs: predictCost(alone, o.rule),
        predictedMs: predictCost(model, o.rule),
        csv: o.csv,
      })),
      chunkOverheadMs: fit.chunkOverhead,
      paddedElementSavingMs: fit.paddedElementSaving,
      compile: { ...(compileMs !== undefined ? { compileMs } : {}), ...(dir ? { dir } : {}) },
      cpuWaits: this.requires().flatMap(cpuWaits),
    };
    writeJsonAtomic(this.outputs()[0]!, costs);
  }
}

/** Reads a batchcosts.json. */
function readBatchCosts(path: string): BatchCosts {
  return readRecord<BatchCosts>("batch costs", path);
}

const TARGETS = param.string({
  flag: "targets",
  default: "1-64",
  significant: true,
  description: "target batch sizes to find rules for: sizes and ranges, e.g. 1-64 or 1,2,5-8",
  check: (v) => {
    const t = parseTargets(v);
    if (typeof t === "string") throw new MlprofError(`--targets: ${t}`);
  },
});

const CHECK_TARGETS = param.string({
  flag: "check-targets",
  default: "",
  significant: true,
  defaultText: "--n-check targets spread over --targets",
  description:
    "targets whose optimal and default rules are measured to check the predictions (sizes and ranges); " +
    "'none': no check",
  check: (v) => {
    const t = v === "" || v === "none" ? [] : parseTargets(v);
    if (typeof t === "string") throw new MlprofError(`--check-targets: ${t}`);
  },
});

const N_CHECK = param.int({
  flag: "n-check",
  default: 5,
  significant: true,
  description: "without --check-targets: how many targets to check, spread over those whose rule changes",
  check: (v) => {
    if (!Number.isInteger(v) || v < 0)
      throw new MlprofError(`--n-check: expected an integer >= 0, found ${v}`);
  },
});

const RULE_PLOT_PARAMS = omit(PLOT_PARAMS, ["bsNormalized", "errorStyle"]);

/** One row of the table: a target, its default and optimal rules, predicted and (checked) measured costs. */
export interface RuleRow {
  target: number;
  defaultRule: string;
  optimalRule: string;
  defaultPredictedMs: number;
  optimalPredictedMs: number;
  /** 1 − optimal / default, predicted. */
  saving: number;
  defaultMeasuredMs?: number;
  optimalMeasuredMs?: number;
  /** measured / predicted. */
  defaultError?: number;
  optimalError?: number;
}

/**
 * Every produced rule, checked by the tool's own parser and checker (CMSSW's semantics, compiled sizes):
 * a rule the tool would refuse is an internal error, never an output.
 */
function checkProduced(rules: readonly BatchRule[], compiled: readonly number[]): string {
  const spec = rules.map(formatBatchRule).join("-");
  const parsed = parseBatchRules(spec);
  for (const r of parsed) resolveBatchRule(r.target, parsed, compiled);
  rules.forEach((r, i) => {
    if (parsed[i]!.padding !== r.padding)
      throw new Error(`internal: the rule ${formatBatchRule(r)} reads back otherwise`);
  });
  return spec;
}

/**
 * The measurements that check predictions, as one task so that the scheduler runs them interleaved: the
 * rules of OptimizeBatchRules are known only after its cost model, so it runs this tree as a second stage
 * (a dynamic requirement). Its output lists the measured medians.
 */
class RuleChecks extends Task {
  readonly family = "RuleChecks";

  constructor(
    readonly output: string,
    readonly measurements: MeasureRuntime[],
  ) {
    super();
  }

  outputs(): string[] {
    return [this.output];
  }

  requires(): MeasureRuntime[] {
    return this.measurements;
  }

  reprParams(): Record<string, unknown> {
    return { measurements: this.measurements.length };
  }

  override title(): string {
    return `checking ${this.measurements.length} batch rules by measurement`;
  }

  async run(): Promise<void> {
    writeJsonAtomic(
      this.output,
      this.measurements.map((t) => ({
        rules: t.cfg.run.tfaotBatchRules,
        target: t.batchSize,
        ...measuredMs(t),
      })),
    );
  }
}

/**
 * The cheapest batch rule of a tfaot model for every target batch size (exact search under the measured
 * cost model), against CMSSW's default rule: the rules as --tfaot-batch-rules and CMSSW rule strings, a
 * table (CSV, JSON, printed) and a plot of the predicted cost per target; then the optimal and the default
 * rule of a few targets measured (interleaved) to check the predictions.
 */
export class OptimizeBatchRules extends Task {
  static readonly params = {
    targets: TARGETS,
    checkTargets: CHECK_TARGETS,
    nCheck: N_CHECK,
    compiledSizes: COMPILED_SIZES,
    ...COST_PARAMS,
    ...RULE_PLOT_PARAMS,
  };
  static readonly family = defineTask({
    name: "OptimizeBatchRules",
    examples: [
      [
        "mlprof run OptimizeBatchRules --version v1 --model-file examples/dnn/model_tfaot_l10u256_bs.yaml --targets 1-64 --repeats 2",
        "the cheapest rules for batch sizes 1 to 64 of a TF-AOT DNN compiled for 1, 2, 4, ... 256",
      ],
      [
        "mlprof run OptimizeBatchRules --version v1 --model-file examples/cnn/model_tfaot_i32c1v1l10u128.yaml --compiled-sizes 1,4,16 --file-types png",
        "the same for the CNN compiled for 1, 4 and 16",
      ],
    ],
    description:
      "find the cheapest TF-AOT batch rule for every target batch size from measured costs, and check it by measurement",
    params: OptimizeBatchRules.params,
    create: (v) => {
      const { cfg, compiled } = costConfig(v);
      return new OptimizeBatchRules(
        cfg,
        compiled,
        v.targets,
        v.checkTargets,
        v.nCheck,
        plotConfig({ ...v, bsNormalized: false, errorStyle: "band" }),
      );
    },
  });
  readonly family = "OptimizeBatchRules";
  readonly targets: number[];

  constructor(
    readonly cfg: RuntimeConfig,
    readonly compiled: number[],
    readonly targetSpec: string,
    readonly checkSpec: string,
    readonly nCheck: number,
    readonly plot: PlotConfig,
  ) {
    super();
    this.targets = parseTargets(targetSpec) as number[];
  }

  private get stem(): string {
    const check = this.checkSpec
      ? `__check_${this.checkSpec.replace(/,/g, ".")}`
      : this.nCheck !== 5
        ? `__ncheck_${this.nCheck}`
        : "";
    return `batchrules_targets_${this.targetSpec.replace(/,/g, ".")}${check}`;
  }

  private get dir(): string {
    return runtimeDir(this.family, this.cfg);
  }

  outputs(): string[] {
    return [
      join(this.dir, `${this.stem}.json`),
      join(this.dir, `${this.stem}.csv`),
      join(this.dir, `${this.stem}_rules.txt`),
      ...plotOutputs(this.dir, this.stem, this.plot),
    ];
  }

  requires(): MeasureBatchCosts[] {
    return [new MeasureBatchCosts(this.cfg, this.compiled)];
  }

  override complete(): boolean {
    return plotComplete(this.outputs(), this.plot);
  }

  reprParams(): Record<string, unknown> {
    return { version: this.cfg.version, model_file: this.cfg.model.file, targets: this.targetSpec };
  }

  override title(): string {
    return `OptimizeBatchRules ${titleName(this.cfg)}, targets ${this.targetSpec}`;
  }

  /** The targets to check: --check-targets, else --n-check spread over those whose rule changes. */
  checkTargets(rows: RuleRow[]): number[] {
    if (this.checkSpec === "none") return [];
    if (this.checkSpec) return parseTargets(this.checkSpec) as number[];
    const differs = new Set(rows.filter((r) => r.defaultRule !== r.optimalRule).map((r) => r.target));
    return this.nCheck === 0 ? [] : spreadTargets(this.targets, (t) => differs.has(t), this.nCheck);
  }

  async run(ctx: TaskContext): Promise<void> {
    const [jsonPath, csvPath, rulesPath] = this.outputs() as [string, string, string];
    const costs = readBatchCosts(this.requires()[0]!.outputs()[0]!);
    const model = costModelOf(costs);
    const optimal = optimalRules(this.targets, model);
    const defaults = this.targets.map((t) => defaultBatchRule(t, this.compiled));
    checkProduced(optimal, this.compiled);
    const rows: RuleRow[] = this.targets.map((target, i) => {
      const d = predictCost(model, defaults[i]!);
      const o = optimal[i]!;
      return {
        target,
        defaultRule: formatBatchRule(defaults[i]!),
        optimalRule: formatBatchRule(o),
        defaultPredictedMs: d,
        optimalPredictedMs: o.cost,
        saving: 1 - o.cost / d,
      };
    });
    const changed = optimal.filter((r, i) => formatBatchRule(r) !== rows[i]!.defaultRule);
    const rulesFlag = changed.length ? checkProduced(changed, this.compiled) : "";

    const checks = this.checkTargets(rows).filter((t) => this.targets.includes(t));
    if (checks.length > 0) await this.measureChecks(ctx, rows, optimal, checks);

    const cmsswRules = changed.map(formatBatchRule);
    writeFileAtomic(
      rulesPath,
      `# --tfaot-batch-rules (the rules that differ from CMSSW's default)\n${rulesFlag}\n` +
        `# CMSSW: tfaot::Model::setBatchRule, one call per rule\n${cmsswRules.join("\n")}\n`,
    );
    writeFileAtomic(csvPath, ruleTableCsv(rows));
    const measured = rows.filter((r) => r.optimalMeasuredMs !== undefined);
    writeJsonAtomic(jsonPath, {
      modelFile: costs.modelFile,
      compiledSizes: this.compiled,
      costModel: {
        sizeCostMs: Object.fromEntries(costs.sizes.map((s) => [s.size, s.medianMs])),
        chunkOverheadMs: costs.chunkOverheadMs,
        paddedElementSavingMs: costs.paddedElementSavingMs,
        formula: "Σ c(size) + (chunks − 1)·chunkOverhead − padding·paddedElementSaving",
      },
      tfaotBatchRules: rulesFlag,
      cmsswRules,
      rows,
      averagePredicted: {
        default: avg(rows.map((r) => r.defaultPredictedMs)),
        optimal: avg(rows.map((r) => r.optimalPredictedMs)),
      },
      ...(measured.length
        ? {
            averageMeasured: {
              targets: measured.map((r) => r.target),
              default: avg(measured.map((r) => r.defaultMeasuredMs!)),
              optimal: avg(measured.map((r) => r.optimalMeasuredMs!)),
            },
          }
        : {}),
      batchCosts: this.requires()[0]!.outputs()[0],
    });
    const figure = buildQuantityFigure(
      [
        pointSeries(
          "default rule, predicted",
          this.targets,
          rows.map((r) => r.defaultPredictedMs),
        ),
        pointSeries(
          "optimal rule, predicted",
          this.targets,
          rows.map((r) => r.optimalPredictedMs),
        ),
        ...(measured.length
          ? [
              pointSeries(
                "default rule, measured",
                measured.map((r) => r.target),
                measured.map((r) => r.defaultMeasuredMs!),
              ),
              pointSeries(
                "optimal rule, measured",
                measured.map((r) => r.target),
                measured.map((r) => r.optimalMeasuredMs!),
              ),
            ]
          : []),
      ],
      {
        ...this.plot.options,
        title: this.cfg.model.label.includes("(compiled ")
          ? this.cfg.model.label
          : `${this.cfg.model.label} (compiled ${this.compiled.join(", ")})`,
      },
      { title: "Runtime per call [ms]", unit: "ms", legendTitle: "batch rule" },
    );
    await renderAndView(figure, this.plot, this.outputs().slice(3), ctx);
    ruleSummary(costs, rows, rulesFlag).forEach((line) => ctx.log?.(line));
  }

  /** Measures the optimal and default rules of the check targets (interleaved) into the rows. */
  private async measureChecks(
    ctx: TaskContext,
    rows: RuleRow[],
    optimal: CostedRule[],
    checks: number[],
  ): Promise<void> {
    const tasks = new Map<string, MeasureRuntime>();
    const key = (target: number, rule?: BatchRule) => `${target} ${rule ? formatBatchRule(rule) : ""}`;
    const pairs = checks.map((t) => {
      const i = this.targets.indexOf(t);
      const opt = optimal[i]!;
      const same = formatBatchRule(opt) === rows[i]!.defaultRule;
      const d = new MeasureRuntime(ruleCfg(this.cfg), t);
      const o = same ? d : new MeasureRuntime(ruleCfg(this.cfg, opt), t);
      tasks.set(key(t), d);
      if (!same) tasks.set(key(t, opt), o);
      return { i, d, o };
    });
    // named after the measured rules: other rules (a cost model measured anew) are other checks
    const measured = [...tasks.values()].map((t) => `${t.batchSize}:${t.cfg.run.tfaotBatchRules}`).join(" ");
    const output = join(this.dir, `${this.stem}_checks_${shortHash(measured, 10)}.json`);
    ctx.progress(
      `checking the predictions: measuring ${tasks.size} rules × ${this.cfg.run.repeats} processes`,
    );
    await runTree(
      new RuleChecks(output, [...tasks.values()]),
      ctx.signal,
      "quiet",
      // a warning's heading only (it counts the tasks): the checks' own list of tasks would repeat the rules
      (line) => void (line.startsWith("  ") || ctx.log?.(line)),
      {
        wait: ctx.wait,
      },
    );
    for (const { i, d, o } of pairs) {
      const row = rows[i]!;
      row.defaultMeasuredMs = measuredMs(d).medianMs;
      row.optimalMeasuredMs = measuredMs(o).medianMs;
      row.defaultError = row.defaultMeasuredMs / row.defaultPredictedMs;
      row.optimalError = row.optimalMeasuredMs / row.optimalPredictedMs;
    }
  }
}

function avg(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The table as CSV: one row per target. */
function ruleTableCsv(rows: RuleRow[]): string {
  const f = (v: number | undefined, digits = 6) => (v === undefined ? "" : v.toFixed(digits));
  return (
    "target,default_rule,optimal_rule,default_predicted_ms,optimal_predicted_ms,saving," +
    "default_measured_ms,optimal_measured_ms,default_measured_over_predicted,optimal_measured_over_predicted\n" +
    rows
      .map((r) =>
        [
          r.target,
          `"${r.defaultRule}"`,
          `"${r.optimalRule}"`,
          f(r.defaultPredictedMs),
          f(r.optimalPredictedMs),
          f(r.saving, 4),
          f(r.defaultMeasuredMs),
          f(r.optimalMeasuredMs),
          f(r.defaultError, 3),
          f(r.optimalError, 3),
        ].join(","),
      )
      .join("\n") +
    "\n"
  );
}

/** A rule shortened for the printed table (long runs of one size as "size×n"). */
function shortRule(rule: string): string {
  const [target, body] = rule.split(":") as [string, string];
  const parts: string[] = [];
  const chunks = body.split(",");
  for (let i = 0; i < chunks.length;) {
    let j = i;
    while (j < chunks.length && chunks[j] === chunks[i]) j++;
    parts.push(j - i > 2 ? `${chunks[i]}×${j - i}` : chunks.slice(i, j).join(","));
    i = j;
  }
  return `${target}:${parts.join(",")}`;
}

/** The printed summary: the cost model, the rows whose rule changes, the checks and the averages. */
function ruleSummary(costs: BatchCosts, rows: RuleRow[], rulesFlag: string): string[] {
  const ms = (v: number | undefined) => (v === undefined ? "" : v.toFixed(4));
  const lines = [
    `cost model (ms per call): ${costs.sizes.map((s) => `c(${s.size}) = ${s.medianMs.toFixed(4)}`).join(", ")}; ` +
      `per further chunk ${costs.chunkOverheadMs.toFixed(4)}, per padded element −${costs.paddedElementSavingMs.toFixed(5)}`,
    "",
    `${"target".padStart(6)}  ${"default rule".padEnd(16)}  ${"optimal rule".padEnd(22)}  ${"pred. default".padStart(13)}  ${"pred. optimal".padStart(13)}  ${"saving".padStart(7)}  ${"meas. default".padStart(13)}  ${"meas. optimal".padStart(13)}  meas./pred.`,
  ];
  for (const r of rows) {
    if (r.defaultRule === r.optimalRule && r.optimalMeasuredMs === undefined) continue;
    lines.push(
      `${String(r.target).padStart(6)}  ${shortRule(r.defaultRule).padEnd(16)}  ${shortRule(r.optimalRule).padEnd(22)}  ` +
        `${ms(r.defaultPredictedMs).padStart(13)}  ${ms(r.optimalPredictedMs).padStart(13)}  ${`${(100 * r.saving).toFixed(1)} %`.padStart(7)}  ` +
        `${ms(r.defaultMeasuredMs).padStart(13)}  ${ms(r.optimalMeasuredMs).padStart(13)}  ` +
        (r.optimalError !== undefined ? `${r.defaultError!.toFixed(2)} / ${r.optimalError.toFixed(2)}` : ""),
    );
  }
  const same = rows.filter((r) => r.defaultRule === r.optimalRule).length;
  lines.push(
    `(${same} of ${rows.length} targets keep the default rule)`,
    `average over the targets, predicted: default ${avg(rows.map((r) => r.defaultPredictedMs)).toFixed(4)} ms, ` +
      `optimal ${avg(rows.map((r) => r.optimalPredictedMs)).toFixed(4)} ms`,
  );
  const m = rows.filter((r) => r.optimalMeasuredMs !== undefined);
  if (m.length) {
    lines.push(
      `average over the ${m.length} checked targets, measured: default ${avg(m.map((r) => r.defaultMeasuredMs!)).toFixed(4)} ms, ` +
        `optimal ${avg(m.map((r) => r.optimalMeasuredMs!)).toFixed(4)} ms`,
    );
  }
  lines.push("", `--tfaot-batch-rules "${rulesFlag}"`);
  const waits = costs.cpuWaits ?? [];
  if (waits.length && Math.max(...waits) > COMPETITION_THRESHOLDS.waitFraction) {
    lines.push(
      `note: processes of the cost measurements waited for a CPU up to ${(100 * Math.max(...waits)).toFixed(1)} % of their timed calls ` +
        `(> ${(100 * COMPETITION_THRESHOLDS.waitFraction).toFixed(1)} %): other processes competed`,
    );
  }
  return lines;
}

const DISTRIBUTION = param.string({
  flag: "distribution",
  required: true,
  description: "the production distribution of batch sizes: a yaml (size: weight) or CSV (size,weight) file",
});

const CANDIDATES = param.ints({
  flag: "candidates",
  default: [],
  significant: true,
  defaultText: "1 and the powers of two up to the first one ≥ the largest size of the distribution",
  description: "candidate batch sizes to compile (all are compiled and measured once, as one model)",
  check: (v) => v.forEach(positive("candidates")),
});

/**
 * Recommends the batch sizes to compile for a distribution of batch sizes: the candidate grid is
 * compiled and measured once (MeasureBatchCosts with --compiled-sizes), then every set of k candidates
 * (batch size 1 always included, unless --no-size-one) is costed with its optimal rules, exactly.
 */
export class RecommendBatchSizes extends Task {
  static readonly params = {
    distribution: DISTRIBUTION,
    candidates: CANDIDATES,
    k: param.optionalInt({
      flag: "k",
      significant: true,
      description:
        "how many sizes to compile; when not given, sizes are added while one more saves at least --threshold",
      check: positive("k"),
    }),
    threshold: param.float({
      flag: "threshold",
      default: 0.02,
      significant: true,
      description:
        "without --k: the smallest saving (fraction of the expected cost) worth one more compiled size",
      check: (v) => {
        if (!(v >= 0 && v < 1))
          throw new MlprofError(`--threshold: expected a fraction in [0, 1), found ${v}`);
      },
    }),
    sizeOne: param.bool({
      flag: "size-one",
      default: true,
      significant: true,
      description: "always compile batch size 1 (cms-ml's guidance: it gets an extra optimisation)",
    }),
    ...COST_PARAMS,
  };
  static readonly family = defineTask({
    name: "RecommendBatchSizes",
    examples: [
      [
        "mlprof run RecommendBatchSizes --version v1 --model-file examples/dnn/model_tfaot_l10u128.yaml --distribution jets.yaml --repeats 2",
        "which sizes to compile for the batch sizes of jets.yaml (size: weight)",
      ],
    ],
    description:
      "recommend the TF-AOT batch sizes to compile for a distribution of batch sizes, with their rules",
    params: RecommendBatchSizes.params,
    create: (v) => {
      const distribution = readDistributionFile(v.distribution);
      const top = Math.max(...distribution.map((d) => d.size));
      const grid = v.candidates.length ? v.candidates : powersOfTwoUpTo(top);
      if (v.sizeOne && !grid.includes(1)) grid.push(1);
      const { cfg, compiled } = costConfig({ ...v, compiledSizes: grid });
      const hash = shortHash(readFileSync(v.distribution, "utf8"), 8);
      return new RecommendBatchSizes(cfg, compiled, v.distribution, hash, v.k, v.threshold, v.sizeOne);
    },
  });
  readonly family = "RecommendBatchSizes";

  constructor(
    readonly cfg: RuntimeConfig,
    readonly candidates: number[],
    readonly distributionFile: string,
    readonly distributionHash: string,
    readonly k: number | undefined,
    readonly threshold: number,
    readonly sizeOne: boolean,
  ) {
    super();
  }

  outputs(): string[] {
    const stem = `recommend_${basename(this.distributionFile).replace(/[^A-Za-z0-9_.+-]/g, "_")}_${this.distributionHash}__${this.k !== undefined ? `k_${this.k}` : `threshold_${this.threshold}`}${this.sizeOne ? "" : "__no_size_one"}`;
    const dir = runtimeDir(this.family, this.cfg);
    return [join(dir, `${stem}.json`), join(dir, `${stem}_compilation.yaml`)];
  }

  requires(): MeasureBatchCosts[] {
    return [new MeasureBatchCosts(this.cfg, this.candidates)];
  }

  reprParams(): Record<string, unknown> {
    return {
      version: this.cfg.version,
      model_file: this.cfg.model.file,
      distribution: this.distributionFile,
    };
  }

  override title(): string {
    return `RecommendBatchSizes ${titleName(this.cfg)}, ${basename(this.distributionFile)}`;
  }

  async run(ctx: TaskContext): Promise<void> {
    const [jsonPath, yamlPath] = this.outputs() as [string, string];
    const distribution = readDistributionFile(this.distributionFile);
    const costs = readBatchCosts(this.requires()[0]!.outputs()[0]!);
    const model = costModelOf(costs);
    const objectBytes = new Map(costs.sizes.map((s) => [s.size, s.objectBytes ?? 0]));
    const required = this.sizeOne ? [1] : [];
    const maxK = Math.min(this.candidates.length, Math.max(this.k ?? 0, 8));
    const choices = bestSizeSets(distribution, model, required, maxK, (s) => objectBytes.get(s) ?? 0);
    if (this.k !== undefined && !choices.some((c) => c.k === this.k)) {
      throw new MlprofError(
        `--k ${this.k}: there are only ${this.candidates.length} candidate sizes (${this.candidates.join(", ")})`,
      );
    }
    const chosen = chooseK(choices, this.threshold, this.k);
    const sub: CostModel = {
      ...model,
      sizeCost: new Map(chosen.sizes.map((s) => [s, model.sizeCost.get(s)!])),
    };
    const rules = optimalRules(
      distribution.map((d) => d.size),
      sub,
    );
    const changed = rules.filter(
      (r) => formatBatchRule(r) !== formatBatchRule(defaultBatchRule(r.target, chosen.sizes)),
    );
    const rulesFlag = changed.length ? checkProduced(changed, chosen.sizes) : "";
    const defaultCost = (sizes: number[]) => {
      const total = distribution.reduce((a, d) => a + d.weight, 0);
      return (
        distribution.reduce((a, d) => a + d.weight * predictCost(model, defaultBatchRule(d.size, sizes)), 0) /
        total
      );
    };
    const snippet = yaml().stringify({ compilation: { batch_sizes: chosen.sizes } });
    writeFileAtomic(
      yamlPath,
      `# recommended by RecommendBatchSizes for ${this.distributionFile}\n${snippet}# --tfaot-batch-rules "${rulesFlag}"\n`,
    );
    writeJsonAtomic(jsonPath, {
      distributionFile: this.distributionFile,
      distribution,
      candidates: this.candidates,
      batchCosts: this.requires()[0]!.outputs()[0],
      compile: {
        ...costs.compile,
        objectBytes: Object.fromEntries(objectBytes),
        note: "the candidates compile in parallel as one model: the compile time is of the whole grid",
      },
      sets: choices.map((c) => ({
        ...c,
        expectedCostDefaultRulesMs: defaultCost(c.sizes),
        objectBytes: c.sizes.reduce((a, s) => a + (objectBytes.get(s) ?? 0), 0),
      })),
      chosen,
      compilationBatchSizes: chosen.sizes,
      tfaotBatchRules: rulesFlag,
      cmsswRules: changed.map(formatBatchRule),
    });
    ctx.log?.(`expected cost per event (ms) of the best set of k sizes, optimal rules (default rules):`);
    for (const c of choices) {
      const kb = c.sizes.reduce((a, s) => a + (objectBytes.get(s) ?? 0), 0) / 1024;
      ctx.log?.(
        `  k = ${c.k}: ${c.sizes.join(", ").padEnd(24)} ${c.expectedCost.toFixed(4)} (${defaultCost(c.sizes).toFixed(4)})` +
          `${kb ? `, objects ${kb.toFixed(0)} KiB` : ""}${c === chosen ? "   ← recommended" : ""}`,
      );
    }
    ctx.log?.("");
    ctx.log?.(`compilation:\n  batch_sizes: [${chosen.sizes.join(", ")}]`);
    ctx.log?.(`--tfaot-batch-rules "${rulesFlag}"`);
  }
}

/** 1, 2, 4, … up to the first power of two ≥ n. */
function powersOfTwoUpTo(n: number): number[] {
  const out = [1];
  while (out.at(-1)! < n) out.push(out.at(-1)! * 2);
  return out;
}

/** The task families of this module, in the order of their chain. */
export const BATCH_RULE_TASKS = [
  MeasureBatchCosts.family,
  OptimizeBatchRules.family,
  RecommendBatchSizes.family,
];
