/**
 * Piped output stays short (issue 15): with MLPROF_PROGRESS=plain a run of several measurement tasks
 * prints a few lines per task however often the measurement processes report, the task lines count the
 * tasks and the last one carries the run's elapsed time; `mlprof setup tfaot` on a built runtime says
 * where it is and how long its build took.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { after, test } from "node:test";
import { FIXTURES, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
after(() => data.cleanup());

/** The lines printed before the result table (the progress display). */
const progressLines = (stdout: string) => {
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  // progress ends where the results begin: the warnings of the run (a busy machine), then the tables
  const end = lines.findIndex(
    (l) => l.startsWith("runtime per call") || stripVTControlCharacters(l).startsWith("warning:"),
  );
  return end < 0 ? lines : lines.slice(0, end);
};

test("plain progress of a run: few lines, tasks counted, the last with the elapsed time", async () => {
  const res = await mlprof(
    [
      "run",
      "MergeRuntimes",
      "--version",
      "progress",
      "--model-file",
      join(FIXTURES, "identity.yaml"),
      "--model-name",
      "identity",
      "--batch-sizes",
      "1,2",
      // 20 events: the measurement processes report progress 20 times each
      "--n-events",
      "20",
      "--n-calls",
      "200",
      "--repeats",
      "1",
    ],
    data.env,
  );
  assert.equal(res.code, 0, res.stderr);
  const lines = progressLines(res.stdout);
  // 5 tasks: a start and an end line each, and at most 2 bar lines per measurement process
  assert.ok(lines.length <= 5 * 2 + 2 * 2, `${lines.length} lines:\n${lines.join("\n")}`);
  assert.ok(lines.some((l) => /\[1\/5\] MeasureRepeat/.test(l)));
  assert.ok(
    lines.some((l) => /batch size 1: 4000 calls in \d+:\d\d$/.test(l)),
    lines.join("\n"),
  );
  assert.match(lines.at(-1)!, /\[5\/5\] MergeRuntimes.* · (\d+\.\d s|\d+:\d\d) · all 5 in \d+:\d\d$/);
});

test("setup tfaot on a built runtime: already built, where, how long its build took, few lines", async () => {
  const res = await mlprof(["setup", "tfaot"], data.env);
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stdout.split("\n").filter((l) => l.trim() !== "");
  assert.ok(lines.length <= 6, lines.join("\n"));
  assert.ok(
    lines.some((l) =>
      /^XLA AOT runtime: already built: .*libtf_xla_runtime\.a \(its build took \d+:\d\d\)$/.test(l),
    ),
    lines.join("\n"),
  );
  assert.match(lines.at(-1)!, /^ready in \d+:\d\d$/);
});
