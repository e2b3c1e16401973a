/**
 * Preloaded by tests with `--import` (through NODE_OPTIONS, so that child processes have it too): appends
 * the absolute path of every module the process loads to `$MLPROF_MODULE_LOG.<pid>`, one a line — ES
 * modules as the loader loads them, CommonJS modules (require.cache, also those loaded by createRequire)
 * when the process exits.
 */
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { fileURLToPath } from "node:url";

const log = `${process.env.MLPROF_MODULE_LOG}.${process.pid}`;
const hooks = `
import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function load(url, context, next) {
  if (url.startsWith("file:")) appendFileSync(log, decodeURIComponent(new URL(url).pathname) + "\\n");
  return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, { data: { log } });
process.on("exit", () => {
  const cache = createRequire(fileURLToPath(import.meta.url)).cache;
  appendFileSync(
    log,
    Object.keys(cache)
      .map((p) => `${p}\n`)
      .join(""),
  );
});
