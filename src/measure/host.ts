import { existsSync, readFileSync } from "node:fs";
import { cpus, hostname, loadavg, release, platform, arch } from "node:os";

/** Facts about the machine a measurement ran on, recorded in every metadata file. */
export interface HostInfo {
  hostname: string;
  cpuModel: string;
  logicalCpus: number;
  os: string;
  kernel: string;
  node: string;
  loadAverage: number[];
  frequencyGovernor: string;
}

/** Reads the host facts (the CPU frequency governor from sysfs where it exists, else "unknown"). */
export function hostInfo(): HostInfo {
  const governorFile = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor";
  const list = cpus();
  return {
    hostname: hostname(),
    cpuModel: list[0]?.model.trim() ?? "unknown",
    logicalCpus: list.length,
    os: `${platform()} ${arch()}`,
    kernel: release(),
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    frequencyGovernor: existsSync(governorFile) ? readFileSync(governorFile, "utf8").trim() : "unknown",
  };
}

/**
 * The warning of a measurement that started while the machine was busy: the 1-minute load average above 1
 * (other processes may have competed for the CPU (the average trails the last minute)), or undefined. The one rule of the measurement, MergeRuntimes'
 * JSON and the report.
 */
export function loadWarning(loadAverage: readonly number[] | undefined): string | undefined {
  const load = loadAverage?.[0];
  if (load === undefined || !(load > 1)) return undefined;
  return `the 1-minute load average was ${load} when the measurement started: other processes may have competed for the CPU (the average trails the last minute)`;
}
