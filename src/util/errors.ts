/** An error meant for the user: printed without a stack trace, with an optional hint and exit status (default 1). */
export class MlprofError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = "MlprofError";
  }
}

/** Returns the message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
