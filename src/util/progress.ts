/**
 * Progress of long steps (venvs, builds, compilations, measurements): a bar with percentage, rate, ETA and
 * elapsed time, redrawn in place on a terminal, and only a few lines (start, every 25 % or 30 s, the end)
 * when the output is piped.
 */

/** How progress is shown: an animated list on a terminal, plain lines otherwise, nothing when quiet. */
export type ProgressMode = "tty" | "plain" | "quiet";

/** Picks the progress mode: $MLPROF_PROGRESS (tty, plain, quiet) or, by default, tty on a terminal. */
export function progressMode(env: NodeJS.ProcessEnv = process.env): ProgressMode {
  const m = env.MLPROF_PROGRESS;
  if (m === "tty" || m === "plain" || m === "quiet") return m;
  return process.stdout.isTTY ? "tty" : "plain";
}

/**
 * Receives progress messages. `live` marks a status that the next one replaces (a bar being redrawn);
 * other messages are lines to keep. Receivers that show only the last message may ignore it.
 */
export type ProgressSink = (message: string, live?: boolean) => void;

/** m:ss, or h:mm:ss from an hour on (negative and non-finite values count as 0). */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A rate with two or three significant digits, thousands as k: 0.42, 3.2, 45, 1234, 241k (per second). */
export function formatRate(perSecond: number, unit: string): string {
  if (perSecond >= 10000) return `${(perSecond / 1000).toFixed(0)}k ${unit}/s`;
  const r =
    perSecond >= 100 ? perSecond.toFixed(0) : perSecond >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
  return `${r.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "")} ${unit}/s`;
}

/** A bar of `width` cells for a fraction in [0, 1]: [██████░░░░]. */
export function renderBar(fraction: number, width = 10): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.floor(f * width + 1e-9);
  return `[${"█".repeat(full)}${"░".repeat(width - full)}]`;
}

/** What one progress display shows. */
export interface ProgressState {
  /** What progresses, e.g. "XLA AOT runtime" (may be empty). */
  label: string;
  done: number;
  /** Undefined or 0: unknown. */
  total?: number;
  /** Counted things ("calls", "steps"); without one no rate is shown. */
  unit?: string;
  elapsedSeconds: number;
  /** Things per second; undefined: not known yet. */
  rate?: number;
  /** With an unknown total: how long the whole step is expected to take (e.g. the last build). */
  estimateSeconds?: number;
  /** Where the estimate comes from, e.g. "the last build took 3:48". */
  estimateSource?: string;
  /** A short remark shown at the end, e.g. "configuring". */
  note?: string;
}

/**
 * Formats a progress display: `label [██████░░░░] 60 % · 3.2 calls/s · ETA 0:12 · 1:05 elapsed` with a
 * total (with an estimate too, the ETA blends both, `ETA ~1:30`, the estimate weighing the part left);
 * with an estimate instead, an approximate bar from the elapsed time (`~40 % · about 3:00 left`);
 * with neither, the count and the elapsed time.
 */
export function formatProgress(s: ProgressState): string {
  const parts: string[] = [];
  const head = s.label ? `${s.label} ` : "";
  const elapsed = `${formatDuration(s.elapsedSeconds)} elapsed`;
  if (s.total && s.total > 0) {
    const fraction = Math.min(1, s.done / s.total);
    const count = s.unit && s.unit !== "%" ? ` (${s.done}/${s.total} ${s.unit})` : "";
    parts.push(`${head}${renderBar(fraction)} ${Math.floor(fraction * 100)} %${count}`);
    if (s.rate && s.rate > 0 && s.unit && s.unit !== "%") parts.push(formatRate(s.rate, s.unit));
    if (s.done < s.total) {
      const byRate = s.rate && s.rate > 0 ? (s.total - s.done) / s.rate : undefined;
      const byEstimate = s.estimateSeconds ? Math.max(0, s.estimateSeconds - s.elapsedSeconds) : undefined;
      // uneven steps (a build's): the estimate counts the more the less is done
      if (byRate !== undefined && byEstimate !== undefined)
        parts.push(`ETA ~${formatDuration((1 - fraction) * byEstimate + fraction * byRate)}`);
      else if (byRate !== undefined) parts.push(`ETA ${formatDuration(byRate)}`);
      else if (byEstimate !== undefined) parts.push(`ETA ~${formatDuration(byEstimate)}`);
    }
  } else if (s.estimateSeconds && s.estimateSeconds > 0) {
    const fraction = Math.min(0.99, s.elapsedSeconds / s.estimateSeconds);
    parts.push(`${head}${renderBar(fraction)} ~${Math.floor(fraction * 100)} %`);
    const left = s.estimateSeconds - s.elapsedSeconds;
    parts.push(
      left > 0
        ? `about ${formatDuration(left)} left`
        : `longer than the estimated ${formatDuration(s.estimateSeconds)}`,
    );
    if (s.estimateSource) parts.push(s.estimateSource);
    if (s.unit && s.done > 0) parts.push(`${s.done} ${s.unit}`);
  } else {
    parts.push(`${head.trimEnd() || "working"}${s.unit ? `: ${s.done} ${s.unit}` : ""}`);
  }
  parts.push(elapsed);
  if (s.note) parts.push(s.note);
  return parts.join(" · ");
}

