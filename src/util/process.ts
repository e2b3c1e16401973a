/** One helper for child processes whose output is followed line by line (builds, pip, cmsRun, measurements). */

/** Which stream a line came from. */
export type StreamName = "stdout" | "stderr";

/** Options of runStreaming. */
export interface StreamOptions {
  env?: NodeJS.ProcessEnv;
  /** Add process.env to `env` (default false: `env` is the whole environment). */
  extendEnv?: boolean;
  cwd?: string;
  /** Aborting it kills the process (SIGTERM, then SIGKILL after `forceKillAfterMs`). */
  signal?: AbortSignal;
  forceKillAfterMs?: number;
  /** Called with every complete output line (trailing white space removed) as it arrives. */
  onLine?: (line: string, stream: StreamName) => void;
  /** How many of the last lines to keep for messages (default 60). */
  keep?: number;
  /** Called with the process id once the process has started (e.g. to watch its memory). */
  onSpawn?: (pid: number) => void;
}

/** How a followed process ended. */
export interface StreamResult {
  exitCode: number | undefined;
  /** The signal that ended it, if one did. */
  signal: string | undefined;
  /** The last `keep` lines of stdout and stderr, interleaved as they came. */
  tail: string[];
  /** The last `keep` lines of stderr alone. */
  stderrTail: string[];
  /** The command was not found. */
  missing: boolean;
  /** The process was stopped through `signal`. */
  canceled: boolean;
}

/**
 * Runs a command without a shell and follows its output line by line, keeping the last lines for error
 * messages; never rejects on a non-zero exit, a signal or a missing command (see the result).
 */
export async function runStreaming(
  file: string,
  args: string[],
  opts: StreamOptions = {},
): Promise<StreamResult> {
  const keep = opts.keep ?? 60;
  const tail: string[] = [];
  const stderrTail: string[] = [];
  const push = (list: string[], line: string) => {
    list.push(line);
    if (list.length > keep) list.shift();
  };
  const { execa } = await import("execa");
  const child = execa(file, args, {
    env: opts.env,
    extendEnv: opts.extendEnv ?? false,
    cwd: opts.cwd,
    reject: false,
    stdin: "ignore",
    buffer: false,
    cancelSignal: opts.signal,
    forceKillAfterDelay: opts.forceKillAfterMs ?? 5000,
  });
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  const follow = (stream: StreamName) => {
    let pending = "";
    const emit = (line: string) => {
      push(tail, line);
      if (stream === "stderr") push(stderrTail, line);
      opts.onLine?.(line, stream);
    };
    child[stream]?.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        emit(pending.slice(0, nl).trimEnd());
        pending = pending.slice(nl + 1);
      }
    });
    return () => {
      if (pending.trim()) emit(pending.trimEnd());
      pending = "";
    };
  };
  if (child.pid !== undefined) opts.onSpawn?.(child.pid);
  const flushOut = follow("stdout");
  const flushErr = follow("stderr");
  const result = await child;
  flushOut();
  flushErr();
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    tail,
    stderrTail,
    missing: (result as { code?: string }).code === "ENOENT",
    canceled: Boolean(result.isCanceled),
  };
}
