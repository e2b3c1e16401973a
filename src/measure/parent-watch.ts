/**
 * The measurement process never outlives the run that started it. The local executor starts it through
 * `setpriv --pdeathsig KILL` where util-linux has it (the kernel then ends it with its parent); beside
 * that, and where setpriv is missing, the process checks between events that its parent is still the one
 * that started it (the timed loop never yields to the event loop, so a timer could not act).
 */

/** The environment variable naming the pid of the process that started the measurement process. */
export const PARENT_PID_ENV = "MLPROF_PARENT_PID";

/**
 * Ends this process at once (SIGKILL, nothing written) when its parent is no longer the process that
 * started it (named by MLPROF_PARENT_PID): the run was killed and this process was reparented. Called
 * outside the clock, between events; does nothing without the variable.
 */
export function endIfOrphaned(env: NodeJS.ProcessEnv = process.env): void {
  const expected = Number(env[PARENT_PID_ENV]);
  if (Number.isInteger(expected) && expected > 0 && process.ppid !== expected)
    process.kill(process.pid, "SIGKILL");
}
