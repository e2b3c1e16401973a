/**
 * Work that must end before timed work starts on this host: a browser kept open for the next plot of the
 * command, for example, must not idle beside a measurement. Registered where the resource is created; run by
 * the host-wide lock of timed work (util/lock.ts withMeasurementLock) once it is held, before the
 * measurement starts.
 */
const hooks = new Set<() => Promise<void>>();

/** Registers `hook` (once, however often called) to run before every timed measurement of this process. */
export function beforeTimedWork(hook: () => Promise<void>): void {
  hooks.add(hook);
}

/** Runs the registered hooks (they stay registered); a failing hook does not stop the others. */
export async function runBeforeTimedWork(): Promise<void> {
  for (const hook of hooks) await hook().catch(() => undefined);
}
