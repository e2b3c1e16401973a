/** Executable entry of `mlprof` (bin/mlprof.js imports the compiled file). */
import { main } from "./cli.js";
import { runCommandEndHooks } from "./util/command-end.js";

try {
  await main();
} finally {
  await runCommandEndHooks();
}