/** Options of a ProgressBar. */
export interface ProgressOptions {
  label: string;
  unit?: string;
  total?: number;
  /** See ProgressState. */
  estimateSeconds?: number;
  estimateSource?: string;
  /** Default: progressMode(). */
  mode?: ProgressMode;
  /** The clock, ms (tests give their own). Default: performance.now. */
  now?: () => number;
  /** Plain mode: a line at every multiple of this percentage (default 25). */
  plainStepPercent?: number;
  /** Plain mode: a line after this long without one, while something changed (default 30 s). */
  plainEveryMs?: number;
  /** Plain mode: no lines between the first and the end before the step ran this long (default 10 s). */
  plainMinMs?: number;
  /** Terminal mode: the shortest interval between redraws (default 100 ms; one skipped shows at the next tick). */
  ttyIntervalMs?: number;
  /** Redraw on a timer (elapsed time moves without updates): interval ms, 0 none (default 1000, 0 in tests). */
  tickMs?: number;
}

/**
 * One step's progress display. On a terminal every update redraws it (live messages, at most every
 * 100 ms, and once a second for the elapsed time); on a pipe only a few lines come: the first update, once
 * the step has run 10 s every 25 % (or every 30 s while something changes), and the end; quiet: the end
 * alone (a total learnt on the way gives one more line when it comes). The rate is measured from the first update on, so time
 * spent before the first unit (loading, configuring) does not count in it.
 */
