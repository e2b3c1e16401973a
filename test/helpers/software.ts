/** Helpers of the tests that need the tool-managed software (TensorFlow venv, native builds) and dist/. */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO } from "./cli.js";

/**
 * Shares the tool-managed software between test files: $MLP_SOFTWARE when set, else
 * <tmp>/mlprof-test-software. Where the local wheel index /opt/pypi/simple exists and no index is
 * configured, PIP_INDEX_URL points to it (pip's default index is unreachable on such machines).
 */
export function useSharedTestSoftware(): void {
  process.env.MLP_SOFTWARE ||= join(tmpdir(), "mlprof-test-software");
  if (existsSync("/opt/pypi/simple") && !process.env.PIP_INDEX_URL && !process.env.MLPROF_PIP_INDEX_URL) {
    process.env.PIP_INDEX_URL = "file:///opt/pypi/simple";
  }
}

/** Builds dist/ when it is missing or older than a source file (the CLI tests run bin/mlprof.js). */
export function ensureBuilt(): void {
  const cli = join(REPO, "dist", "cli.js");
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir).map((n) => {
        const p = join(dir, n);
        return statSync(p).isDirectory() ? newest(p) : statSync(p).mtimeMs;
      }),
    );
  if (!existsSync(cli) || newest(join(REPO, "src")) > statSync(cli).mtimeMs) {
    execFileSync(
      process.execPath,
      [join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
      {
        cwd: REPO,
        stdio: "inherit",
      },
    );
  }
}
