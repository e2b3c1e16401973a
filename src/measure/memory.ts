import { readFileSync } from "node:fs";

/** Current and peak resident set size of this process in kB (from /proc/self/status; 0 where unavailable). */
export function readRss(): { rssKb: number; peakKb: number } {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { rssKb: field("VmRSS"), peakKb: field("VmHWM") };
  } catch {
    return { rssKb: 0, peakKb: 0 };
  }
}
