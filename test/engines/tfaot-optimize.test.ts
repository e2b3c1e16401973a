/**
 * The batch-rule optimiser (src/engines/tfaot/optimize.ts): the exact search against brute force on random
 * cost tables, CMSSW's constraints on every produced rule (read back by the tool's own parser and
 * checker), the fit of the stitching costs, and the choice of sizes to compile on distributions with a
 * known best answer.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  bestSizeSets,
  chooseK,
  expectedCost,
  fitStitchCosts,
  optimalRules,
  parseTargets,
  predictCost,
  spreadTargets,
  stitchProbes,
  type CostModel,
} from "../../src/engines/tfaot/optimize.js";
import { readDistributionFile } from "../../src/engines/tfaot/optimize-distribution.js";
import {
  checkBatchRule,
  defaultBatchRule,
  formatBatchRule,
  parseBatchRules,
  resolveBatchRule,
  type BatchRule,
} from "../../src/engines/tfaot/rules.js";
import { seededRandom } from "../../src/stats/random.js";

/** Every valid rule of a target (CMSSW's semantics): prefixes summing below it, then any last chunk reaching it. */
function allRules(target: number, sizes: number[]): BatchRule[] {
  const out: BatchRule[] = [];
  const walk = (prefix: number[], sum: number) => {
    for (const s of sizes) {
      if (sum + s >= target) out.push({ target, chunks: [...prefix, s], padding: sum + s - target });
      else walk([...prefix, s], sum + s);
    }
  };
  walk([], 0);
  return out;
}

function bruteForce(target: number, model: CostModel): number {
  return Math.min(...allRules(target, [...model.sizeCost.keys()]).map((r) => predictCost(model, r)));
}

/** A random cost table: 1 to 4 sizes out of 1..9, costs growing roughly with the size, overhead ±, saving ≥ 0. */
function randomModel(rnd: () => number): CostModel {
  const pool = [1, 2, 3, 4, 5, 6, 7, 8, 9].filter(() => rnd() < 0.4);
  const sizes = pool.length ? pool.slice(0, 4) : [1 + Math.floor(rnd() * 9)];
  return {
    sizeCost: new Map(sizes.map((s) => [s, 0.05 + rnd() * 0.2 + s * rnd() * 0.1])),
    chunkOverhead: (rnd() - 0.3) * 0.05,
    paddedElementSaving: rnd() < 0.5 ? 0 : rnd() * 0.01,
  };
}

describe("the exact search", () => {
  test("finds the brute-force optimum on 400 random cost tables, targets 1 to 11", () => {
    const random = seededRandom(23);
    const rnd = () => random.uniform();
    for (let k = 0; k < 400; k++) {
      const model = randomModel(rnd);
      const targets = Array.from({ length: 11 }, (_, i) => i + 1);
      const rules = optimalRules(targets, model);
      rules.forEach((r, i) => {
        const brute = bruteForce(targets[i]!, model);
        const label = `table ${k} ${JSON.stringify([...model.sizeCost])}, target ${targets[i]}: ${formatBatchRule(r)}`;
        assert.ok(
          Math.abs(r.cost - brute) <= 1e-9 * Math.max(1, Math.abs(brute)),
          `${label}: ${r.cost} vs ${brute}`,
        );
        assert.equal(r.cost, predictCost(model, r), label);
      });
    }
  });

  test("every produced rule obeys CMSSW's semantics and is read back unchanged by the tool's parser and checker", () => {
    const random = seededRandom(7);
    const rnd = () => random.uniform();
    for (let k = 0; k < 100; k++) {
      const model = randomModel(rnd);
      const compiled = [...model.sizeCost.keys()];
      const rules = optimalRules(
        Array.from({ length: 40 }, (_, i) => i + 1),
        model,
      );
      for (const r of rules) {
        checkBatchRule(r);
        const sum = r.chunks.reduce((a, b) => a + b, 0);
        assert.equal(r.padding, sum - r.target);
        assert.ok(r.padding < r.chunks.at(-1)!, `${formatBatchRule(r)}: only the last chunk is padded`);
        assert.ok(
          sum - r.chunks.at(-1)! < r.target,
          `${formatBatchRule(r)}: the chunks before the last fit the target`,
        );
      }
      const spec = rules.map(formatBatchRule).join("-");
      const parsed = parseBatchRules(spec);
      assert.deepEqual(
        parsed,
        rules.map(({ target, chunks, padding }) => ({ target, chunks, padding })),
      );
      for (const r of parsed) resolveBatchRule(r.target, parsed, compiled);
    }
  });

  test("with a large fixed cost per call, padding a larger size beats stitching small ones", () => {
    // c(s) = 1 + 0.01 s: a call costs about the same at every size
    const model: CostModel = {
      sizeCost: new Map([1, 2, 4, 8, 16].map((s) => [s, 1 + 0.01 * s])),
      chunkOverhead: 0,
      paddedElementSaving: 0,
    };
    const [r5, r7, r16, r17] = optimalRules([5, 7, 16, 17], model);
    assert.equal(formatBatchRule(r5!), "5:8");
    assert.equal(r5!.padding, 3);
    assert.equal(formatBatchRule(r7!), "7:8");
    assert.equal(formatBatchRule(r16!), "16:16");
    assert.equal(formatBatchRule(r17!), "17:16,1");
    // the default rule of 5 is five calls of size 1
    assert.deepEqual(defaultBatchRule(5, [1, 2, 4, 8, 16]).chunks, [1, 1, 1, 1, 1]);
  });

  test("with a cost proportional to the size and an overhead per chunk, the fewest exact chunks win", () => {
    const model: CostModel = {
      sizeCost: new Map([1, 2, 4, 8].map((s) => [s, 0.1 * s])),
      chunkOverhead: 0.04,
      paddedElementSaving: 0,
    };
    const [r7, r13] = optimalRules([7, 13], model);
    assert.equal(formatBatchRule(r7!), "7:4,2,1");
    assert.ok(Math.abs(r7!.cost - (0.7 + 2 * 0.04)) < 1e-12);
    assert.equal(formatBatchRule(r13!), "13:8,4,1");
  });
});

