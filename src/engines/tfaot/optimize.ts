/**
 * Batch rules from measurements (pure, no I/O): the cost model of a stitched TensorFlowAOT call, the exact
 * search of the cheapest rule per target batch size, and the choice of the batch sizes to compile for a
 * distribution of batch sizes.
 *
 * The cost model: a rule `T:s1,…,sn` with padding p = Σs − T costs
 *   Σ c(sᵢ) + (n − 1)·o − p·e
 * where c(s) is the measured time of one tfaot::Model::run of target s alone (rule [s]: its copies in and
 * out of s elements, one compiled call), o what each further chunk adds to a call (fitted from stitched
 * measurements; it may be negative: the fixed work of a run is paid once), and e what each padded element
 * saves (its copies in and out are skipped; fitted, ≥ 0).
 */
import { formatBatchRule, type BatchRule } from "./rules.js";

/** The measured costs a prediction is made of (all in ms per call). */
export interface CostModel {
  /** c(s): the time of one call of each compiled batch size alone, by size. */
  sizeCost: ReadonlyMap<number, number>;
  /** o: what each chunk after the first adds. */
  chunkOverhead: number;
  /** e: what each padded element saves (≥ 0). */
  paddedElementSaving: number;
}

/** A rule with its predicted cost. */
export interface CostedRule extends BatchRule {
  cost: number;
}

/** The predicted cost of a rule under the cost model; every chunk must be a size of the model. */
export function predictCost(model: CostModel, rule: BatchRule): number {
  let sum = 0;
  for (const s of rule.chunks) {
    const c = model.sizeCost.get(s);
    if (c === undefined) throw new Error(`no cost of batch size ${s} in the cost model`);
    sum += c;
  }
  return sum + (rule.chunks.length - 1) * model.chunkOverhead - rule.padding * model.paddedElementSaving;
}

/**
 * The cheapest rule of every target under CMSSW's semantics (chunks in order, only the last one padded,
 * padding < the last chunk's size, sum ≥ target), exactly: a rule is a prefix of chunks summing exactly to
 * some P < T plus a last chunk s ≥ T − P. The prefix costs are an unbounded knapsack over exact sums
 * (dynamic programming up to the largest target − 1); each target then takes the best P and s. Ties go
 * to fewer chunks, then to the larger prefix (a small last chunk). The prefix is written largest first.
 */
export function optimalRules(targets: readonly number[], model: CostModel): CostedRule[] {
  const sizes = [...model.sizeCost.keys()].sort((a, b) => b - a);
  if (sizes.length === 0) throw new Error("the cost model has no compiled batch sizes");
  const maxTarget = Math.max(0, ...targets);
  const o = model.chunkOverhead;
  // prefix[x]: the cheapest exact composition of x (cost of its chunks, each + o), its chunk count, last size
  const cost = new Float64Array(maxTarget).fill(Infinity);
  const count = new Int32Array(maxTarget);
  const pick = new Int32Array(maxTarget);
  cost[0] = 0;
  for (let x = 1; x < maxTarget; x++) {
    for (const s of sizes) {
      if (s > x || cost[x - s] === Infinity) continue;
      const c = cost[x - s]! + model.sizeCost.get(s)! + o;
      if (better(c, count[x - s]! + 1, cost[x]!, count[x]!)) {
        cost[x] = c;
        count[x] = count[x - s]! + 1;
        pick[x] = s;
      }
    }
  }
  return targets.map((target) => {
    let best: { cost: number; n: number; prefix: number; last: number } | undefined;
    for (let prefix = target - 1; prefix >= 0; prefix--) {
      if (cost[prefix] === Infinity) continue;
      for (const s of sizes) {
        if (prefix + s < target) continue;
        const padding = prefix + s - target;
        const c = cost[prefix]! + model.sizeCost.get(s)! - padding * model.paddedElementSaving;
        const n = count[prefix]! + 1;
        if (!best || better(c, n, best.cost, best.n)) best = { cost: c, n, prefix, last: s };
      }
    }
    if (!best) throw new Error(`no rule for batch size ${target}`);
    const chunks: number[] = [];
    for (let x = best.prefix; x > 0; x -= pick[x]!) chunks.push(pick[x]!);
    chunks.sort((a, b) => b - a).push(best.last);
    const padding = best.prefix + best.last - target;
    return { target, chunks, padding, cost: predictCost(model, { target, chunks, padding }) };
  });
}

