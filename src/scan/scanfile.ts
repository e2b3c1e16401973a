/**
 * Reading a scan yaml as the command line reads its flags: every value is the text written in the file
 * (YAML's failsafe schema: `version: 1.10` stays "1.10", `n-calls: 0x14` stays "0x14"), and each goes
 * through the same parameter conversion as a command-line value, so that the file and the flags accept
 * and refuse the same things. The file must be a regular file of at most 1 MiB (a FIFO would block).
 */
import { readFileSync, statSync } from "node:fs";
import { convertParam, type Param } from "../framework/parameters.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { lazyRequire } from "../util/lazy.js";
import { MAX_YAML_ALIASES } from "../util/yaml.js";

/** Loaded on first use (see util/lazy.ts). */
const yaml = lazyRequire<typeof import("yaml")>("yaml");

/** The largest scan file read, in bytes (a scan file has a few hundred). */
export const MAX_SCAN_FILE_BYTES = 1024 * 1024;

/** A plain (unquoted) scalar that YAML's core schema reads as null: the key is left out, as before. */
const PLAIN_NULL = /^(~|null|Null|NULL|)$/;

/** What a file system entry is, for messages. */
function kindOf(st: import("node:fs").Stats): string {
  if (st.isFIFO()) return "a FIFO (named pipe)";
  if (st.isDirectory()) return "a folder";
  if (st.isSocket()) return "a socket";
  if (st.isCharacterDevice() || st.isBlockDevice()) return "a device";
  return "no regular file";
}

/**
 * Checks that a scan file is a regular file (following links) of at most MAX_SCAN_FILE_BYTES before it
 * is opened: a FIFO or a device would block the read or never end.
 */
export function checkScanFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new MlprofError(`scan file ${file} does not exist`);
    throw new MlprofError(`cannot read the scan file ${file}: ${errorMessage(err)}`);
  }
  if (!st.isFile()) throw new MlprofError(`scan file ${file}: expected a regular file, found ${kindOf(st)}`);
  if (st.size > MAX_SCAN_FILE_BYTES) {
    throw new MlprofError(
      `scan file ${file}: expected at most ${MAX_SCAN_FILE_BYTES} bytes, found ${st.size}`,
      "a scan file holds parameters, a few lines",
    );
  }
}

/** The type of a YAML node as messages name it. */
function nodeKind(node: unknown): string {
  const y = yaml();
  return y.isMap(node) ? "a mapping" : y.isSeq(node) ? "a list" : "a value";
}

/**
 * Reads a scan file's mapping with every scalar kept as its text (YAML's failsafe schema): a value is a
 * string, a list of values a list of strings; keys with an empty or null value are left out. Errors name
 * the file (syntax, aliases, a value that is itself a mapping).
 */
export function readScanYaml(file: string): Record<string, string | string[]> {
  checkScanFile(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new MlprofError(`cannot read the scan file ${file}: ${errorMessage(err)}`);
  }
  const y = yaml();
  const doc = y.parseDocument(text, { schema: "failsafe", prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    if (first.code === "MULTIPLE_DOCS") {
      throw new MlprofError(
        `scan file ${file} holds more than one YAML document ('---'): expected one mapping of parameters`,
      );
    }
    throw new MlprofError(`scan file ${file} is not valid YAML: ${first.message}`);
  }
  const root = doc.contents;
  if (!y.isMap(root)) {
    throw new MlprofError(
      `scan file ${file}: expected a mapping of parameters (version, model-files, batch-sizes, ...)`,
    );
  }
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as Record<string, unknown>;
  } catch (err) {
    const message = errorMessage(err);
    if (/alias/i.test(message)) {
      throw new MlprofError(
        `scan file ${file}: its aliases expand to more than ${MAX_YAML_ALIASES} copies (${message})`,
        "write the values out, or use fewer nested aliases",
      );
    }
    throw new MlprofError(`scan file ${file} cannot be read as YAML: ${message}`);
  }
  const out: Record<string, string | string[]> = {};
  for (const pair of root.items) {
    const key = String(y.isScalar(pair.key) ? pair.key.value : pair.key);
    const node = pair.value;
    if (node === null || (y.isScalar(node) && node.type === "PLAIN" && PLAIN_NULL.test(String(node.value))))
      continue;
    const value = data[key];
    const items = Array.isArray(value) ? value : [value];
    if (items.some((v) => typeof v !== "string")) {
      throw new MlprofError(
        `scan file ${file}: '${key}': expected a value or a list of values, found ${nodeKind(y.isAlias(node) ? node.resolve(doc) : node)}${Array.isArray(value) ? " of lists or mappings" : ""}`,
      );
    }
    out[key] = value as string | string[];
  }
  return out;
}

/**
 * Converts the values a scan file gives (those no flag overrides) as the command line converts its own,
 * running each parameter's checks, so that an error names the file: `n-calls: 0x14` is refused as
 * `--n-calls 0x14` is.
 */
export function checkScanFileValues(
  raw: Record<string, unknown>,
  params: readonly Param<unknown>[],
  file: string,
): void {
  const byFlag = new Map(params.map((p) => [p.flag, p]));
  for (const [key, value] of Object.entries(raw)) {
    const def = byFlag.get(key);
    // --batch-extra keeps each list item as one line (submitOptions checks them)
    if (!def || Array.isArray(value)) continue;
    try {
      const converted = convertParam(def, value);
      def.check?.(converted);
    } catch (err) {
      if (!(err instanceof MlprofError)) throw err;
      throw new MlprofError(`scan file ${file}: ${err.message}`, err.hint);
    }
  }
}