describe("the stitching costs", () => {
  test("the fit recovers the chunk overhead and the padded-element saving of the probes", () => {
    const sizeCost = new Map([
      [1, 0.2],
      [4, 0.5],
      [16, 1.4],
    ]);
    const truth = { chunkOverhead: -0.03, paddedElementSaving: 0.004 };
    const probes = stitchProbes([1, 4, 16]);
    assert.deepEqual(probes.map(formatBatchRule), [
      "2:1,1",
      "3:1,1,1",
      "16:1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
      "8:4,4",
      "6:4,4",
    ]);
    probes.forEach(checkBatchRule);
    const observations = probes.map((rule) => ({
      rule,
      measured: predictCost({ sizeCost, ...truth }, rule),
    }));
    const fit = fitStitchCosts(sizeCost, observations);
    assert.ok(Math.abs(fit.chunkOverhead - truth.chunkOverhead) < 1e-12);
    assert.ok(Math.abs(fit.paddedElementSaving - truth.paddedElementSaving) < 1e-12);
  });

  test("a padded probe whose target another probe has is kept: it alone fits the padding's saving", () => {
    // compiled 1, 2, 4: L = 2, the padded probe 3:2,2 shares its target with 3:1,1,1
    assert.deepEqual(stitchProbes([1, 2, 4]).map(formatBatchRule), [
      "2:1,1",
      "3:1,1,1",
      "16:1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1",
      "4:2,2",
      "3:2,2",
    ]);
  });

  test("without padded probes, or with a negative fitted saving, only the overhead is fitted", () => {
    const sizeCost = new Map([[1, 0.2]]);
    const probes = stitchProbes([1]);
    assert.deepEqual(probes.map(formatBatchRule), ["2:1,1", "3:1,1,1", "16:1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1"]);
    const fit = fitStitchCosts(sizeCost, [
      { rule: probes[0]!, measured: 0.45 },
      { rule: probes[1]!, measured: 0.7 },
    ]);
    assert.equal(fit.paddedElementSaving, 0);
    // excess 0.05 at one extra chunk, 0.1 at two: o = 0.05
    assert.ok(Math.abs(fit.chunkOverhead - 0.05) < 1e-12);
    const negative = fitStitchCosts(new Map([[4, 1]]), [
      { rule: { target: 8, chunks: [4, 4], padding: 0 }, measured: 2.1 },
      { rule: { target: 6, chunks: [4, 4], padding: 2 }, measured: 2.3 },
    ]);
    assert.equal(negative.paddedElementSaving, 0);
    assert.ok(Math.abs(negative.chunkOverhead - 0.2) < 1e-12);
  });
});

