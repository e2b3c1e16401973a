import { execa } from "execa";

/** How a logged command ended. */
export interface LoggedRun {
  exitCode: number | undefined;
  /** The last output lines (stdout and stderr interleaved). */
  tail: string[];
  /** The command was not found. */
  missing: boolean;
}

/**
 * Runs a command without a shell, handing each output line (stdout and stderr) to `onLine` as it comes and
 * keeping the last `keep` lines for error messages; never rejects on a non-zero exit.
 */
export async function runLogged(
  file: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string; onLine?: (line: string) => void; keep?: number },
): Promise<LoggedRun> {
  const keep = opts.keep ?? 40;
  const tail: string[] = [];
  const collect = function* (line: unknown) {
    const text = String(line).trimEnd();
    tail.push(text);
    if (tail.length > keep) tail.shift();
    opts.onLine?.(text);
    yield text;
  };
  const result = await execa(file, args, {
    env: opts.env,
    extendEnv: false,
    cwd: opts.cwd,
    reject: false,
    stdin: "ignore",
    stdout: collect,
    stderr: collect,
    buffer: false,
  });
  return { exitCode: result.exitCode, tail, missing: (result as { code?: string }).code === "ENOENT" };
}
