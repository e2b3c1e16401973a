import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execFileSync } from "node:child_process";
import { MLP_BASE } from "./base.js";
import { ensureDir } from "./util/fs.js";

export { MLP_BASE };

/** Data folder: $MLP_DATA, else <MLP_BASE>/data. Holds the store and the tool-managed software. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MLP_DATA || join(MLP_BASE, "data"));
}

/** Root of the task outputs: $MLP_STORE, else <data>/store. */
export function storeRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MLP_STORE || join(dataDir(env), "store"));
}

/** Folder for tool-managed software (venvs, native builds): $MLP_SOFTWARE, else <data>/software. */
export function softwareDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.MLP_SOFTWARE || join(dataDir(env), "software"));
}

/** The store as messages name it, with the environment variable that placed it ("the store (MLP_STORE)"). */
export function storeWhat(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLP_STORE) return "the store (MLP_STORE)";
  return env.MLP_DATA ? "the store (<MLP_DATA>/store)" : "the store";
}

/** The software folder as messages name it, with the environment variable that placed it. */
export function softwareWhat(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MLP_SOFTWARE) return "the folder of tool-managed software (MLP_SOFTWARE)";
  return env.MLP_DATA
    ? "the folder of tool-managed software (<MLP_DATA>/software)"
    : "the folder of tool-managed software";
}

/** The variable a user sets to move a folder that `what` (storeWhat, softwareWhat) names. */
export function variableOf(what: string): string {
  return /MLP_STORE|MLP_SOFTWARE|MLPROF_LOCK_DIR/.exec(what)?.[0] ?? "MLP_DATA";
}

/**
 * The software folder (softwareDir), created when missing, after checking that it can be: one error
 * naming the variable that placed it, the path and the cause (a file, /proc, a read-only file system).
 */
export function ensureSoftwareDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = softwareDir(env);
  const what = softwareWhat(env);
  ensureDir(dir, what, `point ${variableOf(what)} to a writable folder`);
  return dir;
}

let cachedRevision: string | undefined;

/** The project's revision: the git commit of MLP_BASE (suffixed "-dirty" when modified), else the package version. */
export function projectRevision(): string {
  if (cachedRevision !== undefined) return cachedRevision;
  const pkg = JSON.parse(readFileSync(join(MLP_BASE, "package.json"), "utf8")) as { version: string };
  let rev = `v${pkg.version}`;
  if (existsSync(join(MLP_BASE, ".git"))) {
    try {
      const git = (args: string[]) =>
        execFileSync("git", ["-C", MLP_BASE, ...args], {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "ignore"],
        }).trim();
      const commit = git(["rev-parse", "--short=12", "HEAD"]);
      const dirty = git(["status", "--porcelain", "--untracked-files=no"]) !== "";
      rev = `${pkg.version}+${commit}${dirty ? "-dirty" : ""}`;
    } catch {
      // not a git checkout with commits: keep the package version
    }
  }
  cachedRevision = rev;
  return rev;
}
