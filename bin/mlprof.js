#!/usr/bin/env node
// Entry point of the `mlprof` command: runs the compiled CLI (built by `npm run build`, also on `npm ci`).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/main.js", import.meta.url));
if (!existsSync(cli)) {
  console.error("mlprof: dist/main.js is missing; run `npm run build` (npm ci does it) first.");
  process.exit(2);
}
await import(cli);
