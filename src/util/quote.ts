/** Quotes one word for a POSIX shell (sh, bash; also csh when it holds no '!' or newline). */
export function shq(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_\-.,/:=@+%]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argument vector into a POSIX command line, each word quoted as needed. */
export function shellLine(argv: string[]): string {
  return argv.map(shq).join(" ");
}
