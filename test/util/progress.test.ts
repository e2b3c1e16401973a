import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatDuration,
  formatProgress,
  formatRate,
  lineSink,
  ProgressBar,
  renderBar,
  type ProgressMode,
} from "../../src/util/progress.js";

test("durations are m:ss, from an hour on h:mm:ss", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(12.4), "0:12");
  assert.equal(formatDuration(65), "1:05");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(-3), "0:00");
  assert.equal(formatDuration(Number.NaN), "0:00");
});

test("rates keep two or three significant digits", () => {
  assert.equal(formatRate(3.2, "calls"), "3.2 calls/s");
  assert.equal(formatRate(0.426, "steps"), "0.43 steps/s");
  assert.equal(formatRate(45.04, "calls"), "45 calls/s");
  assert.equal(formatRate(1234.5, "calls"), "1235 calls/s");
  assert.equal(formatRate(241404, "calls"), "241k calls/s");
});

test("the bar fills its cells by the fraction, clamped", () => {
  assert.equal(renderBar(0.6), "[██████░░░░]");
  assert.equal(renderBar(0), "[░░░░░░░░░░]");
  assert.equal(renderBar(1.5), "[██████████]");
  assert.equal(renderBar(0.5, 4), "[██░░]");
});

test("a known total shows bar, percentage, count, rate, ETA and elapsed time", () => {
  const text = formatProgress({
    label: "",
    done: 60,
    total: 100,
    unit: "calls",
    elapsedSeconds: 65,
    rate: 3.2,
  });
  assert.equal(text, "[██████░░░░] 60 % (60/100 calls) · 3.2 calls/s · ETA 0:13 · 1:05 elapsed");
  const pct = formatProgress({
    label: "XLA AOT runtime",
    done: 13,
    total: 100,
    unit: "%",
    elapsedSeconds: 30,
    rate: 0.5,
  });
  assert.equal(pct, "XLA AOT runtime [█░░░░░░░░░] 13 % · ETA 2:54 · 0:30 elapsed");
  // 3/22 steps at 0.03 steps/s (10:33 left) and 2:34 left of the estimate: 19/22 of this, 3/22 of that
  const blended = formatProgress({
    label: "XLA",
    done: 3,
    total: 22,
    unit: "steps",
    elapsedSeconds: 76,
    rate: 0.03,
    estimateSeconds: 230,
  });
  assert.equal(blended, "XLA [█░░░░░░░░░] 13 % (3/22 steps) · 0.03 steps/s · ETA ~3:39 · 1:16 elapsed");
  const noRate = formatProgress({ label: "x", done: 0, total: 4, unit: "steps", elapsedSeconds: 1 });
  assert.equal(noRate, "x [░░░░░░░░░░] 0 % (0/4 steps) · 0:01 elapsed");
});

test("an unknown total shows the count and the elapsed time, or the estimate", () => {
  assert.equal(
    formatProgress({ label: "pip: collecting", done: 7, unit: "packages", elapsedSeconds: 45 }),
    "pip: collecting: 7 packages · 0:45 elapsed",
  );
  assert.equal(formatProgress({ label: "venv", done: 0, elapsedSeconds: 3 }), "venv · 0:03 elapsed");
  const est = {
    label: "XLA",
    done: 0,
    unit: "steps",
    estimateSeconds: 300,
    estimateSource: "the last build",
  };
  assert.equal(
    formatProgress({ ...est, elapsedSeconds: 120, note: "configuring" }),
    "XLA [████░░░░░░] ~40 % · about 3:00 left · the last build · 2:00 elapsed · configuring",
  );
  assert.equal(
    formatProgress({ ...est, elapsedSeconds: 330 }),
    "XLA [█████████░] ~99 % · longer than the estimated 5:00 · the last build · 5:30 elapsed",
  );
});

/** A bar on a clock the test moves, and the messages it emitted. */
function fakeBar(mode: ProgressMode, opts: { total?: number; unit?: string } = {}) {
  let now = 0;
  const lines: { message: string; live: boolean | undefined }[] = [];
  const bar = new ProgressBar((message, live) => lines.push({ message, live }), {
    label: "batch size 1",
    unit: opts.unit ?? "calls",
    total: opts.total,
    mode,
    now: () => now,
  });
  return { bar, lines, at: (seconds: number) => (now = Math.round(seconds * 1000)) };
}

