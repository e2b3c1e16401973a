/**
 * The calibration of CompareRuntimes on a real engine: comparisons of a model against itself (the same
 * yaml measured as two versions, interleaved) must rarely call a difference, and comparisons of a model
 * against a measurably slower one must nearly always call it slower. Used by the calibration test and by
 * scripts/bench-calibration.ts (more pairs, for the figures).
 */
import { readFileSync } from "node:fs";
import { mlprof } from "./cli.js";

/** The verdicts of one CompareRuntimes run, per batch size. */
export async function compareVerdicts(
  env: NodeJS.ProcessEnv,
  args: { version: string; modelFiles: string; versions?: string; batchSizes: number[]; extra?: string[] },
): Promise<{ batchSize: number; verdict: string; ratio: number; basis: string }[]> {
  const res = await mlprof(
    [
      "run",
      "CompareRuntimes",
      "--version",
      args.version,
      "--model-files",
      args.modelFiles,
      ...(args.versions ? ["--versions", args.versions] : []),
      "--batch-sizes",
      args.batchSizes.join(","),
      "--file-types",
      "png",
      ...(args.extra ?? []),
    ],
    env,
  );
  if (res.code !== 0) throw new Error(`CompareRuntimes failed (${res.code}): ${res.stderr}\n${res.stdout}`);
  const json = res.stdout
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.endsWith(".json") && l.includes("/CompareRuntimes/"))!;
  const result = JSON.parse(readFileSync(json, "utf8")) as {
    results: { batchSize: number; verdict: string; ratio: { ratio: number }; basis: string }[];
  };
  return result.results.map((r) => ({
    batchSize: r.batchSize,
    verdict: r.verdict,
    ratio: r.ratio.ratio,
    basis: r.basis,
  }));
}

/** Self-comparisons: `pairs` runs of `model` against itself as versions s<k>a, s<k>b. */
export async function selfComparisons(
  env: NodeJS.ProcessEnv,
  model: string,
  pairs: number,
  batchSizes: number[],
  extra: string[] = [],
): Promise<{ batchSize: number; verdict: string; ratio: number; basis: string }[]> {
  const all = [];
  for (let k = 0; k < pairs; k++) {
    all.push(
      ...(await compareVerdicts(env, {
        version: `self${k}`,
        modelFiles: model,
        versions: `s${k}a,s${k}b`,
        batchSizes,
        extra,
      })),
    );
  }
  return all;
}

/** Comparisons of a model (A) against a slower one (B): `pairs` runs with their own versions. */
export async function slowerComparisons(
  env: NodeJS.ProcessEnv,
  fast: string,
  slow: string,
  pairs: number,
  batchSizes: number[],
  extra: string[] = [],
): Promise<{ batchSize: number; verdict: string; ratio: number; basis: string }[]> {
  const all = [];
  for (let k = 0; k < pairs; k++) {
    all.push(
      ...(await compareVerdicts(env, {
        version: `slow${k}`,
        modelFiles: `${fast},${slow}`,
        batchSizes,
        extra: ["--model-names", "fast,slow", ...extra],
      })),
    );
  }
  return all;
}
