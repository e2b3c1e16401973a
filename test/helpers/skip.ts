/**
 * The one way the tests skip: a prerequisite check gives a reason (or false), and the suite or test
 * is handed to the runner's own skip with that reason, so that the run counts it under "skipped" and
 * the reporter of `npm test` (test/helpers/reporter.ts) lists it at the end. A test never returns
 * early or passes when its prerequisite is missing.
 *
 * $MLPROF_TEST_WITHOUT (comma-separated: root, slurm, sshd, xrootd, chromium, mount) treats those
 * prerequisites as missing, to see the skip paths on a machine that has everything.
 */
import { relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { findChromium } from "../../src/plot/chromium.js";
import { haveCommands, isRoot } from "./services/common.js";

/** Why a suite or test cannot run here, or false when it can. */
export type Skip = string | false;

/** The prerequisites that can be withheld with $MLPROF_TEST_WITHOUT. */
export type Prerequisite = "root" | "slurm" | "sshd" | "xrootd" | "chromium" | "mount";

/** Whether $MLPROF_TEST_WITHOUT names the prerequisite. */
export function withheld(what: Prerequisite): boolean {
  const names = (process.env.MLPROF_TEST_WITHOUT ?? "").split(",").map((n) => n.trim().toLowerCase());
  return names.includes(what);
}

const withheldReason = (what: Prerequisite) => `${what} withheld by MLPROF_TEST_WITHOUT`;

/**
 * False when this process runs as root, else the reason naming what needs root; `also` is a
 * prerequisite that $MLPROF_TEST_WITHOUT may withhold besides root.
 */
export function needRoot(what: string, also?: Prerequisite): Skip {
  for (const p of also ? (["root", also] as const) : (["root"] as const)) {
    if (withheld(p)) return withheldReason(p);
  }
  return isRoot() ? false : `${what} needs root; run the tests as root, as CI does`;
}

/** False when all commands of the prerequisite are on PATH, else a reason naming the missing ones and how to install them. */
export function needCommands(what: Prerequisite, commands: string[], install: string): Skip {
  if (withheld(what)) return withheldReason(what);
  const missing = haveCommands(commands);
  return missing.length ? `${what}: ${missing.join(", ")} missing (${install}, or ./setup.sh --test)` : false;
}

/** False when `available` holds, else `reason` (also when $MLPROF_TEST_WITHOUT withholds the prerequisite). */
export function need(what: Prerequisite, available: () => boolean, reason: string): Skip {
  if (withheld(what)) return withheldReason(what);
  return available() ? false : reason;
}

/** Chromium for the tests that drive it: its path, or why they are skipped. */
export function chromiumOrSkip(): { path: string; skip: false } | { path: undefined; skip: string } {
  if (withheld("chromium")) return { path: undefined, skip: withheldReason("chromium") };
  try {
    return { path: findChromium(), skip: false };
  } catch (err) {
    return { path: undefined, skip: `no Chromium found (${(err as Error).message.split("\n")[0]})` };
  }
}

/** The first reason among the checks (evaluated in order, stopping at the first), or false when all pass. */
export function firstSkip(...checks: (() => Skip)[]): Skip {
  for (const check of checks) {
    const skip = check();
    if (skip) return skip;
  }
  return false;
}

/**
 * A suite that runs when `skip` is false. Otherwise it is one skipped test of the suite's name with
 * the reason: Node's runner does not count a skipped describe() under "skipped", a skipped test it does.
 */
export function describeUnless(skip: Skip, name: string, fn: () => void): void {
  // the runner locates a test where test() is called, here: the name carries the suite's file
  if (skip) test(`${name} (whole suite, ${callerFile()})`, { skip }, () => {});
  else describe(name, fn);
}

/** The file (relative to the working directory) of the function that called the caller of this one. */
function callerFile(): string {
  const frame = new Error().stack?.split("\n")[3] ?? "";
  const file = /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(frame)?.[1];
  if (!file) return "unknown file";
  return relative(process.cwd(), file.startsWith("file:") ? fileURLToPath(file) : file);
}
