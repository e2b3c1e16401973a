/**
 * The production distribution of batch sizes a recommendation is made for, read from a yaml or CSV file:
 * sizes with weights (e.g. how many events have that many jets).
 */
import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { MlprofError, errorMessage } from "../../util/errors.js";
import { readYamlFile } from "../../util/yaml.js";
import type { WeightedSize } from "./optimize.js";

/**
 * Reads a distribution of batch sizes. YAML: a mapping `size: weight` (at the top level or under
 * `distribution:`), or a list of `{size, weight}`. CSV (.csv): lines `size,weight`, an optional header
 * line, `#` comments. Sizes are positive integers, each once; weights are numbers ≥ 0, not all 0.
 */
export function readDistributionFile(path: string): WeightedSize[] {
  const what = `distribution file ${path}`;
  const entries: [unknown, unknown, string][] = [];
  if (extname(path).toLowerCase() === ".csv") {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new MlprofError(`cannot read the ${what}: ${errorMessage(err)}`);
    }
    text.split("\n").forEach((raw, i) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const cells = line.split(",").map((c) => c.trim());
      if (i === firstDataLine(text) && cells.some((c) => c !== "" && Number.isNaN(Number(c)))) return;
      entries.push([
        cells[0] === "" ? undefined : Number(cells[0]),
        cells.length === 2 ? Number(cells[1]) : cells.join(","),
        `line ${i + 1}`,
      ]);
    });
  } else {
    let data = readYamlFile(path, "distribution file");
    if (isMapping(data) && "distribution" in data) data = data.distribution;
    if (Array.isArray(data)) {
      data.forEach((item, i) => {
        const o = isMapping(item) ? item : {};
        entries.push([o.size, o.weight, `item ${i + 1}`]);
      });
    } else if (isMapping(data)) {
      for (const [k, v] of Object.entries(data))
        entries.push([/^\d+$/.test(k) ? Number(k) : k, v, `key '${k}'`]);
    } else {
      throw new MlprofError(`${what}: expected a mapping 'size: weight' or a list of {size, weight}`);
    }
  }
  const seen = new Set<number>();
  const out = entries.map(([size, weight, where]) => {
    if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
      throw new MlprofError(
        `${what}, ${where}: expected a batch size (a positive integer), found '${String(size)}'`,
      );
    }
    if (typeof weight !== "number" || !Number.isFinite(weight) || weight < 0) {
      throw new MlprofError(`${what}, ${where}: expected a weight (a number ≥ 0), found '${String(weight)}'`);
    }
    if (seen.has(size)) throw new MlprofError(`${what}, ${where}: batch size ${size} is given twice`);
    seen.add(size);
    return { size, weight };
  });
  if (out.length === 0 || out.every((d) => d.weight === 0)) {
    throw new MlprofError(`${what}: expected at least one batch size with a weight > 0`);
  }
  return out.filter((d) => d.weight > 0).sort((a, b) => a.size - b.size);
}

/** The index of the first line that is neither empty nor a comment. */
function firstDataLine(text: string): number {
  return text.split("\n").findIndex((l) => l.trim() !== "" && !l.trim().startsWith("#"));
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
