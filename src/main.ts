/** Executable entry of `mlprof` (bin/mlprof.js imports the compiled file). */
import { trace } from "./util/trace.js";
import { main } from "./cli.js";
import { runCommandEndHooks } from "./util/command-end.js";

trace("cli: modules of the CLI loaded");
try {
  await main();
} finally {
  trace("cli: command done");
  await runCommandEndHooks();
  trace("cli: end hooks done");
}
