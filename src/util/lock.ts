import {
  chmodSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { MlprofError } from "../util/errors.js";
import { runBeforeTimedWork } from "./before-timing.js";
import { ensureDir, makeDirs } from "./fs.js";
import { ownerTag, ownStartTime, processAlive as alive, processStartTime } from "./procs.js";

/** Who holds a lock: written into the lock folder. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
  what: string;
  /** The owner's process start time (absent in locks of older versions): a reused pid is not the owner. */
  start?: string;
  /**
   * The process that times under the lock (the measurement process the owner started), named once it
   * runs: the lock stays taken while it lives, also when the owner has died.
   */
  timing?: { pid: number; start?: string };
}

function readOwner(lockDir: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(join(lockDir, "owner.json"), "utf8")) as LockOwner;
  } catch {
    return undefined;
  }
}

/** The identity (device and inode) of a folder, or undefined when there is none. */
function folderId(dir: string): string | undefined {
  const st = statSync(dir, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : undefined;
}

/**
 * Whether the owner of a lock of this host, or the timing process it named, still runs (the same process,
 * not one that reused its pid).
 */
function ownerAlive(owner: LockOwner): boolean {
  return (
    alive(owner.pid, owner.start) ||
    (owner.timing !== undefined && alive(owner.timing.pid, owner.timing.start))
  );
}

/**
 * Who holds a lock, in words: "process 12 on host", and the timing process it named ("(its measurement
 * process 34)", or "(ended; its measurement process 34 still runs)" when the owner died).
 */
function holder(owner: LockOwner): string {
  const who = `process ${owner.pid} on ${owner.host}`;
  if (!owner.timing) return who;
  const t = owner.timing;
  if (owner.host === hostname() && !alive(owner.pid, owner.start))
    return `${who} (ended; its measurement process ${t.pid} still runs)`;
  return `${who} (its measurement process ${t.pid})`;
}

/** Options of withLock. */
export interface LockOptions {
  /** What is being built, for messages. */
  what: string;
  /** Called once when the lock is held by another process and this one waits. */
  progress?: (message: string) => void;
  /** Give up after this many milliseconds of waiting (default 60 minutes; Infinity: never). */
  timeoutMs?: number;
  /** Poll interval in milliseconds (default 250). */
  pollMs?: number;
  /** Aborting it ends the wait with an error ("interrupted while waiting"). */
  signal?: AbortSignal;
  /** false: throw LockBusyError instead of waiting for a live holder (default true). */
  wait?: boolean;
}

const sameOwner = (a: LockOwner | undefined, b: LockOwner) =>
  a?.pid === b.pid && a.host === b.host && a.since === b.since;

/** A name beside `lockDir` for a step of taking it: `<lock>.<what>-<owner tag>-<random>`. */
function besideLock(lockDir: string, what: string): string {
  return `${lockDir}.${what}-${ownerTag()}-${Math.random().toString(36).slice(2, 8).padEnd(6, "0")}`;
}

/** Tries to create the lock atomically, owner included: a prepared folder renamed onto `lockDir`. */
function tryAcquire(lockDir: string, owner: LockOwner): boolean {
  const prepared = besideLock(lockDir, "new");
  try {
    mkdirSync(prepared);
  } catch (err) {
    // another process removed the (empty) folder of locks in between: create it again
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    mkdirSync(dirname(lockDir), { recursive: true });
    mkdirSync(prepared);
  }
  try {
    writeFileSync(join(prepared, "owner.json"), JSON.stringify(owner) + "\n");
  } catch (err) {
    rmSync(prepared, { recursive: true, force: true });
    throw err;
  }
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
  const aside = besideLock(lockDir, "stale");
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
      `${owner.what} is in progress: ${holder(owner)} holds ${lockDir} since ${owner.since}`,
      owner.host === hostname()
        ? "wait for it to end"
        : `remove ${lockDir} if that process on ${owner.host} no longer runs`,
    );
    this.name = "LockBusyError";
  }
}

/**
 * Removes the locks in `dir` (folders ending in .lock) whose owner was a process of this host that has
 * ended (killed before it could release them); locks of live processes and of other hosts stay.
 */
export function removeStaleLocks(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names.filter((n) => n.endsWith(".lock"))) {
    const lockDir = join(dir, name);
    const owner = readOwner(lockDir);
    if (owner && owner.host === hostname() && !ownerAlive(owner)) removeStale(lockDir, owner);
  }
}

/** Whether a name beside a lock folder is a step of taking or releasing it (besideLock). */
export function isLockStep(name: string): boolean {
  return /\.lock\.(new|stale|released)-/.test(name);
}

/** The folder of the host-wide lock as messages name it. */
const LOCK_DIR_WHAT = "the folder of the host-wide lock of timed work (MLPROF_LOCK_DIR)";

/**
 * The host-wide lock of timed work: every measurement process of this host (whatever its store) runs
 * while holding it, so that no two measurements ever time under each other's load. It lives in
 * $MLPROF_LOCK_DIR, else <tmp>/mlprof-locks.
 */