test("plain: the first update, each 25 % once the step has run 10 s, and the end", () => {
  const { bar, lines, at } = fakeBar("plain", { total: 1000 });
  for (let s = 1; s <= 100; s++) {
    at(s);
    bar.update(s * 10);
  }
  at(101);
  bar.finish();
  assert.deepEqual(
    lines.map((l) => l.message.split(" · ")[0]),
    [
      "batch size 1 [░░░░░░░░░░] 1 % (10/1000 calls)",
      "batch size 1 [██░░░░░░░░] 25 % (250/1000 calls)",
      "batch size 1 [█████░░░░░] 50 % (500/1000 calls)",
      "batch size 1 [███████░░░] 75 % (750/1000 calls)",
      "batch size 1: 1000 calls in 1:41",
    ],
  );
  assert.deepEqual(
    lines.map((l) => l.live),
    [true, true, true, true, false],
  );
  // the rate counts from the first update: 10 calls/s, the ETA from it
  assert.match(lines[1]!.message, /10 calls\/s · ETA 1:15 · 0:25 elapsed$/);
});

test("plain: a short step gives its first and its last line only", () => {
  const { bar, lines, at } = fakeBar("plain", { total: 100 });
  for (let i = 1; i <= 100; i++) {
    at(i * 0.05);
    bar.update(i);
  }
  bar.finish();
  assert.equal(lines.length, 2);
  assert.equal(lines[1]!.message, "batch size 1: 100 calls in 0:05");
});

test("plain: without a total, a line every 30 s while it runs (also from the timer)", () => {
  const { bar, lines, at } = fakeBar("plain", { unit: "packages" });
  at(0);
  bar.tick(); // the timer alone does not print the first line
  assert.equal(lines.length, 0);
  bar.update(1);
  for (let s = 1; s <= 95; s++) {
    at(s);
    if (s % 10 === 0) bar.update(s / 10);
    else bar.tick();
  }
  bar.finish("done");
  assert.deepEqual(
    lines.map((l) => l.message),
    [
      "batch size 1: 1 packages · 0:00 elapsed",
      "batch size 1: 3 packages · 0:30 elapsed",
      "batch size 1: 6 packages · 1:00 elapsed",
      "batch size 1: 9 packages · 1:30 elapsed",
      "batch size 1: done in 1:35",
    ],
  );
});

test("plain: a total learnt on the way (a build's first step) gives one line when it comes", () => {
  const { bar, lines, at } = fakeBar("plain", { unit: "steps" });
  bar.setNote("configuring");
  at(2);
  bar.setNote(undefined);
  bar.update(1, 22);
  bar.update(2, 22);
  at(3);
  bar.finish();
  assert.deepEqual(
    lines.map((l) => l.message.split(" · ")[0]),
    ["batch size 1: 0 steps", "batch size 1 [░░░░░░░░░░] 4 % (1/22 steps)", "batch size 1: 2 steps in 0:03"],
  );
});

test("plain: with a total, no 30 s line while nothing changes", () => {
  const { bar, lines, at } = fakeBar("plain", { total: 10, unit: "steps" });
  bar.update(1);
  for (let s = 1; s <= 120; s++) {
    at(s);
    bar.tick();
  }
  assert.equal(lines.length, 1);
});

test("tty: every update redraws (at most every 100 ms), live; quiet: the end alone", () => {
  const tty = fakeBar("tty", { total: 100 });
  for (let i = 1; i <= 100; i++) {
    tty.at(i * 0.05);
    tty.bar.update(i);
  }
  tty.bar.finish();
  assert.equal(tty.lines.filter((l) => l.live).length, 50);
  assert.equal(tty.lines.at(-1)!.live, false);

  const quiet = fakeBar("quiet", { total: 100 });
  for (let i = 1; i <= 100; i++) quiet.bar.update(i);
  quiet.bar.finish();
  assert.deepEqual(
    quiet.lines.map((l) => l.message),
    ["batch size 1: 100 calls in 0:00"],
  );
});

test("a stopped bar shows nothing more", () => {
  const { bar, lines } = fakeBar("tty", { total: 10 });
  bar.stop();
  bar.update(5);
  bar.setNote("x");
  bar.tick();
  assert.equal(lines.length, 0);
});

test("lineSink: live messages redraw one terminal line, other messages are printed above it", () => {
  let written = "";
  const stream = {
    columns: 80,
    write: (s: string) => ((written += s), true),
  } as unknown as NodeJS.WriteStream;
  const printed: string[] = [];
  const sink = lineSink((l) => printed.push(l), "tty", stream);
  sink("bar 1", true);
  sink("bar 2", true);
  sink("a line");
  assert.equal(written, "\r\x1b[2Kbar 1\r\x1b[2Kbar 2\r\x1b[2K");
  assert.deepEqual(printed, ["a line"]);

  const plain: string[] = [];
  const p = lineSink((l) => plain.push(l), "plain", stream);
  p("bar", true);
  p("line");
  assert.deepEqual(plain, ["bar", "line"]);
});
