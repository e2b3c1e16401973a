/** Interrupts of a command: SIGINT and SIGTERM abort its work and set the exit status a shell reports. */

/** The exit status of an interrupt: 128 + the signal's number. */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Runs `fn` with an abort signal that SIGINT and SIGTERM trigger, setting the exit status to 130 or 143;
 * the handlers are removed when `fn` ends.
 */
export async function withInterrupts<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.exitCode = SIGNAL_EXIT[signal] ?? 130;
    controller.abort();
  };
  // `on`, not `once`: execa's signal-exit re-raises a signal that no other listener handles
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