export function measurementLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MLPROF_LOCK_DIR || join(tmpdir(), "mlprof-locks"), "measurement.lock");
}

/** What a holder of the host-wide lock of timed work can do with it. */
export interface MeasurementLock {
  /**
   * Names the process that times (pid and start time) in the lock: the lock then stays taken while that
   * process lives, even if this one dies.
   */
  nameTimingProcess(pid: number): void;
}

/**
 * Names `pid` as the timing process of the lock `lockDir` held by this process: its owner file is
 * replaced atomically by one that adds it. A lock this process does not hold is left alone.
 */
export function nameTimingProcess(lockDir: string, pid: number): void {
  const owner = readOwner(lockDir);
  if (!owner || owner.pid !== process.pid || owner.host !== hostname()) return;
  const next: LockOwner = { ...owner, timing: { pid, start: processStartTime(pid) } };
  const tmp = join(lockDir, `owner.json.${ownerTag()}`);
  writeFileSync(tmp, JSON.stringify(next) + "\n");
  renameSync(tmp, join(lockDir, "owner.json"));
}

/**
 * Runs `fn` holding the host-wide lock of timed work (measurementLockDir), waiting for another holder
 * without a time limit (it is alive, or its lock is stale and taken over); `fn` names the process that
 * times in it (MeasurementLock). Its folder is created open to every user of the host (sticky, as /tmp),
 * so that the measurements of all users exclude each other.
 */
export async function withMeasurementLock<T>(
  opts: LockOptions,
  fn: (lock: MeasurementLock) => Promise<T>,
): Promise<T> {
  const lockDir = measurementLockDir();
  const parent = dirname(lockDir);
  if (ensureDir(parent, LOCK_DIR_WHAT, "point MLPROF_LOCK_DIR to a writable folder, or unset it")) {
    try {
      chmodSync(parent, 0o1777);
    } catch {
      // another user's folder, or created at the same moment: acquireLock reports a real problem
    }
  }
  return withLock(lockDir, { timeoutMs: Infinity, ...opts }, async () => {
    // nothing of this command stays running beside the measurement (a browser kept for the next plot)
    await runBeforeTimedWork();
    return fn({ nameTimingProcess: (pid) => nameTimingProcess(lockDir, pid) });
  });
}

/**
 * Takes an exclusive lock among processes sharing the file system and returns its release function: the
 * lock is the folder `lockDir`, created atomically with owner.json (the owner's pid, start time and host)
 * inside. A lock whose owner process on this host no longer exists (or whose pid another process reuses)
 * is stale and taken over; otherwise the caller waits for it (with `wait: false` it throws LockBusyError
 * instead; an abort of `signal` ends the wait with an error).
 */
export async function acquireLock(lockDir: string, opts: LockOptions): Promise<() => void> {
  makeDirs(dirname(lockDir));
  const deadline = Date.now() + (opts.timeoutMs ?? 60 * 60 * 1000);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what: opts.what,
    start: ownStartTime(),
  };
  const pause = async (ms: number, by?: LockOwner) => {
    try {
      await sleep(ms, undefined, { signal: opts.signal });
    } catch {
      const held = by ? ` held by ${holder(by)} (${by.what})` : "";
      throw new MlprofError(`interrupted while waiting for the lock ${lockDir}${held}`);
    }
  };
  let told = false;
  while (!tryAcquire(lockDir, me)) {
    const owner = readOwner(lockDir);
    if (owner && owner.host === hostname() && !ownerAlive(owner)) {
      removeStale(lockDir, owner);
      continue;
    }
    if (!owner) {
      // released between the attempt and the read (a lock folder always holds its owner): try again
      const folder = folderId(lockDir);
      if (folder === undefined) continue;
      // a lock folder without owner (left by an older version or a crash): stale when the same folder
      // stays so — never a lock another process took meanwhile, whose holder would be evicted
      await pause(2000);
      if (folderId(lockDir) === folder && !readOwner(lockDir)) removeStale(lockDir, undefined);
      continue;
    }
    if (opts.wait === false) throw new LockBusyError(lockDir, owner);
    if (!told) {
      opts.progress?.(`waiting for ${holder(owner)} (${owner.what}, since ${owner.since})`);
      told = true;
    }
    if (Date.now() > deadline) {
      throw new MlprofError(
        `timed out waiting for the lock ${lockDir} held by ${holder(owner)} (${owner.what})`,
        `remove ${lockDir} if that process no longer runs`,
      );
    }
    await pause(opts.pollMs ?? 250, owner);
  }
  // release only a lock that is still ours: renamed aside first (atomic, and never an empty lock folder —
  // rename(2) replaces an empty folder, so another process's rename would take an emptied lock while it is
  // being removed, and a recursive removal could delete that process's owner file), then removed
  return () => {
    if (!sameOwner(readOwner(lockDir), me)) return;
    const aside = besideLock(lockDir, "released");
    try {
      renameSync(lockDir, aside);
    } catch {
      return;
    }
    rmSync(aside, { recursive: true, force: true });
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
