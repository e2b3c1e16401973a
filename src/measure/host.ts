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
  /** The 1-, 5- and 15-minute load averages at the start: a fact; no warning reads it (see competition.ts). */
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
