/**
 * What the progress displays count (issue 15): the scheduler's ETA from finished tasks, pip's collected
 * and installed packages, the XLA runtime's build steps and expected build time, and the measurement
 * process's progress lines.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { remainingSeconds } from "../../src/framework/scheduler.js";
import { collectedPackages, distName, installedDists } from "../../src/pyenv/venv.js";
import {
  buildStep,
  DEFAULT_XLA_BUILD_CORE_SECONDS,
  ensureXlaRuntime,
  estimateXlaBuild,
} from "../../src/engines/tfaot/xla-runtime.js";
import { progressReport } from "../../src/measure/progress-line.js";

const tmp = mkdtempSync(join(tmpdir(), "mlprof-progress-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("the ETA of the tasks left: their family's mean time, else the mean of all finished", () => {
  assert.equal(remainingSeconds([], ["A", "B"]), undefined);
  const finished = [
    { family: "MeasureRepeat", seconds: 10 },
    { family: "MeasureRepeat", seconds: 20 },
    { family: "MergeRuntimes", seconds: 3 },
  ];
  // two repeats at 15 s, one MeasureRuntime at the overall mean 11 s
  assert.equal(remainingSeconds(finished, ["MeasureRepeat", "MeasureRepeat", "MeasureRuntime"]), 41);
  assert.equal(remainingSeconds(finished, []), 0);
});

test("pip: the packages of 'Installing collected packages', and dist-info names as wheels spell them", () => {
  assert.deepEqual(collectedPackages("Installing collected packages: absl-py, google-pasta, Keras"), [
    "absl-py",
    "google-pasta",
    "Keras",
  ]);
  assert.equal(collectedPackages("Collecting numpy>=1.26"), undefined);
  assert.equal(distName("Google-Pasta"), "google_pasta");
  assert.equal(distName("zope.interface"), "zope_interface");
  const site = join(tmp, "venv", "lib", "python3.11", "site-packages");
  mkdirSync(join(site, "google_pasta-0.2.0.dist-info"), { recursive: true });
  mkdirSync(join(site, "absl_py-2.5.0.dist-info"));
  mkdirSync(join(site, "absl"));
  assert.deepEqual([...installedDists(join(tmp, "venv"))].sort(), ["absl_py", "google_pasta"]);
  assert.equal(installedDists(join(tmp, "none")).size, 0);
});

test("XLA runtime build steps: ninja's [k/n], make's [ p%], nothing else", () => {
  assert.deepEqual(buildStep("[3/22] Building CXX object CMakeFiles/x.dir/a.cc.o"), {
    done: 3,
    total: 22,
    unit: "steps",
  });
  assert.deepEqual(buildStep("[ 13%] Building CXX object CMakeFiles/x.dir/a.cc.o"), {
    done: 13,
    total: 100,
    unit: "%",
  });
  assert.equal(buildStep("-- Configuring done"), undefined);
});

test("XLA runtime build estimate: the last recorded build, scaled by jobs; else the documented default", () => {
  const parent = join(tmp, "tfaot");
  mkdirSync(parent, { recursive: true });
  const none = estimateXlaBuild(parent, 2);
  assert.equal(none.seconds, DEFAULT_XLA_BUILD_CORE_SECONDS / 2);
  assert.match(none.source, /about 4 min on 2 cores/);
  assert.equal(estimateXlaBuild(parent, 64).seconds, 60); // never under a minute

  const record = (name: string, buildSeconds: number, builtAt: string, jobs?: number) => {
    mkdirSync(join(parent, name), { recursive: true });
    writeFileSync(join(parent, name, "build.json"), JSON.stringify({ buildSeconds, builtAt, jobs }));
  };
  record("xla-runtime-2.20.0-aaaa", 500, "2026-01-01T00:00:00Z", 2);
  record("xla-runtime-2.21.0-bbbb", 240, "2026-02-01T00:00:00Z", 4);
  mkdirSync(join(parent, "xla-runtime-2.22.0-cccc.tmp-123"));
  const est = estimateXlaBuild(parent, 8);
  assert.equal(est.seconds, 120); // 240 s with 4 jobs → 120 s with 8
  assert.equal(est.source, "the last build took 4:00 with 4 jobs");
});

test("measurement progress lines are parsed; other output is not", () => {
  assert.deepEqual(progressReport('{"type":"progress","done":500,"total":1000,"phase":"timed calls"}'), {
    done: 500,
    total: 1000,
    phase: "timed calls",
  });
  assert.deepEqual(progressReport('{"type":"progress","done":4,"total":0,"phase":"windows until stable"}'), {
    done: 4,
    total: 0,
    phase: "windows until stable",
  });
  assert.equal(progressReport('{"type":"other"}'), undefined);
  assert.equal(progressReport("2026-12-01 some log {"), undefined);
  assert.equal(progressReport("{not json"), undefined);
});

test("the XLA runtime build: an estimate first, then ninja's steps; recorded, then found built with its time", async () => {
  // a fake cmake on PATH: configuring does nothing, building prints ninja's steps and writes the library
  const bin = join(tmp, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, "cmake"),
    [
      "#!/bin/sh",
      'if [ "$1" = "--build" ]; then',
      '  for k in 1 2 3 4; do echo "[$k/4] Building CXX object x$k.o"; done',
      '  mkdir -p "$2" && : > "$2/libtf_xla_runtime.a"',
      "fi",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  const libDir = join(tmp, "tf", "tensorflow");
  mkdirSync(join(libDir, "xla_aot_runtime_src"), { recursive: true });
  writeFileSync(join(libDir, "xla_aot_runtime_src", "CMakeLists.txt"), "");
  const tf = {
    venv: { dir: join(tmp, "tf"), python: "python3" },
    version: "0.0.1",
    libDir,
    includeDir: join(libDir, "include"),
  };
  const env = {
    ...process.env,
    PATH: `${bin}:/usr/bin:/bin`,
    MLP_SOFTWARE: join(tmp, "software"),
    MLPROF_PROGRESS: "plain",
  };
  const messages: string[] = [];
  const built = await ensureXlaRuntime(tf, (m) => messages.push(m), env);
  assert.equal(built.cached, false);
  assert.match(messages[0]!, /once; about \d+:\d\d: a default: about 4 min on 2 cores/);
  assert.match(messages[1]!, /^XLA AOT runtime \[░+\] ~0 % · about .* left .* · configuring$/);
  assert.ok(
    messages.some((m) => /\d+ % \(\d\/4 steps\)/.test(m)),
    messages.join("\n"),
  );
  assert.match(messages.at(-1)!, /^XLA AOT runtime: built .*libtf_xla_runtime\.a in \d+:\d\d$/);
  assert.ok(messages.length <= 5, messages.join("\n"));
  const record = JSON.parse(readFileSync(join(dirname(built.library), "build.json"), "utf8")) as {
    buildSeconds: number;
    jobs: number;
  };
  assert.ok(record.buildSeconds > 0 && record.jobs >= 1);
  const again = await ensureXlaRuntime(tf, (m) => messages.push(m), env);
  assert.equal(again.cached, true);
  assert.equal(again.buildSeconds, record.buildSeconds);
  // the next build of another version expects as long as this one took
  assert.match(estimateXlaBuild(join(tmp, "software", "tfaot"), record.jobs).source, /^the last build took/);
});
