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

/**
 * When competition makes a measurement doubtful: the measuring thread waited for a CPU more than
 * `waitFraction` of the timed window, or the hypervisor stole more than `stealFraction` of the host's CPU
 * time in it (stealMs / (windowMs × hostCpus)), or the thread took a major page fault (a read from disk).
 */
export interface CompetitionThresholds {
  waitFraction: number;
  stealFraction: number;
}

/**
 * 2 % of the timed window, for the wait and the steal: time lost to others moves the mean of the calls by
 * up to as much, and 2 % is well below the smallest difference a comparison calls real (5 %); a process
 * alone on its CPU waits ~0.1 % (timer interrupts, kernel threads), one sharing its CPU with a busy loop ~50 %.
 */
export const COMPETITION_THRESHOLDS: CompetitionThresholds = { waitFraction: 0.02, stealFraction: 0.02 };

function pct(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}

function ms(x: number): string {
  return x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2);
}

/** The fraction of the timed window the thread waited for a CPU (0 for an empty window). */
export function waitFraction(c: CompetitionRecord): number {
  return c.windowMs > 0 ? c.runQueueWaitMs / c.windowMs : 0;
}

/** The fraction of the host's CPU time stolen during the timed window (0 for an empty window). */
export function stealFraction(c: CompetitionRecord): number {
  return c.windowMs > 0 && c.hostCpus > 0 ? c.stealMs / (c.windowMs * c.hostCpus) : 0;
}

/** The warnings of one process's competition record (empty when nothing competed beyond the thresholds). */
export function competitionWarnings(c: CompetitionRecord, t = COMPETITION_THRESHOLDS): string[] {
  const out: string[] = [];
  const wait = waitFraction(c);
  if (wait > t.waitFraction) {
    out.push(
      `competition: waited ${ms(c.runQueueWaitMs)} ms for a CPU during ${ms(c.windowMs)} ms of timed calls ` +
        `(${pct(wait)}, ${c.involuntarySwitches} involuntary context switches; > ${pct(t.waitFraction)})`,
    );
  }
  const steal = stealFraction(c);
  if (steal > t.stealFraction) {
    out.push(
      `steal: the hypervisor gave ${ms(c.stealMs)} ms of the host's ${c.hostCpus} CPUs to other machines ` +
        `during ${ms(c.windowMs)} ms of timed calls (${pct(steal)} of their time; > ${pct(t.stealFraction)})`,
    );
  }
  if (c.majorFaults > 0) {
    out.push(
      `page faults: ${c.majorFaults} major page fault${c.majorFaults === 1 ? "" : "s"} during the timed calls (the thread waited for the disk)`,
    );
  }
  return out;
}

/** The heading of the competition warnings a run prints (each measurement's warning is its detail). */
export const COMPETITION_WARNING =
  "something competed with the timed calls (measured in the measurement process)";

/** The competition of a record's processes, with the label each warning carries ("repeat k: " when several). */
export function processCompetition(record: {
  process?: { competition?: CompetitionRecord };
  repeats?: { index: number; competition?: CompetitionRecord }[];
}): { label: string; competition: CompetitionRecord | undefined }[] {
  const repeats = record.repeats;
  if (!repeats) return [{ label: "", competition: record.process?.competition }];
  return repeats.map((r) => ({
    label: repeats.length > 1 ? `repeat ${r.index}: ` : "",
    competition: r.competition,
  }));
}

/** The competition warnings of a measurement record: one per process and cause, prefixed with the repeat. */
export function recordCompetitionWarnings(record: Parameters<typeof processCompetition>[0]): string[] {
  return processCompetition(record).flatMap(({ label, competition }) =>
    competition ? competitionWarnings(competition).map((w) => label + w) : [],
  );
}