/** Costs within this relative difference are ties (decided by the number of chunks). */
const TIE = 1e-12;

function better(cost: number, n: number, bestCost: number, bestN: number): boolean {
  if (bestCost === Infinity) return cost < Infinity;
  const scale = Math.max(Math.abs(cost), Math.abs(bestCost), 1e-300);
  if (Math.abs(cost - bestCost) <= TIE * scale) return n < bestN;
  return cost < bestCost;
}

/** One stitched measurement for the fit: its rule and its measured time per call (ms). */
export interface StitchObservation {
  rule: BatchRule;
  measured: number;
}

/**
 * Fits the chunk overhead o and the padded-element saving e of the cost model by least squares on the
 * stitched measurements' excess over their chunks measured alone: measured − Σ c(sᵢ) = (n − 1)·o − p·e.
 * Without padded observations (or with a fitted e < 0) e is 0 and o is fitted alone.
 */
export function fitStitchCosts(
  sizeCost: ReadonlyMap<number, number>,
  observations: readonly StitchObservation[],
): { chunkOverhead: number; paddedElementSaving: number } {
  const rows = observations.map(({ rule, measured }) => ({
    a: rule.chunks.length - 1,
    b: -rule.padding,
    y: measured - predictCost({ sizeCost, chunkOverhead: 0, paddedElementSaving: 0 }, rule),
  }));
  const sum = (f: (r: (typeof rows)[number]) => number) => rows.reduce((acc, r) => acc + f(r), 0);
  const aa = sum((r) => r.a * r.a);
  const bb = sum((r) => r.b * r.b);
  const ab = sum((r) => r.a * r.b);
  const ay = sum((r) => r.a * r.y);
  const by = sum((r) => r.b * r.y);
  const alone = { chunkOverhead: aa > 0 ? ay / aa : 0, paddedElementSaving: 0 };
  const det = aa * bb - ab * ab;
  if (bb === 0 || Math.abs(det) <= 1e-12 * aa * bb) return alone;
  const o = (ay * bb - by * ab) / det;
  const e = (aa * by - ab * ay) / det;
  return e < 0 ? alone : { chunkOverhead: o, paddedElementSaving: e };
}

/**
 * The stitched rules to measure for the fit: the smallest compiled size m twice, three and sixteen times
 * (targets 2m, 3m, 16m), and a compiled size L ≥ 2 (the lower median of those) twice, once unpadded (target 2L) and
 * once padded by ⌊L/2⌋. A rule is probed once (two rules of one target are two measurements: the rule is part
 * of the output path), so the padded probe, the only one that fits the padding's saving, is never dropped.
 */
export function stitchProbes(compiled: readonly number[]): BatchRule[] {
  const sizes = [...new Set(compiled)].sort((a, b) => a - b);
  const m = sizes[0]!;
  const probes: BatchRule[] = [
    { target: 2 * m, chunks: [m, m], padding: 0 },
    { target: 3 * m, chunks: [m, m, m], padding: 0 },
    // a long chain: the regime where the overhead adds up (it weighs most in the fit)
    { target: 16 * m, chunks: new Array<number>(16).fill(m), padding: 0 },
  ];
  const large = sizes.filter((s) => s >= 2);
  const L = large[Math.floor((large.length - 1) / 2)];
  if (L !== undefined) {
    const pad = Math.floor(L / 2);
    probes.push({ target: 2 * L, chunks: [L, L], padding: 0 });
    probes.push({ target: 2 * L - pad, chunks: [L, L], padding: pad });
  }
  const seen = new Set<string>();
  return probes.filter((p) => {
    const key = formatBatchRule(p);
    return !seen.has(key) && seen.add(key);
  });
}

/** A batch size of the production distribution and its weight (e.g. the number of events with it). */
export interface WeightedSize {
  size: number;
  weight: number;
}

/** The expected cost per event of a set of compiled sizes: Σ w·cost(optimal rule) / Σ w. */
export function expectedCost(distribution: readonly WeightedSize[], model: CostModel): number {
  const rules = optimalRules(
    distribution.map((d) => d.size),
    model,
  );
  const total = distribution.reduce((a, d) => a + d.weight, 0);
  return rules.reduce((a, r, i) => a + distribution[i]!.weight * r.cost, 0) / total;
}

/** The best set of k compiled sizes and its expected cost per event. */
export interface SizeChoice {
  k: number;
  sizes: number[];
  expectedCost: number;
}

