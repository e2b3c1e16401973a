import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MlprofError } from "../util/errors.js";

/** Who holds a lock: written into the lock folder. */
export interface LockOwner {
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

const sameOwner = (a: LockOwner | undefined, b: LockOwner) =>
  a?.pid === b.pid && a.host === b.host && a.since === b.since;

/** Tries to create the lock atomically, owner included: a prepared folder renamed onto `lockDir`. */
function tryAcquire(lockDir: string, owner: LockOwner): boolean {
  const prepared = `${lockDir}.new-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  mkdirSync(prepared);
  writeFileSync(join(prepared, "owner.json"), JSON.stringify(owner) + "\n");
  try {
    renameSync(prepared, lockDir);
    return true;
  } catch (err) {
    rmSync(prepared, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOTEMPTY" || code === "EEXIST") return false;
    throw err;
  }
}

/**
 * Takes a stale lock out of the way: renames it aside (atomic), and puts it back if it turns out not to be
 * the stale one judged (another process took it over in between).
 */
function removeStale(lockDir: string, stale: LockOwner | undefined): void {
  const aside = `${lockDir}.stale-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    renameSync(lockDir, aside);
  } catch {
    return; // already gone
  }
  const moved = readOwner(aside);
  if (stale === undefined ? moved === undefined : sameOwner(moved, stale)) {
    rmSync(aside, { recursive: true, force: true });
    return;
  }
  try {
    renameSync(aside, lockDir);
  } catch {
    rmSync(aside, { recursive: true, force: true });
  }
}

/** A lock held by a live process, refused because the caller did not want to wait. */
export class LockBusyError extends MlprofError {
  constructor(
    readonly lockDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `${owner.what} is in progress: process ${owner.pid} on ${owner.host} holds ${lockDir} since ${owner.since}`,
      owner.host === hostname()
        ? "wait for it to end"
        : `remove ${lockDir} if that process on ${owner.host} no longer runs`,
    );
    this.name = "LockBusyError";
  }
}

/**
 * Takes an exclusive lock among processes sharing the file system and returns its release function: the
 * lock is the folder `lockDir`, created atomically with owner.json (the owner's pid and host) inside. A
 * lock whose owner process on this host no longer exists is stale and taken over; otherwise the caller
 * waits for it (with `wait: false` it throws LockBusyError instead).
 */
export async function acquireLock(
  lockDir: string,
  opts: LockOptions & { wait?: boolean },
): Promise<() => void> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60 * 1000);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what: opts.what,
  };
  let told = false;
  while (!tryAcquire(lockDir, me)) {
    const owner = readOwner(lockDir);
    if (owner && owner.host === hostname() && !processAlive(owner.pid)) {
      removeStale(lockDir, owner);
      continue;
    }
    if (!owner) {
      // a lock folder without owner (left by an older version or a crash): stale when it stays so
      await sleep(2000);
      if (!readOwner(lockDir)) removeStale(lockDir, undefined);
      continue;
    }
    if (opts.wait === false) throw new LockBusyError(lockDir, owner);
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
  // release only a lock that is still ours
  return () => {
    if (sameOwner(readOwner(lockDir), me)) rmSync(lockDir, { recursive: true, force: true });
  };
}

/** Runs `fn` while holding the lock `lockDir` (see acquireLock), waiting for another holder. */
export async function withLock<T>(lockDir: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(lockDir, opts);
  try {
    return await fn();
  } finally {
    release();
  }
}
