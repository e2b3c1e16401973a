/**
 * Competition for the CPU during a timed window, measured instead of guessed: the measuring thread's wait
 * on a run queue and involuntary context switches, its page faults, and the host's stolen time (a VM's
 * hypervisor running someone else). Read by the measurement process right before its first timed call and
 * right after its last (per event), from Linux's /proc; elsewhere the counters are absent.
 */
import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/stat (USER_HZ; 100 on every Linux architecture MLProf runs on). */
export const USER_HZ = 100;

/** The counters at one instant. */
export interface CompetitionCounters {
  /** ns the thread waited on a run queue (/proc/thread-self/schedstat, 2nd field). */
  runQueueWaitNs: number;
  /** Involuntary context switches of the thread (/proc/thread-self/status nonvoluntary_ctxt_switches). */
  involuntarySwitches: number;
  /** Minor and major page faults of the thread (/proc/thread-self/stat fields 10 and 12). */
  minorFaults: number;
  majorFaults: number;
  /** Stolen ticks of the host, all CPUs together (/proc/stat, cpu line, 8th value). */
  stealTicks: number;
}

/** What competed with the timed calls of a measurement process (all its timed windows together). */
export interface CompetitionRecord {
  /** Wall time of the timed windows (first timed call's start to last timed call's end, per event), ms. */
  windowMs: number;
  /** Time the measuring thread waited for a CPU while runnable, ms. */
  runQueueWaitMs: number;
  involuntarySwitches: number;
  /** Time the hypervisor stole from the host's CPUs (all CPUs together), ms, in steps of 1000 / USER_HZ. */
  stealMs: number;
  minorFaults: number;
  majorFaults: number;
  /** CPUs of the host (the steal time is spread over them). */
  hostCpus: number;
  /** Where the counters come from. */
  source: string;
}

/** Where the counters of a CompetitionRecord come from (recorded with them). */
export const COMPETITION_SOURCE =
  "the measuring thread's /proc/thread-self/schedstat (run-queue wait), /proc/thread-self/status " +
  "(nonvoluntary_ctxt_switches), /proc/thread-self/stat (minor, major faults); the host's /proc/stat steal " +
  "(cpu line, 8th value, USER_HZ ticks); read right before the first and right after the last timed call of each event";

/** The text of a /proc file, or "" where it does not exist (not Linux). */
function procText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Reads the counters now; undefined where /proc/thread-self is missing (not Linux, or a kernel before 3.17). */
export function readCompetition(): CompetitionCounters | undefined {
  const schedstat = procText("/proc/thread-self/schedstat");
  const stat = procText("/proc/thread-self/stat");
  const status = procText("/proc/thread-self/status");
  if (!schedstat || !stat || !status) return undefined;
  // fields after the command name (in parentheses, which may hold spaces): state is field 3
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const switches = /^nonvoluntary_ctxt_switches:\s*(\d+)/m.exec(status);
  const cpuLine = /^cpu\s+(.*)$/m.exec(procText("/proc/stat"));
  return {
    runQueueWaitNs: Number(schedstat.split(" ")[1] ?? 0),
    involuntarySwitches: switches ? Number(switches[1]) : 0,
    minorFaults: Number(fields[10 - 3] ?? 0),
    majorFaults: Number(fields[12 - 3] ?? 0),
    stealTicks: cpuLine ? Number(cpuLine[1]!.trim().split(/\s+/)[7] ?? 0) : 0,
  };
}

/** Sums the differences of counter pairs (before, after) of the timed windows into one record. */
export function competitionRecord(
  windows: { before: CompetitionCounters; after: CompetitionCounters; wallNs: number }[],
  hostCpus: number,
): CompetitionRecord {
  const sum = (f: (c: CompetitionCounters) => number) =>
    windows.reduce((a, w) => a + Math.max(0, f(w.after) - f(w.before)), 0);
  return {
    windowMs: windows.reduce((a, w) => a + w.wallNs, 0) / 1e6,
    runQueueWaitMs: sum((c) => c.runQueueWaitNs) / 1e6,
    involuntarySwitches: sum((c) => c.involuntarySwitches),
    stealMs: (sum((c) => c.stealTicks) * 1000) / USER_HZ,
    minorFaults: sum((c) => c.minorFaults),
    majorFaults: sum((c) => c.majorFaults),
    hostCpus,
    source: COMPETITION_SOURCE,
  };
}
