/** Reading a JSON file with every problem named with its file. */
import { readFileSync } from "node:fs";
import { MlprofError, errorMessage } from "./errors.js";

/**
 * Reads a JSON file; `what` names it in messages ("measurement metadata"). A file that cannot be read or
 * parsed (empty, cut off by a full disk) is an error naming it and the cause.
 */
export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MlprofError(`cannot read ${what} ${path}: ${errorMessage(err)}`);
  }
  if (text.trim() === "") throw new MlprofError(`${what} ${path} is empty, expected a JSON document`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new MlprofError(`${what} ${path} is not valid JSON (${errorMessage(err)})`);
  }
}
