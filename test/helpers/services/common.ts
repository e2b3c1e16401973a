/**
 * Shared pieces of the loopback services of the batch tests: free ports, bounded waits, daemons
 * started in the foreground (so that their pids are ours) and stopped even when a test fails.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, openSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A started daemon: its process and how to stop it. */
export interface Daemon {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// last resort: a test runner that exits without the after hooks still takes the daemons with it
process.on("exit", () => {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});

/** Whether every command is on PATH (or an absolute path that exists). */
export function haveCommands(commands: string[]): string[] {
  return commands.filter((c) => spawnSync("sh", ["-c", `command -v ${c}`], { stdio: "ignore" }).status !== 0);
}

/** Whether this process runs as root (slurmd and setpriv need it). */
export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** A fresh folder for one service, readable by other users (xrootd runs as nobody). */
export function serviceDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `mlprof-${name}-`));
  chmodSync(dir, 0o755);
  return dir;
}

/** A port: $<envName> when set (to avoid clashes on shared machines), else a free one chosen by the kernel. */
export async function freePort(envName: string): Promise<number> {
  const fixed = Number(process.env[envName] ?? "");
  if (Number.isInteger(fixed) && fixed > 0) return fixed;
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true, at most `timeoutMs`; the error names what was awaited. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 200,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** Whether a TCP port on 127.0.0.1 accepts connections. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Starts a daemon in the foreground with its output in a log file; it is killed when the tests exit. */
export function startDaemon(
  name: string,
  command: string,
  args: string[],
  log: string,
  env?: NodeJS.ProcessEnv,
): Daemon {
  const fd = openSync(log, "a");
  const child = spawn(command, args, { stdio: ["ignore", fd, fd], env: env ?? process.env });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return {
    name,
    child,
    stop: () => stopChild(child),
  };
}

/** Stops a child: SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Fails early with the daemon's log when it exits during start-up. */
export function exitedEarly(d: Daemon): boolean {
  return d.child.exitCode !== null || d.child.signalCode !== null;
}