describe("which sizes to compile", () => {
  // a call costs 1 plus 0.1 per element: padding is cheap, calls are dear
  const model: CostModel = {
    sizeCost: new Map([1, 2, 4, 8, 16].map((s) => [s, 1 + 0.1 * s])),
    chunkOverhead: 0,
    paddedElementSaving: 0,
  };

  test("all events of size 12: size 16 (padded) is the one size to add to 1, and a third size saves nothing", () => {
    const choices = bestSizeSets([{ size: 12, weight: 1 }], model, [1], 4);
    assert.deepEqual(choices[0]!.sizes, [1]);
    assert.deepEqual(choices[1]!.sizes, [1, 16]);
    assert.ok(Math.abs(choices[1]!.expectedCost - 2.6) < 1e-12);
    assert.ok(Math.abs(choices[0]!.expectedCost - 12 * 1.1) < 1e-12);
    assert.equal(choices[2]!.expectedCost, choices[1]!.expectedCost);
    assert.deepEqual(chooseK(choices, 0.02).sizes, [1, 16]);
    assert.deepEqual(chooseK(choices, 0.02, 1).sizes, [1]);
  });

  test("two peaks, at 3 and 8: with k = 3 the sizes are 1, 4 and 8, better than any other set of three", () => {
    const distribution = [
      { size: 3, weight: 10 },
      { size: 8, weight: 10 },
      { size: 1, weight: 1 },
    ];
    const three = bestSizeSets(distribution, model, [1], 3).find((c) => c.k === 3)!;
    assert.deepEqual(three.sizes, [1, 4, 8]);
    // 3 → [4] padded (1.4), 8 → [8] (1.8), 1 → [1] (1.1)
    assert.ok(Math.abs(three.expectedCost - (10 * 1.4 + 10 * 1.8 + 1.1) / 21) < 1e-12);
    for (const other of [
      [1, 2, 8],
      [1, 4, 16],
      [1, 2, 4],
    ]) {
      const sub = { ...model, sizeCost: new Map(other.map((s) => [s, model.sizeCost.get(s)!])) };
      assert.ok(expectedCost(distribution, sub) > three.expectedCost);
    }
  });

  test("without size 1 required the best single size of the 12-only distribution is 16", () => {
    const [one] = bestSizeSets([{ size: 12, weight: 1 }], model, [], 1);
    assert.deepEqual(one!.sizes, [16]);
  });

  test("ties go to the smaller object files", () => {
    const flat: CostModel = { ...model, sizeCost: new Map([1, 8, 16].map((s) => [s, 1])) };
    const [, two] = bestSizeSets([{ size: 6, weight: 1 }], flat, [1], 2, (s) => s * 100);
    assert.deepEqual(two!.sizes, [1, 8]);
  });
});

describe("inputs", () => {
  test("targets: sizes and ranges, sorted and unique; bad ones named", () => {
    assert.deepEqual(parseTargets("1-4"), [1, 2, 3, 4]);
    assert.deepEqual(parseTargets("8, 2,5-6,2"), [2, 5, 6, 8]);
    assert.equal(parseTargets("0-3"), "'0-3' is not a range of positive batch sizes (low-high, low ≤ high)");
    assert.equal(parseTargets("a"), "'a' is not a batch size or a range such as 1-64");
  });

  test("check targets spread over those whose rule changes", () => {
    const targets = Array.from({ length: 64 }, (_, i) => i + 1);
    const powers = new Set([1, 2, 4, 8, 16, 32, 64]);
    const picked = spreadTargets(targets, (t) => !powers.has(t), 5);
    assert.deepEqual(picked, [3, 20, 35, 49, 63]);
    assert.deepEqual(
      spreadTargets([1, 2, 3], () => true, 1),
      [2],
    );
  });

  test("distribution files: yaml mapping, yaml list, CSV with header; errors name file and entry", () => {
    const dir = mkdtempSync(join(tmpdir(), "mlprof-dist-"));
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    };
    const expected = [
      { size: 1, weight: 5 },
      { size: 12, weight: 2.5 },
    ];
    assert.deepEqual(readDistributionFile(file("a.yaml", "12: 2.5\n1: 5\n3: 0\n")), expected);
    assert.deepEqual(
      readDistributionFile(
        file("b.yaml", "distribution:\n  - {size: 1, weight: 5}\n  - {size: 12, weight: 2.5}\n"),
      ),
      expected,
    );
    assert.deepEqual(
      readDistributionFile(file("c.csv", "# jets\nbatch_size,weight\n1,5\n12,2.5\n")),
      expected,
    );
    const bad = file("d.csv", "1,5\n0,1\n");
    assert.throws(() => readDistributionFile(bad), {
      message: `distribution file ${bad}, line 2: expected a batch size (a positive integer), found '0'`,
    });
    const twice = file("e.yaml", "- {size: 2, weight: 1}\n- {size: 2, weight: 3}\n");
    assert.throws(() => readDistributionFile(twice), {
      message: `distribution file ${twice}, item 2: batch size 2 is given twice`,
    });
    const zero = file("f.yaml", "2: 0\n");
    assert.throws(() => readDistributionFile(zero), {
      message: `distribution file ${zero}: expected at least one batch size with a weight > 0`,
    });
  });
});
