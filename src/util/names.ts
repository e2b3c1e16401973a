import { MlprofError } from "./errors.js";

/** What a name that becomes a path component may hold. */
const NAME = /^[A-Za-z0-9_.+-]+$/;

/** Whether a string is a valid name of a path component (letters, digits, '_', '.', '+', '-'). */
export function isName(value: string): boolean {
  return NAME.test(value);
}

/**
 * Checks a name that becomes a path component (a version, model, scan, postfix): letters, digits, '_',
 * '.', '+' or '-'. `what` is how the message names it (e.g. "--version").
 */
export function checkName(what: string, value: string, note = ""): string {
  if (!NAME.test(value)) {
    throw new MlprofError(
      `${what}: expected a name of letters, digits, '_', '.', '+' or '-'${note}, found '${value}'`,
    );
  }
  return value;
}
