/** Wall times of jobs: --walltime in the forms people write them, and how the batch systems want them. */
import { MlprofError } from "../util/errors.js";
import { shown } from "./values.js";

/**
 * Parses a wall time into seconds: "90" (seconds), "45m", "2h", "1h30m", "1d12h", "01:30:00", "30:00",
 * "2-00:00:00" (Slurm's days-hours:minutes:seconds). Refuses zero and anything else.
 */
export function parseWalltime(what: string, text: string): number {
  const t = text.trim();
  let seconds: number | undefined;
  const units = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i.exec(t);
  const clock = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d{2})$/.exec(t);
  if (/^\d+$/.test(t)) seconds = Number(t);
  else if (units && t !== "") {
    const [, d, h, m, s] = units.map((x) => Number(x ?? 0));
    seconds = d! * 86400 + h! * 3600 + m! * 60 + s!;
  } else if (clock) {
    // "MM:SS", "HH:MM:SS", "D-HH:MM:SS"
    const [, d, h, m, s] = clock.map((x) => Number(x ?? 0));
    seconds = d! * 86400 + h! * 3600 + m! * 60 + s!;
  }
  if (seconds === undefined || !(seconds > 0)) {
    throw new MlprofError(
      `${what}: expected a wall time such as 45m, 2h, 1h30m, 01:30:00 or 2-00:00:00, found ${shown(text)}`,
    );
  }
  return seconds;
}

/** Slurm's --time: "H:MM:SS", or "D-HH:MM:SS" from a day on. */
export function slurmTime(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const hms = `${d ? String(h).padStart(2, "0") : h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return d ? `${d}-${hms}` : hms;
}

/** A duration for messages: "1 h 30 min", "25 min", "40 s". */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return [d ? `${d} d` : "", h ? `${h} h` : "", m ? `${m} min` : ""].filter(Boolean).join(" ");
}