export class ProgressBar {
  private readonly opts: ProgressOptions;
  private readonly mode: ProgressMode;
  private readonly now: () => number;
  private readonly started: number;
  private done = 0;
  private total: number | undefined;
  private note: string | undefined;
  private unit: string | undefined;
  private first: { t: number; done: number } | undefined;
  private lastEmit = -Infinity;
  /** Plain mode: the last 25 % step printed (-1 none; -2 a line is due for a total just learnt). */
  private lastPlainStep = -1;
  private changed = false;
  private emittedOnce = false;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sink: ProgressSink,
    opts: ProgressOptions,
  ) {
    this.opts = opts;
    this.mode = opts.mode ?? progressMode();
    this.now = opts.now ?? (() => performance.now());
    this.started = this.now();
    this.total = opts.total;
    this.unit = opts.unit;
    const tick = opts.tickMs ?? (opts.now ? 0 : 1000);
    if (tick > 0 && this.mode !== "quiet") {
      this.timer = setInterval(() => this.tick(), tick);
      this.timer.unref();
    }
  }

  /** The display as it is now. */
  text(): string {
    return formatProgress(this.state());
  }

  /** Sets the count (and the total, when it becomes known) and shows it if due. */
  update(done: number, total?: number): void {
    if (this.finished) return;
    if (total !== undefined && total > 0) {
      // a total learnt on the way (a build tool's first step) starts the counted part: one line for it
      if (this.total === undefined && this.emittedOnce) this.lastPlainStep = -2;
      this.total = total;
    }
    if (done !== this.done || !this.first) this.changed = true;
    this.done = done;
    if (!this.first && done > 0) this.first = { t: this.now(), done };
    else if (!this.first && this.total) this.first = { t: this.now(), done: 0 };
    this.show();
  }

  /** Changes the counted unit (e.g. "%" once a build tool turns out to count percentages). */
  setUnit(unit: string | undefined): void {
    this.unit = unit;
  }

  /** Sets the remark shown after the numbers (e.g. the phase) and shows it if due. */
  setNote(note: string | undefined): void {
    if (this.finished || note === this.note) return;
    this.note = note;
    this.changed = true;
    this.show();
  }

  /** Re-evaluates the display (the timer calls it: the elapsed time and time rules move on). */
  tick(): void {
    if (!this.finished) this.show(true);
  }

  /**
   * Ends the display with one line to keep, `summary` (default: the count) followed by the elapsed time,
   * e.g. "XLA AOT runtime: done, 22 steps in 3:48"; stops the timer. Returns the line.
   */
  finish(summary?: string): string {
    this.stop();
    const elapsed = formatDuration((this.now() - this.started) / 1000);
    const what = summary ?? (this.unit && this.unit !== "%" ? `${this.done} ${this.unit}` : "done");
    const line = `${this.opts.label ? `${this.opts.label}: ` : ""}${what} in ${elapsed}`;
    this.sink(line, false);
    return line;
  }

  /** Stops the timer without a final line (on failure). */
  stop(): void {
    this.finished = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private state(): ProgressState {
    const t = this.now();
    let rate: number | undefined;
    if (this.first && t - this.first.t > 0 && this.done > this.first.done) {
      rate = (this.done - this.first.done) / ((t - this.first.t) / 1000);
    }
    return {
      label: this.opts.label,
      done: this.done,
      total: this.total,
      unit: this.unit,
      elapsedSeconds: (t - this.started) / 1000,
      rate,
      estimateSeconds: this.opts.estimateSeconds,
      estimateSource: this.opts.estimateSource,
      note: this.note,
    };
  }

  /** Emits the display when the mode's rules say so. */
  private show(fromTimer = false): void {
    if (this.mode === "quiet") return;
    const t = this.now();
    if (this.mode === "tty") {
      // a redraw skipped here shows on the next update or tick
      if (t - this.lastEmit >= (this.opts.ttyIntervalMs ?? 100)) this.emit(t);
      return;
    }
    // plain: the first update, then (once the step has run plainMinMs) each new step of plainStepPercent,
    // or plainEveryMs after the last line (or the start)
    const known = this.total !== undefined && this.total > 0;
    const step = known
      ? Math.floor(((this.done / this.total!) * 100) / (this.opts.plainStepPercent ?? 25))
      : -1;
    const since = Number.isFinite(this.lastEmit) ? this.lastEmit : this.started;
    const settled = t - this.started >= (this.opts.plainMinMs ?? 10000);
    const due =
      (!this.emittedOnce && !fromTimer) ||
      this.lastPlainStep === -2 ||
      (settled && known && step > this.lastPlainStep && this.done < this.total!) ||
      (settled && t - since >= (this.opts.plainEveryMs ?? 30000) && (this.changed || !known));
    if (!due) return;
    if (known) this.lastPlainStep = Math.max(this.lastPlainStep, step);
    this.emit(t);
  }

  private emit(t: number): void {
    this.lastEmit = t;
    this.emittedOnce = true;
    this.changed = false;
    this.sink(this.text(), true);
  }
}

/**
 * A sink for output outside the task list (`mlprof setup`): on a terminal live messages redraw one status
 * line in place and other messages are printed above it; otherwise every message is a line of its own.
 */
export function lineSink(
  print: (line: string) => void,
  mode: ProgressMode = progressMode(),
  stream: NodeJS.WriteStream = process.stdout,
): ProgressSink & { clear(): void } {
  let shown = false;
  const clear = () => {
    if (shown) stream.write("\r\x1b[2K");
    shown = false;
  };
  const sink = (message: string, live?: boolean) => {
    if (mode === "tty" && live) {
      const width = Math.max(20, (stream.columns || 100) - 1);
      stream.write(`\r\x1b[2K${message.length > width ? message.slice(0, width - 1) + "…" : message}`);
      shown = true;
      return;
    }
    if (mode === "quiet" && live) return;
    clear();
    print(message);
  };
  return Object.assign(sink, { clear });
}
