import path from "node:path";
import { findExecutable } from "../util/which.js";

/** Environment variables that may point to a browser executable, in order of precedence. */
const ENV_VARS = ["MLPROF_CHROMIUM", "PUPPETEER_EXECUTABLE_PATH", "CHROME_PATH"] as const;

/** Executable names looked up on PATH, in order of preference. */
const COMMANDS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] as const;

/**
 * Finds a Chromium/Chrome executable: the env vars MLPROF_CHROMIUM, PUPPETEER_EXECUTABLE_PATH and
 * CHROME_PATH (a path, or a command name looked up on PATH), then chromium, chromium-browser,
 * google-chrome and google-chrome-stable on PATH. A variable that names no executable is an error (not
 * skipped); without one, throws an Error listing what was tried if none exists.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const pathVar = env["PATH"] ?? "";
  const onPath = `on PATH (${pathVar === "" ? "PATH is empty" : pathVar})`;
  for (const name of ENV_VARS) {
    const value = env[name];
    if (!value) continue;
    const found = findExecutable(value, env);
    if (found) return found;
    // a browser the user named that cannot run is their mistake: say so rather than use another one
    throw new Error(
      `${name}=${value} is not ${value.includes(path.sep) ? "an executable file" : `a command ${onPath}`}; ` +
        `set ${name} to Chromium's path (e.g. /usr/bin/chromium) or unset it to use chromium on PATH`,
    );
  }
  for (const command of COMMANDS) {
    const found = findExecutable(command, env);
    if (found) return found;
  }
  throw new Error(
    `No Chromium/Chrome executable found. Tried: ${COMMANDS.join(", ")} ${onPath}. ` +
      "To render plots, install Debian's chromium: apt-get install chromium, " +
      "or set MLPROF_CHROMIUM=/path/to/chrome",
  );
}
