import { join } from "node:path";
import nunjucks from "nunjucks";
import { MLP_BASE } from "../paths.js";
import { shq } from "../util/quote.js";

/** Folder of the Nunjucks templates of job files (submit files, job script, payloads). */
export const TEMPLATE_DIR = join(MLP_BASE, "condor-templates");

let env: nunjucks.Environment | undefined;

/** Quotes a value as an HTCondor submit-file string ("..." with doubled quotes). */
function condorString(value: unknown): string {
  return `"${String(value).replace(/"/g, '""')}"`;
}

/**
 * The template environment: no HTML escaping, undefined variables are errors, block tags leave no
 * blank lines; filters `shq` (POSIX shell quoting) and `condorstr` (submit-file strings).
 */
export function templates(): nunjucks.Environment {
  if (env) return env;
  env = new nunjucks.Environment(new nunjucks.FileSystemLoader(TEMPLATE_DIR, { noCache: false }), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter("shq", (v: unknown) => shq(String(v)));
  env.addFilter("condorstr", condorString);
  return env;
}

/** Renders a template of condor-templates/ with a context. */
export function render(name: string, ctx: object): string {
  return templates().render(name, ctx);
}
