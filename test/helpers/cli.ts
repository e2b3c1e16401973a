/** Helpers of the end-to-end tests: a throw-away data folder per test and the built `mlprof` command. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The repository root. */
export const REPO = resolve(import.meta.dirname, "..", "..");
/** Example and fixture model files. */
export const EXAMPLES = join(REPO, "examples");
export const FIXTURES = join(REPO, "test", "fixtures");

/** A fresh data folder (store and software) for one test; `cleanup` removes it. */
export function tempData(): { dir: string; store: string; env: NodeJS.ProcessEnv; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "mlprof-test-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    MLP_DATA: dir,
    MLP_STORE: "",
    MLPROF_PROGRESS: "plain",
    FORCE_COLOR: "0",
  };
  return {
    dir,
    store: join(dir, "store"),
    env,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Result of one `mlprof` invocation. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `mlprof` (bin/mlprof.js → dist/) with arguments in an environment; resolves when it exits. */
export function mlprof(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(REPO, "bin", "mlprof.js"), ...args], { env, cwd: REPO });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(stdout, (s) => child.kill(s));
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** Every file below a folder (relative paths), empty when the folder does not exist. */
export function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, join(rel, name));
      else out.push(join(rel, name));
    }
  };
  walk(dir, "");
  return out.sort();
}
