/**
 * Who a process is, across pid reuse and hosts sharing a file system: its host, pid and start time (clock
 * ticks after boot, from /proc), so that locks and temporaries of dead processes can be told from those of
 * live ones.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { shortHash } from "./hash.js";

/** The fields of /proc/<pid>/stat after the command name (field 3 first), undefined where unreadable. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** The start time of a process (field 22 of /proc/<pid>/stat), undefined where it cannot be read. */
export function processStartTime(pid: number): string | undefined {
  const start = statFields(pid)?.[19];
  return start && /^\d+$/.test(start) ? start : undefined;
}

/**
 * Whether the process `pid` lives on this host; with `start` (its start time when it was recorded) a
 * process that has reused the pid since does not count, nor does one that has ended and waits to be
 * reaped (a zombie, as an orphan whose new parent does not reap it).
 */
export function processAlive(pid: number, start?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const state = statFields(pid)?.[0];
  if (state === "Z" || state === "X") return false;
  if (start === undefined || start === "0") return true;
  const now = processStartTime(pid);
  return now === undefined || now === start;
}

/** Six hex digits of this host's name: temporaries of other hosts on a shared file system are left alone. */
const HOST = shortHash(hostname(), 6);
let ownStart: string | undefined;

/** This process's start time ("0" where /proc is missing). */
export function ownStartTime(): string {
  ownStart ??= processStartTime(process.pid) ?? "0";
  return ownStart;
}

/** This process's identity tag `<host hash>-<pid>-<start time>`, put into the names of its temporaries. */
export function ownerTag(): string {
  return `${HOST}-${process.pid}-${ownStartTime()}`;
}

/** An identity tag at the end of a temporary's name: `-<host hash>-<pid>-<start>-<6 random characters>`. */
const TAGGED = /-([0-9a-f]{6})-(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Whether a name made with ownerTag() (followed by `-` and six random characters) belongs to a process of
 * this host that has ended; names without a tag, and those of other hosts, are never stale.
 */
export function ownerGone(name: string): boolean {
  const m = TAGGED.exec(name);
  if (!m || m[1] !== HOST) return false;
  return !processAlive(Number(m[2]), m[3]);
}