/**
 * For each k from |required| to `maxK`, the k candidate sizes (always including `required`, e.g. batch
 * size 1) with the smallest expected cost per event under the model (whose sizeCost holds every
 * candidate), by exhaustive search over the subsets (exact; candidates are few: a grid such as the powers
 * of two). Ties go to the subset with the smaller `tieCost` sum (e.g. object sizes), then the smaller sizes.
 */
export function bestSizeSets(
  distribution: readonly WeightedSize[],
  model: CostModel,
  required: readonly number[],
  maxK: number,
  tieCost: (size: number) => number = () => 0,
): SizeChoice[] {
  const candidates = [...model.sizeCost.keys()].sort((a, b) => a - b);
  for (const r of required) {
    if (!model.sizeCost.has(r)) throw new Error(`the required batch size ${r} is not a candidate`);
  }
  const free = candidates.filter((s) => !required.includes(s));
  const base = [...new Set(required)];
  const results: SizeChoice[] = [];
  for (let k = Math.max(1, base.length); k <= Math.min(maxK, candidates.length); k++) {
    let best: { sizes: number[]; cost: number; tie: number } | undefined;
    for (const extra of subsets(free, k - base.length)) {
      const sizes = [...base, ...extra].sort((a, b) => a - b);
      const sub: CostModel = { ...model, sizeCost: new Map(sizes.map((s) => [s, model.sizeCost.get(s)!])) };
      const cost = expectedCost(distribution, sub);
      const tie = sizes.reduce((a, s) => a + tieCost(s), 0);
      const scale = Math.max(Math.abs(cost), Math.abs(best?.cost ?? 0), 1e-300);
      const same = best !== undefined && Math.abs(cost - best.cost) <= 1e-9 * scale;
      if (!best || (same ? tie < best.tie : cost < best.cost)) best = { sizes, cost, tie };
    }
    if (best) results.push({ k, sizes: best.sizes, expectedCost: best.cost });
  }
  return results;
}

/** Every subset of `items` with `k` elements, in lexicographic order. */
function* subsets<T>(items: readonly T[], k: number, from = 0): Generator<T[]> {
  if (k === 0) {
    yield [];
    return;
  }
  for (let i = from; i <= items.length - k; i++) {
    for (const rest of subsets(items, k - 1, i + 1)) yield [items[i]!, ...rest];
  }
}

/**
 * The number of sizes to compile: `k` when given, else the smallest k whose next set saves less than
 * `threshold` (a fraction of the expected cost, e.g. 0.02).
 */
export function chooseK(choices: readonly SizeChoice[], threshold: number, k?: number): SizeChoice {
  if (choices.length === 0) throw new Error("no set of sizes to choose from");
  if (k !== undefined) {
    const given = choices.find((c) => c.k === k);
    if (!given) throw new Error(`no set of ${k} sizes among the candidates`);
    return given;
  }
  for (let i = 0; i < choices.length - 1; i++) {
    const now = choices[i]!;
    const next = choices[i + 1]!;
    if ((now.expectedCost - next.expectedCost) / now.expectedCost < threshold) return now;
  }
  return choices.at(-1)!;
}

/** Parses target batch sizes: comma-separated sizes and ranges, "1-64" or "1,2,5-8" (sorted, unique). */
export function parseTargets(text: string): number[] | string {
  const out = new Set<number>();
  for (const part of text.split(",").map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return `'${part}' is not a batch size or a range such as 1-64`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 1 || hi < lo) return `'${part}' is not a range of positive batch sizes (low-high, low ≤ high)`;
    if (hi > 100000) return `'${part}' reaches beyond 100000`;
    for (let t = lo; t <= hi; t++) out.add(t);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * `n` targets spread evenly over the list (first and last included), preferring those whose optimal rule
 * differs from the default one: what to measure to check the predictions.
 */
export function spreadTargets(
  targets: readonly number[],
  differs: (t: number) => boolean,
  n: number,
): number[] {
  const pool = targets.filter(differs);
  const from = pool.length >= n ? pool : targets;
  if (from.length <= n) return [...from];
  if (n === 1) return [from[Math.floor((from.length - 1) / 2)]!];
  return [
    ...new Set(Array.from({ length: n }, (_, i) => from[Math.round((i * (from.length - 1)) / (n - 1))]!)),
  ];
}
