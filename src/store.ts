import { join } from "node:path";
import { storeRoot } from "./paths.js";
import { shortHash } from "./util/hash.js";

/** Longest path component written as is; longer ones are shortened with a hash. */
const MAX_PART = 180;

/** Shortens a path component that is too long for a file system, keeping it unique with a hash. */
export function safePart(part: string): string {
  const clean = part.replace(/[/\\\0]/g, "_");
  if (clean.length <= MAX_PART) return clean;
  return `${clean.slice(0, MAX_PART - 12)}__${shortHash(clean, 10)}`;
}

/** The CMSSW component of output paths: <release>__<arch> (lists joined with '_'). */
export function cmsswPart(versions: string[], archs: string[]): string {
  return `${versions.join("_")}__${archs.join("_")}`;
}

/**
 * Output directory of a task: <store>/<Task>/<cmssw>__<arch>/<model identifier>__<run parameters>/<version>/,
 * the spec's layout.
 */
export function taskDir(family: string, cmssw: string, modelAndRun: string, version: string): string {
  return join(storeRoot(), family, safePart(cmssw), safePart(modelAndRun), safePart(version));
}
