/**
 * The CLI run inside the test process (as bin/mlprof.js runs it), for suites of many quick hostile cases: what
 * it printed and its exit code; and a snapshot of the store to show that a refused run changed nothing.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { listFiles, type CliResult } from "./cli.js";

/** The CLI's entry (src/cli.ts main), imported by the suite once its environment is set. */
export type CliMain = (args: string[]) => Promise<void>;

/**
 * A runner of `main` in this process: console output captured, the exit code read and reset, and `env`
 * set for the one run (restored afterwards).
 */
export function inProcessCli(main: CliMain) {
  return async (args: string[], env: Record<string, string> = {}): Promise<CliResult> => {
    const out: string[] = [];
    const err: string[] = [];
    const { log, error } = console;
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    console.log = (...a: unknown[]) => void out.push(a.join(" "));
    console.error = (...a: unknown[]) => void err.push(a.join(" "));
    process.exitCode = 0;
    try {
      await main(args);
    } finally {
      console.log = log;
      console.error = error;
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { code, signal: null, stdout: out.join("\n"), stderr: err.join("\n") };
  };
}

/** Every file of the store with a hash of its content. */
export function storeSnapshot(store: string): Record<string, string> {
  return Object.fromEntries(
    listFiles(store).map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(store, f)))
        .digest("hex"),
    ]),
  );
}
