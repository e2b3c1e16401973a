/** CPU lists as taskset takes them (0, 0-3, 1,3): parsed, checked, and compared with this host's CPUs. */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { MlprofError } from "./errors.js";
import { shownValue } from "./names.js";

/** The largest CPU number Linux knows (CONFIG_NR_CPUS is at most 8192). */
const MAX_CPU = 8191;

/**
 * The CPUs of a --cpu-affinity list (taskset's syntax: 0, 0-3, 1,3), each once and ascending; a list that
 * is not one, a range that runs backwards or a CPU number beyond what Linux knows is an error.
 */
export function cpuList(v: string): number[] {
  const bad = (why: string): never => {
    throw new MlprofError(
      `--cpu-affinity: expected a CPU list such as 0 or 0-3 or 1,3${why}, found ${shownValue(v)}`,
    );
  };
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(v)) bad("");
  const cpus = new Set<number>();
  for (const item of v.split(",")) {
    const [lo, hi] = item.split("-").map(Number) as [number, number | undefined];
    const top = hi ?? lo;
    if (top < lo) bad(" (a range low-high with low <= high)");
    if (top > MAX_CPU) bad(` (CPU numbers at most ${MAX_CPU})`);
    for (let cpu = lo; cpu <= top; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** The CPUs this process may run on (its affinity, from /proc/self/status), else 0 … CPUs − 1. */
export function cpusHere(): number[] {
  try {
    const line = /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    if (line) return cpuList(line);
  } catch {
    // no /proc: every CPU the OS reports
  }
  return Array.from({ length: availableParallelism() }, (_, i) => i);
}

/**
 * Checks a --cpu-affinity list against the CPUs of this host, before any process starts (taskset would
 * fail only after the measurement was prepared): one error naming the CPUs that are missing and those
 * available.
 */
export function checkCpusHere(v: string): void {
  if (!v) return;
  const here = cpusHere();
  const missing = cpuList(v).filter((cpu) => !here.includes(cpu));
  if (missing.length === 0) return;
  throw new MlprofError(
    `--cpu-affinity: expected CPUs of this host (${compactCpus(here)}), found ${shownValue(v)}: ` +
      `no CPU ${compactCpus(missing)} here`,
  );
}

/** A CPU list in taskset's short form: 0-3,6. */
function compactCpus(cpus: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length;) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
