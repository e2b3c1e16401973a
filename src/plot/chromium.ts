import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

/** Environment variables that may point to a browser executable, in order of precedence. */
const ENV_VARS = ["MLPROF_CHROMIUM", "PUPPETEER_EXECUTABLE_PATH", "CHROME_PATH"] as const;

/** Executable names looked up on PATH, in order of preference. */
const COMMANDS = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] as const;

/** Whether `file` is an executable regular file. */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Resolves a command name on the given PATH, or returns undefined. */
function onPath(command: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Finds a Chromium/Chrome executable: the env vars MLPROF_CHROMIUM, PUPPETEER_EXECUTABLE_PATH and
 * CHROME_PATH (a path, or a command name looked up on PATH), then chromium, chromium-browser,
 * google-chrome and google-chrome-stable on PATH. A variable that names no executable is an error (not skipped);
 * without one, throws an Error listing what was tried if none exists.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const pathVar = env["PATH"] ?? "";
  const tried: string[] = [];
  for (const name of ENV_VARS) {
    const value = env[name];
    if (!value) continue;
    const found = value.includes(path.sep)
      ? isExecutable(value)
        ? value
        : undefined
      : onPath(value, pathVar);
    if (found) return found;
    // a browser the user named that cannot run is their mistake: say so rather than use another one
    throw new Error(
      `${name}=${value} is not ${value.includes(path.sep) ? "an executable file" : `a command on PATH (${pathVar === "" ? "PATH is empty" : pathVar})`}; ` +
        `set ${name} to Chromium's path (e.g. /usr/bin/chromium) or unset it to use chromium on PATH`,
    );
  }
  for (const command of COMMANDS) {
    const found = onPath(command, pathVar);
    if (found) return found;
  }
  tried.push(`${COMMANDS.join(", ")} on PATH (${pathVar === "" ? "PATH is empty" : pathVar})`);
  throw new Error(
    `No Chromium/Chrome executable found. Tried: ${tried.join("; ")}. ` +
      "To render plots, install Debian's chromium: apt-get install chromium, " +
      "or set MLPROF_CHROMIUM=/path/to/chrome",
  );
}
