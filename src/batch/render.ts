import { join } from "node:path";
import nunjucks from "nunjucks";
import { MLP_BASE } from "../paths.js";
import { shq } from "../util/quote.js";
import { classAdString, sbatchPath } from "./values.js";

/** Folder of the Nunjucks templates of job files (submit files, job script, payloads). */
export const TEMPLATE_DIR = join(MLP_BASE, "condor-templates");

let env: nunjucks.Environment | undefined;

/**
 * The template environment: no HTML escaping, undefined variables are errors, block tags leave no
 * blank lines; filters `shq` (POSIX shell quoting), `classad` (a ClassAd string literal) and `sbatchpath`
 * (a path on an #SBATCH line, quoted when it needs it).
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
  env.addFilter("classad", (v: unknown) => classAdString("a submit file value", String(v)));
  env.addFilter("sbatchpath", (v: unknown) => sbatchPath("a path of the Slurm submit script", String(v)));
  return env;
}

/** Renders a template of condor-templates/ with a context. */
export function render(name: string, ctx: object): string {
  return templates().render(name, ctx);
}
