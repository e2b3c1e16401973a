/** The names nearest to a misspelt one, for "did you mean" messages. */

/** Levenshtein distance of two strings, case-insensitive (insertions, deletions and substitutions cost 1). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const row = [i];
    for (let j = 1; j <= t.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[t.length]!;
}

/**
 * What to suggest for `word` among `names`: the one name within 2 edits (or differing in case only) when it
 * stands alone there, else the `count` nearest names, nearest first (ties in the order of `names`).
 */
export function nearestNames(word: string, names: readonly string[], count = 3): string[] {
  const ranked = names
    .map((name, i) => ({ name, i, d: editDistance(word, name) }))
    .sort((x, y) => x.d - y.d || x.i - y.i);
  const close = ranked.filter((r) => r.d <= 2);
  if (close.length === 1) return [close[0]!.name];
  return ranked.slice(0, count).map((r) => r.name);
}
