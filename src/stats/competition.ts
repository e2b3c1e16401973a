/**
 * What competition measured in a measurement process (measure/competition.ts) means: the shares of the timed
 * window lost to other processes and to the hypervisor, the warnings they give, and the competition of each
 * process of a record. Read by the parent, never by the measurement process.
 */
import type { CompetitionRecord } from "../measure/competition.js";

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
 * sharing its CPU with a busy loop waits about 50 % (test/measure/competition.test.ts).
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
