/**
 * Libraries loaded on first use, so that a command's start (and its --help) does not pay for the libraries
 * of work it does not do: `await import()` in async code, `lazyRequire` for the CommonJS entry points of
 * libraries used in synchronous code.
 */
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** A getter of a package's CommonJS export, required on the first call. */
export function lazyRequire<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}
