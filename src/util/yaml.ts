/** Reading a yaml file with every problem named with its file: syntax, aliases, size. */
import { readFileSync } from "node:fs";
import { lazyRequire } from "./lazy.js";
import { MlprofError, errorMessage } from "./errors.js";

/** Loaded on first use (see util/lazy.ts). */
const yaml = lazyRequire<typeof import("yaml")>("yaml");

/**
 * The most alias resolutions a file may need: an "alias bomb" (aliases of aliases, each doubling the
 * data) is refused long before it costs memory, while real model and scan files use a few.
 */
export const MAX_YAML_ALIASES = 100;
/** The largest yaml file read, in characters (a model or scan file has a few thousand). */
const MAX_YAML_CHARS = 1024 * 1024;

/**
 * Reads and parses a yaml file; `what` names it in messages ("model file"). A file that cannot be read,
 * is too large, is not valid YAML or expands too many aliases is an error naming it.
 */
export function readYamlFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new MlprofError(`cannot read the ${what} ${path}: ${errorMessage(err)}`);
  }
  if (text.length > MAX_YAML_CHARS) {
    throw new MlprofError(
      `${what} ${path}: expected at most ${MAX_YAML_CHARS} characters, found ${text.length}`,
    );
  }
  const doc = yaml().parseDocument(text, { prettyErrors: true });
  if (doc.errors.some((e) => e.code === "MULTIPLE_DOCS")) {
    const count = yaml().parseAllDocuments(text).length;
    throw new MlprofError(
      `the ${what} ${path} holds ${count} YAML documents (separated by '---'); expected one`,
    );
  }
  if (doc.errors.length > 0) {
    throw new MlprofError(`${what} ${path} is not valid YAML: ${doc.errors[0]!.message}`);
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
  } catch (err) {
    const message = errorMessage(err);
    if (/alias/i.test(message)) {
      throw new MlprofError(
        `${what} ${path}: its aliases expand to more than ${MAX_YAML_ALIASES} copies (${message})`,
        "write the values out, or use fewer nested aliases",
      );
    }
    throw new MlprofError(`${what} ${path} cannot be read as YAML: ${message}`);
  }
}
