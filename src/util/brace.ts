/**
 * Expands shell-style braces: "a_{x,y}_b" → ["a_x_b", "a_y_b"]; nested and repeated groups are expanded
 * left to right. A string without a complete brace group is returned unchanged.
 */
export function braceExpand(text: string): string[] {
  const open = text.indexOf("{");
  if (open < 0) return [text];
  // find the matching close brace and the top-level commas inside
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === "," && depth === 1) commas.push(i);
  }
  if (close < 0) return [text];
  const prefix = text.slice(0, open);
  const suffix = text.slice(close + 1);
  if (commas.length === 0) {
    // "{x}" is literal, as in bash
    return braceExpand(suffix).map((s) => prefix + text.slice(open, close + 1) + s);
  }
  const bounds = [open, ...commas, close];
  const alternatives: string[] = [];
  for (let k = 0; k < bounds.length - 1; k++) {
    alternatives.push(text.slice(bounds[k]! + 1, bounds[k + 1]));
  }
  const suffixes = braceExpand(suffix);
  return alternatives.flatMap((alt) => braceExpand(alt).flatMap((a) => suffixes.map((s) => prefix + a + s)));
}

/**
 * Splits a comma-separated list at top-level commas (commas inside braces belong to a brace group),
 * brace-expands each item and drops empty items.
 */
export function splitCsvExpand(text: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === "{") depth++;
    else if (c === "}") depth = Math.max(0, depth - 1);
    else if ((c === "," && depth === 0) || i === text.length) {
      const item = text.slice(start, i).trim();
      if (item) items.push(...braceExpand(item));
      start = i + 1;
    }
  }
  return items;
}
