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
 * messages; never rejects on a non-zero exit, a signal or a missing command (see the result). Aborting
 * `signal` sends SIGTERM, then SIGKILL after `forceKillAfterMs`; the process is also killed when this one
 * exits first. Node's own child_process: a measurement's parent loads no process library (execa costs
 * about 0.1 s of CPU to import).
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
  const { spawn } = await import("node:child_process");
  const env = opts.extendEnv ? { ...process.env, ...opts.env } : opts.env;
  const child = spawn(file, args, { env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
  const follow = (stream: StreamName) => {
    let pending = "";
    const emit = (line: string) => {
      push(tail, line);
      if (stream === "stderr") push(stderrTail, line);
      opts.onLine?.(line, stream);
    };
    child[stream].setEncoding("utf8");
    child[stream].on("data", (chunk: string) => {
      pending += chunk;
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
  let canceled = false;
  let forceKill: NodeJS.Timeout | undefined;
  const cancel = () => {
    canceled = true;
    child.kill("SIGTERM");
    forceKill = setTimeout(() => child.kill("SIGKILL"), opts.forceKillAfterMs ?? 5000);
  };
  const killOnExit = () => child.kill("SIGKILL");
  if (opts.signal?.aborted) cancel();
  else opts.signal?.addEventListener("abort", cancel, { once: true });
  process.on("exit", killOnExit);
  const ended = await new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    error?: NodeJS.ErrnoException;
  }>((resolve) => {
    let error: NodeJS.ErrnoException | undefined;
    child.on("error", (err: NodeJS.ErrnoException) => {
      error = err;
      // a process that could not start emits no 'close' of its own on every Node version
      if (child.pid === undefined) resolve({ code: null, signal: null, error });
    });
    child.on("close", (code, signal) => resolve({ code, signal, error }));
  }).finally(() => {
    clearTimeout(forceKill);
    opts.signal?.removeEventListener("abort", cancel);
    process.off("exit", killOnExit);
  });
  flushOut();
  flushErr();
  return {
    exitCode: ended.code ?? undefined,
    signal: ended.signal ?? undefined,
    tail,
    stderrTail,
    missing: ended.error?.code === "ENOENT",
    canceled,
  };
}
