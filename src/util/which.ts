/** Finding an executable as a shell does: a path as given, a bare name on PATH. */
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Whether `file` is an executable regular file. */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The executable a command names: a path (holding '/') when it is an executable file, else the first
 * executable `command` in the folders of PATH; undefined when there is none.
 */
export function findExecutable(command: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (command.includes("/")) return isExecutable(command) ? command : undefined;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, command);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}
