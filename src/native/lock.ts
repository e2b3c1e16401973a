import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MlprofError } from "../util/errors.js";

/** Who holds a lock: written into the lock folder. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
  what: string;
}

function readOwner(lockDir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(lockDir, "owner.json"), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Options of withLock. */
export interface LockOptions {
  /** What is being built, for messages. */
  what: string;
  /** Called once when the lock is held by another process and this one waits. */
  progress?: (message: string) => void;
  /** Give up after this many milliseconds of waiting (default 60 minutes). */
  timeoutMs?: number;
  /** Poll interval in milliseconds (default 250). */
  pollMs?: number;
}

/**
 * Runs `fn` while holding an exclusive lock among processes sharing the file system: the lock is the folder
 * `lockDir` (mkdir is atomic), holding owner.json with the owner's pid and host. A lock whose owner process
 * on this host no longer exists is stale and taken over; otherwise the caller waits for it.
 */
export async function withLock<T>(lockDir: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60 * 1000);
  let told = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = readOwner(lockDir);
    if (owner && owner.host === hostname() && !processAlive(owner.pid)) {
      rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (!owner) {
      // the owner may be between mkdir and writing owner.json; a lock without owner for long is stale
      await sleep(opts.pollMs ?? 250);
      if (!readOwner(lockDir)) {
        await sleep(2000);
        if (!readOwner(lockDir)) rmSync(lockDir, { recursive: true, force: true });
      }
      continue;
    }
    if (!told) {
      opts.progress?.(
        `waiting for process ${owner.pid} on ${owner.host} (${owner.what}, since ${owner.since})`,
      );
      told = true;
    }
    if (Date.now() > deadline) {
      throw new MlprofError(
        `timed out waiting for the lock ${lockDir} held by process ${owner.pid} on ${owner.host} (${owner.what})`,
        `remove ${lockDir} if that process no longer runs`,
      );
    }
    await sleep(opts.pollMs ?? 250);
  }
  const owner: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what: opts.what,
  };
  writeFileSync(join(lockDir, "owner.json"), JSON.stringify(owner) + "\n");
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
