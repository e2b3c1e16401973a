/**
 * Work to do when a command ends, whatever its outcome: closing a browser shared by the command's tasks,
 * for example. Registered where the resource is created; run once by the entry point (src/main.ts).
 */
const hooks: (() => Promise<void>)[] = [];

/** Registers `hook` to run when the command ends. */
export function atCommandEnd(hook: () => Promise<void>): void {
  hooks.push(hook);
}

/** Runs (and forgets) the registered hooks; a failing hook does not stop the others. */
export async function runCommandEndHooks(): Promise<void> {
  for (const hook of hooks.splice(0)) await hook().catch(() => undefined);
}
