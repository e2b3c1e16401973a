import { MlprofError } from "./errors.js";

/** The most names one brace expansion may give (a scan of more models is a mistake, and would take minutes). */
export const MAX_EXPANSION = 10_000;
/** The most brace groups one text may hold (each is a level of recursion). */
const MAX_GROUPS = 200;

/** The first complete brace group of a text: where it opens and closes, and its top-level commas. */
function firstGroup(text: string): { open: number; close: number; commas: number[] } | undefined {
  const open = text.indexOf("{");
  if (open < 0) return undefined;
  let depth = 0;
  const commas: number[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return { open, close: i, commas };
    } else if (c === "," && depth === 1) commas.push(i);
  }
  return undefined;
}

/** The alternatives of a group with commas. */
function alternativesOf(text: string, g: { open: number; close: number; commas: number[] }): string[] {
  const bounds = [g.open, ...g.commas, g.close];
  return bounds.slice(0, -1).map((b, k) => text.slice(b + 1, bounds[k + 1]));
}

/**
 * How many strings braceExpand gives for `text`, without expanding it; counts beyond `cap` are reported
 * as `cap + 1`, so that the count stays small for a text that would expand to billions.
 */
export function expansionCount(text: string, cap = MAX_EXPANSION): number {
  const g = firstGroup(text);
  if (!g) return 1;
  const suffix = expansionCount(text.slice(g.close + 1), cap);
  if (g.commas.length === 0) return suffix;
  let sum = 0;
  for (const alt of alternativesOf(text, g)) {
    sum += expansionCount(alt, cap) * suffix;
    if (sum > cap) return cap + 1;
  }
  return sum;
}

/**
 * Expands shell-style braces: "a_{x,y}_b" → ["a_x_b", "a_y_b"]; nested and repeated groups are expanded
 * left to right. A string without a complete brace group is returned unchanged.
 */
export function braceExpand(text: string): string[] {
  const g = firstGroup(text);
  if (!g) return [text];
  const prefix = text.slice(0, g.open);
  const suffixes = braceExpand(text.slice(g.close + 1));
  if (g.commas.length === 0) {
    // "{x}" is literal, as in bash
    const literal = text.slice(g.open, g.close + 1);
    return suffixes.map((s) => prefix + literal + s);
  }
  const out: string[] = [];
  for (const alt of alternativesOf(text, g)) {
    for (const a of braceExpand(alt)) for (const s of suffixes) out.push(prefix + a + s);
  }
  return out;
}

/**
 * Splits a comma-separated list at top-level commas (commas inside braces belong to a brace group) and
 * brace-expands each item; empty items are dropped (with `keepEmpty`, kept, for the caller to refuse).
 * More than `limit` names in all (default MAX_EXPANSION), or more than 200 brace groups, is an error said
 * at once, before anything is expanded.
 */
export function splitCsvExpand(text: string, opts: { keepEmpty?: boolean; limit?: number } = {}): string[] {
  const limit = opts.limit ?? MAX_EXPANSION;
  const groups = text.split("{").length - 1;
  if (groups > MAX_GROUPS) {
    throw new MlprofError(`brace expansion: expected at most ${MAX_GROUPS} brace groups, found ${groups}`);
  }
  const raw: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
    else if ((c === "," && depth === 0) || i === text.length) {
      raw.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  let total = 0;
  for (const item of raw) {
    total += item ? expansionCount(item, limit) : 1;
    if (total > limit) {
      throw new MlprofError(
        `brace expansion: expected at most ${limit} names, found more in '${text.length > 60 ? `${text.slice(0, 57)}...` : text}'`,
        "list fewer models or values; a scan of that size is many scans",
      );
    }
  }
  const items: string[] = [];
  for (const item of raw) {
    if (item) items.push(...braceExpand(item));
    else if (opts.keepEmpty) items.push("");
  }
  return items;
}
