import { MlprofError } from "../../util/errors.js";

/**
 * A batch rule of CMSSW's TensorFlowAOT (PhysicsTools/TensorFlowAOT, Batching.h): a target batch size
 * is evaluated as chunks of compiled batch sizes, one after the other; the last chunk is padded by
 * `padding` = Σ chunks − target elements that are computed and thrown away.
 */
export interface BatchRule {
  target: number;
  chunks: number[];
  padding: number;
}

/** A rule in effect for a measured batch size, and where it came from. */
export interface ResolvedBatchRule extends BatchRule {
  /** "--tfaot-batch-rules" when the user gave a rule for the target, else "default" (CMSSW's default rule). */
  source: "--tfaot-batch-rules" | "default";
}

const FLAG = "--tfaot-batch-rules";

function positiveInt(text: string, what: string, rule: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) {
    throw new MlprofError(`${FLAG}: ${what} '${text}' of the rule '${rule}' is not a positive integer`);
  }
  return Number(text);
}

/**
 * Checks a rule as CMSSW's BatchRule::validate does: chunks are not empty, the padding is smaller than the
 * last chunk, and the chunks minus the padding give the target.
 */
export function checkBatchRule(rule: BatchRule): void {
  const text = formatBatchRule(rule);
  const last = rule.chunks[rule.chunks.length - 1];
  if (last === undefined) throw new MlprofError(`${FLAG}: the rule '${text}' has no batch sizes to stitch`);
  const sum = rule.chunks.reduce((a, b) => a + b, 0);
  if (sum < rule.target) {
    throw new MlprofError(
      `${FLAG}: in the rule '${text}' the sizes sum to ${sum}, less than the target batch size ${rule.target}`,
    );
  }
  if (rule.padding !== sum - rule.target) {
    throw new MlprofError(
      `${FLAG}: the rule '${text}' pads by ${rule.padding}, but its sizes minus the target give ${sum - rule.target}`,
    );
  }
  if (rule.padding >= last) {
    throw new MlprofError(
      `${FLAG}: in the rule '${text}' the padding ${rule.padding} (sum of sizes ${sum} minus target ${rule.target}) ` +
        `must be smaller than the last size ${last}`,
      "the last chunk alone takes the padding: put the larger sizes first, or add a smaller last size",
    );
  }
}

/**
 * Parses one rule `target:s1,s2,…` (the padding is Σ s − target, as CMSSW infers it), or the original
 * MLProf's shorthands `target:ones` and `target:twos` (⌈target / 1⌉ ones, ⌈target / 2⌉ twos). The rule is
 * checked with CMSSW's semantics (checkBatchRule).
 */
export function parseBatchRule(text: string): BatchRule {
  const m = /^\s*([^:\s]+)\s*:\s*(.*?)\s*$/.exec(text);
  if (!m) {
    throw new MlprofError(
      `${FLAG}: '${text}' is not a rule 'target:size1,size2,...' (or 'target:ones', 'target:twos')`,
    );
  }
  const target = positiveInt(m[1]!, "the target batch size", text);
  const body = m[2]!;
  let chunks: number[];
  if (body === "ones" || body === "twos") {
    const size = body === "ones" ? 1 : 2;
    chunks = new Array<number>(Math.ceil(target / size)).fill(size);
  } else if (body === "") {
    throw new MlprofError(`${FLAG}: the rule '${text}' has no batch sizes to stitch`);
  } else {
    chunks = body.split(",").map((s) => positiveInt(s.trim(), "the batch size", text));
  }
  const rule = { target, chunks, padding: chunks.reduce((a, b) => a + b, 0) - target };
  checkBatchRule(rule);
  return rule;
}

/**
 * Parses the value of --tfaot-batch-rules: dash-separated rules such as "1:1-2:2-4:1,1,2-8:2,2,2,2"
 * ("" gives none). Two rules for one target are refused.
 */
export function parseBatchRules(spec: string): BatchRule[] {
  if (spec.trim() === "") return [];
  const rules = spec.split("-").map(parseBatchRule);
  const seen = new Set<number>();
  for (const r of rules) {
    if (seen.has(r.target)) {
      throw new MlprofError(`${FLAG}: '${spec}' has more than one rule for batch size ${r.target}`);
    }
    seen.add(r.target);
  }
  return rules;
}

/**
 * CMSSW's default rule (BatchStrategy::setDefaultRule): the target itself when it is compiled, else the
 * smallest compiled size repeated ⌈target / smallest⌉ times, the last chunk padded. T = 5 with compiled
 * sizes {1, 2, 4} gives five chunks of 1.
 */
export function defaultBatchRule(target: number, compiled: readonly number[]): BatchRule {
  if (compiled.length === 0) throw new MlprofError("a tfaot model needs at least one compiled batch size");
  if (compiled.includes(target)) return { target, chunks: [target], padding: 0 };
  const smallest = Math.min(...compiled);
  const n = Math.ceil(target / smallest);
  return { target, chunks: new Array<number>(n).fill(smallest), padding: n * smallest - target };
}

/** Checks that every chunk of a rule is a compiled batch size. */
function checkCompiled(rule: BatchRule, compiled: readonly number[]): void {
  const missing = [...new Set(rule.chunks.filter((s) => !compiled.includes(s)))];
  if (missing.length > 0) {
    throw new MlprofError(
      `${FLAG}: the rule '${formatBatchRule(rule)}' uses batch size${missing.length > 1 ? "s" : ""} ` +
        `${missing.join(", ")}, but the model is compiled for ${compiled.join(", ")} only`,
      "use compiled sizes only, or add the sizes to the model file's compilation.batch_sizes",
    );
  }
}

/**
 * The rule in effect for a measured batch size: the user's rule for that target when there is one (every
 * given rule is checked against the compiled sizes, as CMSSW registers them all), else the default rule.
 */
export function resolveBatchRule(
  target: number,
  rules: readonly BatchRule[],
  compiled: readonly number[],
): ResolvedBatchRule {
  for (const r of rules) checkCompiled(r, compiled);
  const given = rules.find((r) => r.target === target);
  if (given) return { ...given, chunks: [...given.chunks], source: FLAG };
  return { ...defaultBatchRule(target, compiled), source: "default" };
}

/** The rule as CMSSW's rule strings write it: "target:s1,s2,…". */
export function formatBatchRule(rule: BatchRule): string {
  return `${rule.target}:${rule.chunks.join(",")}`;
}
