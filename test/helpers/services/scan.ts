/** Helpers of the batch tests: read a scan's manifest and list store files. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listFiles } from "../cli.js";

/** The parts of a manifest the tests look at. */
export interface TestManifest {
  jobs: { id: string; state: string; reason?: string; attempts: { batchId: string }[] }[];
  outputs: [string, string][];
}

/** The manifest of scan <name>/v1 in a store. */
export function readManifestOf(store: string, name: string, version = "v1"): TestManifest {
  return JSON.parse(
    readFileSync(join(store, "Scans", name, version, "manifest.json"), "utf8"),
  ) as TestManifest;
}

/** The expected store outputs ([csv, json]) of every measurement of a manifest. */
export function outputsOf(m: TestManifest): [string, string][] {
  return m.outputs;
}

/** Every file of a store, as paths relative to it. */
export function storeFiles(store: string): string[] {
  return listFiles(store);
}
