/** The names nearest to a misspelt one, for "did you mean" messages. */
import { editDistance } from "./names.js";

/**
 * What to suggest for `word` among `names`: the one name within 2 edits (or differing in case only) when it
 * stands alone there, else the `count` nearest names, nearest first (ties in the order of `names`).
 */
export function nearestNames(word: string, names: readonly string[], count = 3): string[] {
  const ranked = names
    .map((name, i) => ({ name, i, d: editDistance(word.toLowerCase(), name.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.i - y.i);
  const close = ranked.filter((r) => r.d <= 2);
  if (close.length === 1) return [close[0]!.name];
  return ranked.slice(0, count).map((r) => r.name);
}
