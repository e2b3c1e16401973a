/**
 * Phase timestamps for profiling the tool itself. With MLPROF_TRACE set, every process of a run (the CLI
 * and its measurement processes, which inherit the variable) writes lines `mlprof-trace <epoch ms> <pid>
 * <phase>`: MLPROF_TRACE=1 to stderr (the CLI's only: a measurement process's stderr goes to its parent),
 * MLPROF_TRACE=<file> appended to that file by every process. scripts/profile-quickstart.ts turns them into
 * a breakdown. Off, a call is one test of a constant. The first import of this module in a process also
 * reports the process's start (Node's own time origin) and the end of Node's bootstrap.
 */
import { openSync, writeSync } from "node:fs";
import { performance } from "node:perf_hooks";

const setting = process.env.MLPROF_TRACE ?? "";

/** Whether MLPROF_TRACE asks for phase timestamps. */
export const TRACING = setting !== "" && setting !== "0";

/** Where the lines go: stderr, or the file MLPROF_TRACE names (opened for appending on the first line). */
let fd: number | undefined = TRACING && setting === "1" ? 2 : undefined;

/** Writes one phase timestamp (a blocking write: the line is out before the next phase begins). */
export function trace(phase: string, at: number = performance.timeOrigin + performance.now()): void {
  if (!TRACING) return;
  try {
    fd ??= openSync(setting, "a");
    writeSync(fd, `mlprof-trace ${at.toFixed(2)} ${process.pid} ${phase}\n`);
  } catch {
    // an unwritable trace file or a closed stderr: tracing is best effort
  }
}

if (TRACING) {
  const origin = performance.timeOrigin;
  trace("process: start", origin);
  trace("process: node bootstrap done", origin + performance.nodeTiming.bootstrapComplete);
  trace("process: first module of mlprof evaluated");
}
