import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";

/** Root of the MLProf installation (the folder holding package.json, examples/, plugins/, templates). */
export const MLP_BASE = resolve(fileURLToPath(new URL("..", import.meta.url)));

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
