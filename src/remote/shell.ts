import { copyFile, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { execa } from "execa";
import { MlprofError } from "../util/errors.js";
import { tmpSibling } from "../util/fs.js";
import { shellLine } from "../util/quote.js";

/** Options of one command. */
export interface ExecOptions {
  /** Variables added to the environment of the command (e.g. SLURM_CONF). */
  env?: Record<string, string>;
  /** Working directory on the machine that runs the command. */
  cwd?: string;
  /** Upper bound of the command's run time; default 120 s. */
  timeoutMs?: number;
}

/** What a command returned; a non-zero exit code is a result, not an error. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Where batch commands run and job folders live: this machine or a login node over SSH. Commands
 * are argument vectors; file transfers are whole files.
 */
export interface Shell {
  /** Short description for messages, e.g. "localhost" or "ssh root@127.0.0.1:2222". */
  readonly label: string;
  /** Runs a command; rejects only when it cannot be run or times out. */
  exec(argv: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Writes a file (through a temporary sibling and a rename), creating its folder. */
  putFile(path: string, content: string | Buffer, mode?: number): Promise<void>;
  /** Copies a local file to `path` on the shell's machine, creating its folder. */
  putLocalFile(localPath: string, path: string): Promise<void>;
  /** Copies `path` on the shell's machine to a local file. */
  getFile(path: string, localPath: string): Promise<void>;
  /** Releases the connection. */
  close(): Promise<void>;
}

export const DEFAULT_EXEC_TIMEOUT_MS = 120_000;

/** Runs a command and returns its stdout; a non-zero exit becomes a clear error naming `what`. */
export async function execOrThrow(
  shell: Shell,
  argv: string[],
  what: string,
  opts: ExecOptions = {},
): Promise<string> {
  const res = await shell.exec(argv, opts);
  if (res.exitCode !== 0) {
    const detail = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-5).join("\n");
    throw new MlprofError(
      `${what} failed on ${shell.label} (exit code ${res.exitCode}): ${shellLine(argv)}${detail ? `\n${detail}` : ""}`,
    );
  }
  return res.stdout;
}

/** Commands and files on this machine, through execa and node:fs. */
export class LocalShell implements Shell {
  readonly label = "localhost";

  async exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error("empty command");
    const res = await execa(file, args, {
      env: opts.env,
      cwd: opts.cwd,
      timeout: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
      reject: false,
      stdin: "ignore",
    });
    if (res.timedOut) {
      throw new MlprofError(
        `${shellLine(argv)} did not finish within ${(opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS) / 1000} s`,
      );
    }
    if (res.code === "ENOENT") {
      return { exitCode: 127, stdout: "", stderr: `${file}: command not found` };
    }
    return { exitCode: res.exitCode ?? 1, stdout: String(res.stdout), stderr: String(res.stderr) };
  }

  async putFile(path: string, content: string | Buffer, mode?: number): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = tmpSibling(path);
    try {
      await writeFile(tmp, content, mode === undefined ? undefined : { mode });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async putLocalFile(localPath: string, path: string): Promise<void> {
    if (localPath === path) return;
    await mkdir(dirname(path), { recursive: true });
    await copyFile(localPath, path);
  }

  async getFile(path: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    await copyFile(path, localPath);
  }

  async close(): Promise<void> {}
}
