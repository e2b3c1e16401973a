/**
 * The skip paths of the test suite: a prerequisite withheld with $MLPROF_TEST_WITHOUT (or missing)
 * skips its suite through the runner, the run counts it under "skipped", and the reporter of
 * `npm test` lists every skipped suite and test with its file and reason at the end.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { FIXTURES, REPO } from "../helpers/cli.js";
import { SkipCollector, type TestEvent } from "../helpers/reporter.js";
import { firstSkip, needCommands, needRoot, withheld } from "../helpers/skip.js";

const saved = process.env.MLPROF_TEST_WITHOUT;
afterEach(() => {
  if (saved === undefined) delete process.env.MLPROF_TEST_WITHOUT;
  else process.env.MLPROF_TEST_WITHOUT = saved;
});

describe("prerequisite checks", () => {
  test("$MLPROF_TEST_WITHOUT withholds the prerequisites it names, whatever is installed", () => {
    process.env.MLPROF_TEST_WITHOUT = "chromium, Slurm";
    assert.ok(withheld("slurm") && withheld("chromium"));
    assert.ok(!withheld("sshd"));
    assert.equal(
      needCommands("slurm", ["sh"], "apt-get install slurm-wlm"),
      "slurm withheld by MLPROF_TEST_WITHOUT",
    );
    assert.equal(needCommands("sshd", ["sh"], "apt-get install openssh-server"), false);
  });

  test("a missing command is named with how to install it", () => {
    delete process.env.MLPROF_TEST_WITHOUT;
    const skip = needCommands("xrootd", ["sh", "mlprof-no-such-command"], "apt-get install xrootd-server");
    assert.equal(
      skip,
      "xrootd: mlprof-no-such-command missing (apt-get install xrootd-server, or ./setup.sh --test)",
    );
  });

  test("root: withheld as root or as the prerequisite that needs it; firstSkip gives the first reason only", () => {
    process.env.MLPROF_TEST_WITHOUT = "mount";
    assert.equal(needRoot("mounting a tmpfs", "mount"), "mount withheld by MLPROF_TEST_WITHOUT");
    process.env.MLPROF_TEST_WITHOUT = "root";
    assert.equal(needRoot("slurmd"), "root withheld by MLPROF_TEST_WITHOUT");
    let evaluated = false;
    const later = () => ((evaluated = true), "later");
    assert.equal(
      firstSkip(() => needRoot("slurmd"), later),
      "root withheld by MLPROF_TEST_WITHOUT",
    );
    assert.equal(evaluated, false, "checks after the first reason are not run");
    assert.equal(
      firstSkip(() => false, later),
      "later",
    );
  });
});

describe("the list of skipped suites and tests", () => {
  const event = (type: string, data: Partial<TestEvent["data"]>): TestEvent => ({
    type,
    data: { name: "", nesting: 0, file: join(REPO, "test", "a", "x.test.ts"), ...data },
  });

  test("each skip with its file, suites and reason; passing tests are not listed", () => {
    const c = new SkipCollector();
    c.add(event("test:start", { name: "outer" }));
    c.add(event("test:start", { name: "inner", nesting: 1 }));
    c.add(event("test:start", { name: "t1", nesting: 2 }));
    c.add(event("test:pass", { name: "t1", nesting: 2, skip: "no Chromium found" }));
    c.add(event("test:start", { name: "t2", nesting: 2 }));
    c.add(event("test:pass", { name: "t2", nesting: 2 }));
    c.add(event("test:start", { name: "other", nesting: 1 }));
    c.add(event("test:pass", { name: "other", nesting: 1, skip: true }));
    c.add(event("test:start", { name: "s" }));
    c.add(event("test:pass", { name: "s", skip: "why", details: { type: "suite" } }));
    c.add(
      event("test:pass", {
        name: "live Slurm (whole suite, test/batch/slurm.test.ts)",
        file: join(REPO, "test", "helpers", "skip.ts"),
        skip: "slurm withheld by MLPROF_TEST_WITHOUT",
      }),
    );
    assert.deepEqual(
      c.skipped.map((s) => `${s.path} — ${s.reason}`),
      [
        "test/a/x.test.ts › outer › inner › t1 — no Chromium found",
        "test/a/x.test.ts › outer › other — no reason given",
        "test/a/x.test.ts › s (whole suite) — why",
        "test/batch/slurm.test.ts › live Slurm (whole suite) — slurm withheld by MLPROF_TEST_WITHOUT",
      ],
    );
    assert.match(
      c.summary(),
      /^\n4 skipped:\nskipped: test\/a\/x\.test\.ts › outer › inner › t1 — no Chromium found\n/,
    );
    assert.equal(new SkipCollector().summary(), "", "nothing skipped: no list");
  });

  /** Runs the fixture suites the way `npm test` runs the test files (as a run of its own, not a child of this one). */
  const run = (without: string) =>
    spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--test",
        "--test-reporter=./test/helpers/reporter.mjs",
        "--test-reporter-destination=stdout",
        join(FIXTURES, "skips", "suites.ts"),
      ],
      {
        cwd: REPO,
        encoding: "utf8",
        env: { ...process.env, NODE_TEST_CONTEXT: undefined, MLPROF_TEST_WITHOUT: without, NO_COLOR: "1" },
      },
    );

  test("npm test's reporter: a suite whose prerequisite is withheld is counted and listed, with the reason", () => {
    const res = run("slurm");
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /ℹ pass 1\n/);
    assert.match(res.stdout, /ℹ skipped 2\n/);
    const list = res.stdout.slice(res.stdout.lastIndexOf("ℹ duration_ms"));
    assert.match(list, /\n2 skipped:\n/);
    assert.ok(
      list.includes(
        "skipped: test/fixtures/skips/suites.ts › a suite needing Slurm (whole suite) — slurm withheld by MLPROF_TEST_WITHOUT\n",
      ),
      list,
    );
    assert.ok(
      list.includes(
        "skipped: test/fixtures/skips/suites.ts › a suite that runs › needs Chromium — no Chromium found\n",
      ),
      list,
    );
  });

  test("npm test's reporter: with the prerequisite there the suite runs and only the skipped test is listed", () => {
    const res = run("");
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /ℹ pass 3\n/);
    assert.match(res.stdout, /ℹ skipped 1\n/);
    assert.doesNotMatch(res.stdout, /whole suite/);
    assert.match(res.stdout, /\n1 skipped:\nskipped: .*needs Chromium — no Chromium found\n$/);
  });
});
