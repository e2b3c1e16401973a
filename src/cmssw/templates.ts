/** The Nunjucks environment of cmssw-templates/ (cmsRun configs and CMSSW shell scripts). */
import { join } from "node:path";
import type Nunjucks from "nunjucks";
import { lazyRequire } from "../util/lazy.js";
import { MLP_BASE } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { shq } from "../util/quote.js";

/** Loaded on first use (see util/lazy.ts). */
const nunjucks = lazyRequire<typeof Nunjucks>("nunjucks");

/** Folder of the Nunjucks templates of cmsRun configs and CMSSW scripts. */
export const CMSSW_TEMPLATE_DIR = join(MLP_BASE, "cmssw-templates");

/** A Python float literal of a number (always with a decimal point or exponent, as cms.double wants). */
export function pyFloat(value: unknown): string {
  const text = pyLiteral(Number(value));
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

/** A Python literal of a value (strings as JSON string literals, which Python reads alike). */
export function pyLiteral(value: unknown): string {
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new MlprofError(`cannot write ${value} into a cmsRun config`);
    return String(value);
  }
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pyLiteral).join(", ")}]`;
  throw new MlprofError(`cannot write ${String(value)} into a cmsRun config`);
}

let templateEnv: Nunjucks.Environment | undefined;

/**
 * The template environment of cmssw-templates/: no escaping, undefined variables are errors; filters
 * `py` (a Python literal), `pyargs` (list items as comma-separated literals), `pyfloat` and `pyfloats`
 * (the same as float literals), `shq` (shell quoting) and `comment` (a single line for comments).
 */
function templates(): Nunjucks.Environment {
  if (templateEnv) return templateEnv;
  templateEnv = new (nunjucks().Environment)(new (nunjucks().FileSystemLoader)(CMSSW_TEMPLATE_DIR), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  templateEnv.addFilter("py", pyLiteral);
  templateEnv.addFilter("pyargs", (v: unknown[]) => v.map(pyLiteral).join(", "));
  templateEnv.addFilter("pyfloat", pyFloat);
  templateEnv.addFilter("pyfloats", (v: unknown[]) => v.map(pyFloat).join(", "));
  templateEnv.addFilter("shq", (v: unknown) => shq(String(v)));
  templateEnv.addFilter("comment", (v: unknown) => String(v).replace(/[\r\n]+/g, " "));
  return templateEnv;
}

/** Renders a template of cmssw-templates/ with a context. */
export function renderCmsswTemplate(name: string, context: object): string {
  return templates().render(name, context);
}
