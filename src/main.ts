/** Executable entry of `mlprof` (bin/mlprof.js imports the compiled file). */
import { main } from "./cli.js";

await main();
