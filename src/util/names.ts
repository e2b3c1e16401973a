/**
 * Names that become path components (a version, model, scan, postfix, release, architecture): the one
 * rule they follow, so that no name can leave its folder, hide itself or break a file system.
 */
import { MlprofError } from "./errors.js";

/** What a name that becomes a path component may hold. */
const NAME = /^[A-Za-z0-9_.+-]+$/;

/** The longest name (path components longer than 255 bytes are refused by file systems). */
export const MAX_NAME_LENGTH = 150;

/** What the rule says, for messages. */
const RULE = `a name of letters, digits, '_', '.', '+' or '-', not starting with '.', at most ${MAX_NAME_LENGTH} characters`;

/** A value as messages show it: quoted, control characters (newlines, tabs) escaped, long ones cut. */
export function shownValue(value: string): string {
  const escaped = [...value]
    .map((c) => (c === "\u007f" ? "\\u007f" : c.charCodeAt(0) < 0x20 ? JSON.stringify(c).slice(1, -1) : c))
    .join("");
  return `'${escaped.length > 80 ? `${escaped.slice(0, 77)}...` : escaped}'`;
}

/**
 * The problem of a name that would become a path component, or undefined when it is a valid one: empty,
 * characters outside letters, digits, '_', '.', '+' and '-' (slashes, spaces, newlines), a leading '.'
 * ('.' and '..' leave their folder, other dot names hide among the tool's temporaries), or too long.
 */
export function nameProblem(value: string, maxLength = MAX_NAME_LENGTH): string | undefined {
  if (value === "") return "an empty name";
  if (!NAME.test(value)) {
    const bad = [...value].find((c) => !NAME.test(c))!;
    return `the character ${shownValue(bad)}`;
  }
  if (/^\.+$/.test(value)) return "a name of dots only, which leaves its folder";
  if (value.startsWith(".")) return "a leading '.'";
  if (value.length > maxLength) return `${value.length} characters`;
  return undefined;
}

/** Whether a string is a valid name of a path component (see nameProblem). */
export function isName(value: string): boolean {
  return nameProblem(value) === undefined;
}

/**
 * Checks a name that becomes a path component (a version, model, scan, postfix, release, architecture):
 * the one check every such name passes before a path is built of it. `what` is how the message names it
 * (e.g. "--version"); returns the name.
 */
export function checkName(what: string, value: string, note = ""): string {
  const problem = nameProblem(value);
  if (problem) {
    throw new MlprofError(`${what}: expected ${RULE}${note}, found ${shownValue(value)} (${problem})`);
  }
  return value;
}

/** The edit distance (insertions, deletions, substitutions) of two strings. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to a misspelt word, as yargs recommends a command: within an edit distance of 3
 * (case and '-'/'_' ignored), the closest first; undefined when none is that close.
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(plain(word), plain(candidate));
    if (d <= 3 && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
