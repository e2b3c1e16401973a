/**
 * The memory a measurement may use on this host, checked before its process starts: the bytes of its
 * inputs against the memory available (MemAvailable of /proc/meminfo, and the cgroup's limit where one is
 * set), and afterwards, for a process killed by SIGKILL, whether the kernel's OOM killer ended it.
 */
import { readFileSync } from "node:fs";
import type { InputSpec } from "../model/spec.js";
import { MlprofError } from "../util/errors.js";
import { inputBytes } from "./inputs.js";

/** Memory available to a new process, in bytes; the limit it is part of; where the figures come from. */
export interface AvailableMemory {
  bytes: number;
  limit: number;
  source: string;
}

/** A file's text, undefined where it cannot be read. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A number of bytes in words: "3.7 GiB", "512 MiB". */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** The path of this process's cgroup of a controller ("" for v2's unified one) in /proc/self/cgroup. */
function cgroupPath(controller: string): string | undefined {
  for (const line of (readText("/proc/self/cgroup") ?? "").split("\n")) {
    const [, controllers, path] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (controllers !== undefined && controllers.split(",").includes(controller)) return path;
    if (controller === "" && controllers === "") return path;
  }
  return undefined;
}

/** The room left below this process's cgroup memory limit (v2, else v1), when one is set. */
function cgroupRoom(): AvailableMemory | undefined {
  const unified = cgroupPath("");
  const v2 = unified === undefined ? undefined : `/sys/fs/cgroup${unified === "/" ? "" : unified}`;
  const v2max = v2 && readText(`${v2}/memory.max`)?.trim();
  if (v2 && v2max && v2max !== "max") {
    const used = Number(readText(`${v2}/memory.current`)?.trim() ?? 0);
    const limit = Number(v2max);
    return { bytes: Math.max(0, limit - used), limit, source: `the limit of the cgroup ${v2}/memory.max` };
  }
  const memory = cgroupPath("memory");
  const v1 = memory === undefined ? undefined : `/sys/fs/cgroup/memory${memory === "/" ? "" : memory}`;
  const v1limit = v1 && readText(`${v1}/memory.limit_in_bytes`)?.trim();
  // v1 writes a huge number (about 2^63) for "no limit"
  if (v1 && v1limit && Number(v1limit) < 2 ** 60) {
    const used = Number(readText(`${v1}/memory.usage_in_bytes`)?.trim() ?? 0);
    const limit = Number(v1limit);
    return {
      bytes: Math.max(0, limit - used),
      limit,
      source: `the limit of the cgroup ${v1}/memory.limit_in_bytes`,
    };
  }
  return undefined;
}

/**
 * The memory available to a new process: MemAvailable of /proc/meminfo, or the room left below the
 * cgroup's limit when that is less; undefined where neither can be read.
 */
export function availableMemory(): AvailableMemory | undefined {
  const info = readText("/proc/meminfo") ?? "";
  const kb = (name: string) => /^\s*(\d+) kB/m.exec(info.split(`${name}:`)[1] ?? "")?.[1];
  const [available, total] = [kb("MemAvailable"), kb("MemTotal")];
  const host =
    available === undefined || total === undefined
      ? undefined
      : {
          bytes: Number(available) * 1024,
          limit: Number(total) * 1024,
          source: "MemAvailable of /proc/meminfo",
        };
  const cgroup = cgroupRoom();
  if (host && cgroup) return cgroup.bytes < host.bytes ? cgroup : host;
  return host ?? cgroup;
}

/**
 * Refuses a measurement whose inputs alone need more memory than is available (availableMemory), before
 * its process starts (an allocation beyond it ends with the OOM killer's SIGKILL): one error naming the
 * model file, the batch size, the bytes needed and the limit. Outputs and the engine's own memory come on
 * top, so a measurement that passes may still not fit.
 */
export function checkInputMemory(
  inputs: InputSpec[],
  batchSize: number,
  yamlPath: string,
  available = availableMemory(),
): void {
  if (!available) return;
  const need = inputBytes(inputs, batchSize);
  if (need <= available.bytes) return;
  throw new MlprofError(
    `the inputs of ${yamlPath} at batch size ${batchSize} need ${formatBytes(need)} ` +
      `(${need} bytes), more than the ${formatBytes(available.bytes)} available here (${available.source})`,
    "measure smaller batch sizes, or check the inputs' shapes in the model file",
  );
}

/** The kernel's count of OOM kills since boot (oom_kill of /proc/vmstat), undefined where unreadable. */
export function oomKillCount(): number | undefined {
  const n = /^oom_kill (\d+)$/m.exec(readText("/proc/vmstat") ?? "")?.[1];
  return n === undefined ? undefined : Number(n);
}

/**
 * Words on a measurement process killed by SIGKILL: whether the kernel's OOM killer ended it, from its
 * counter before and after the process (oomKillCount); empty when nothing can be said.
 */
export function sigkillCause(oomBefore: number | undefined, oomAfter: number | undefined): string {
  if (oomBefore === undefined || oomAfter === undefined) return "";
  if (oomAfter > oomBefore) {
    return (
      ` — probably by the kernel's OOM killer (its count of kills, oom_kill in /proc/vmstat, rose from ` +
      `${oomBefore} to ${oomAfter} while it ran): it needed more memory than was available; measure smaller ` +
      `batch sizes`
    );
  }
  return " (not by the kernel's OOM killer: its oom_kill count in /proc/vmstat did not change)";
}

/** The peak resident memory of a process in bytes (VmHWM), 0 where unreadable. */
function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/status`) ?? "")?.[1];
  return kb === undefined ? 0 : Number(kb) * 1024;
}

/**
 * Watches a measurement process's memory while it runs (twice a second: a read of a few /proc files in the
 * parent, which otherwise sleeps): when the memory available (availableMemory) falls below a floor (3 % of the
 * host's memory or of the cgroup's limit, at least 64 MiB) and the process itself took at least half of what
 * was available when it started (so that other processes' memory never ends a small measurement), it is
 * killed (SIGKILL) before the kernel's OOM killer picks a victim, which may be another process of the host.
 * `stop()` ends the watch and returns, when it killed the process, the words for the error.
 */
export function watchMemory(pid: number, intervalMs = 500): { stop(): string | undefined } {
  const start = availableMemory();
  let verdict: string | undefined;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, peakRss(pid));
    const now = availableMemory();
    if (!start || !now || verdict !== undefined) return;
    const floor = Math.max(64 * 1024 * 1024, 0.03 * now.limit);
    if (now.bytes >= floor || peak < 0.5 * start.bytes) return;
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      return;
    }
    verdict =
      `was stopped (SIGKILL) when the memory available fell to ${formatBytes(now.bytes)} (${now.source}; ` +
      `${formatBytes(start.bytes)} when it started; its own peak so far: ${formatBytes(peak)}), before the ` +
      "kernel's OOM killer would end it or another process; measure smaller batch sizes";
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return verdict;
    },
  };
}
