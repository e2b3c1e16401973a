import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Root of the MLProf installation (the folder holding package.json, examples/, plugins/, templates). A module
 * of its own, so that a measurement process can find its engine without loading the store's helpers.
 */
export const MLP_BASE = resolve(fileURLToPath(new URL("..", import.meta.url)));
