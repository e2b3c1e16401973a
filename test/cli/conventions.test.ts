/**
 * The command line's conventions: help without required options, typed options with their choices and real
 * defaults, one message per error, `--version`, examples in task help, law's tree and removal flags, and
 * output names without doubled prefixes.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, existsSync } from "node:fs";
import { dirname } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { after, test } from "node:test";
import { treePrefixes } from "../../src/framework/interactive.js";
import type { TreeNode } from "../../src/framework/scheduler.js";
import type { Task } from "../../src/framework/task.js";
import { mlprof, tempData } from "../helpers/cli.js";

const data = tempData();
after(() => data.cleanup());
const run = (...args: string[]) => mlprof(args, data.env);
const plain = (text: string) => stripVTControlCharacters(text);

test("mlprof --version prints the version and the revision", async () => {
  const res = await run("--version");
  assert.equal(res.code, 0, res.stderr);
  assert.match(res.stdout, /^mlprof \d+\.\d+\.\d+(\+[0-9a-f]{12}(-dirty)?)?\n$/);
});

test("-h shows help, also of a task whose --version is required", async () => {
  const top = await run("-h");
  assert.equal(top.code, 0, top.stderr);
  for (const command of ["run", "setup", "plot", "releases", "submit", "collect", "cancel", "cleanup"])
    assert.match(top.stdout, new RegExp(`mlprof ${command} `));
  const task = await run("run", "PlotRuntimes", "-h");
  assert.equal(task.code, 0, task.stderr);
  assert.equal(task.stderr, "");
  const out = task.stdout.replace(/\s+/g, " ");
  assert.match(
    out,
    /--version name of the version of the outputs; each version has its own set of outputs \[string\] \[required\]/,
  );
  assert.match(out, /--n-calls number of timed inference calls per event \[integer\] \[default: 100\]/);
  assert.match(out, /--error-style .* \[string\] \[choices: band, bars\] \[default: band\]/);
  assert.match(out, /--input-data .* \[choices: random, incremental, zeros, ones, <ROOT file>\]/);
  assert.match(out, /--y-log .* \[boolean\] \[default: False\]/);
  assert.match(out, /Examples: .*: mlprof run PlotRuntimes --version v1 /);
});

test("defaults in help are the real ones, not placeholders", async () => {
  const res = await run("submit", "--help");
  assert.equal(res.code, 0, res.stderr);
  const out = res.stdout.replace(/\s+/g, " ");
  assert.match(out, /--ssh-port SSH port \[integer\] \[default: from --ssh-host, else 22\]/);
  assert.match(out, /--request-cpus CPUs per job \[integer\] \[default: --threads; /);
  assert.match(out, /--batch-system .*\[choices: htcondor, slurm\]/);
  assert.doesNotMatch(out, /\[default: 0\] *--(ssh-port|request-cpus)/);
  assert.doesNotMatch(out, /--(ssh-port|request-cpus) [^[]*\[integer\] \[default: 0\]/);
});

test("one message per error: a missing required option, an unknown one", async () => {
  const missing = await run("run", "MeasureRuntime");
  assert.equal(missing.code, 1);
  assert.equal(
    plain(missing.stderr)
      .split("\n")
      .filter((l) => l.startsWith("error:")).length,
    1,
  );
  assert.match(plain(missing.stderr), /^error: --version is required: name of the version/);
  assert.doesNotMatch(missing.stderr, /Missing required argument/);
  const unknown = await run("run", "PlotRuntimes", "--version", "v", "--yLog", "True");
  assert.equal(unknown.code, 1);
  assert.match(plain(unknown.stderr), /^error: Unknown argument: yLog$/m);
});

test("numbers are checked by MLProf, not parsed by yargs: 0x2 and 1e3 batch sizes are refused", async () => {
  const res = await run("run", "MeasureRuntime", "--version", "v", "--batch-size", "0x2");
  assert.equal(res.code, 1);
  assert.match(plain(res.stderr), /--batch-size: expected an integer, found '0x2'/);
});

test("--print-status draws the tree with ├── and └──", async () => {
  const res = await run(
    "run",
    "MergeRuntimes",
    "--version",
    "tree",
    "--batch-sizes",
    "1,2",
    "--repeats",
    "2",
    "--print-status",
    "-1",
  );
  assert.equal(res.code, 0, res.stderr);
  const lines = plain(res.stdout).split("\n");
  const heads = lines.filter((l) => /(^| )\d > /.test(l));
  assert.deepEqual(
    heads.map((l) => l.slice(0, l.indexOf(">") + 1)),
    ["0 >", "├── 1 >", "│   ├── 2 >", "│   └── 2 >", "└── 1 >", "    ├── 2 >", "    └── 2 >"],
  );
  assert.doesNotMatch(res.stdout, /model_model_/, "no doubled model_ prefix in output paths");
  assert.match(res.stdout, /\/model_tf_l10u128_[0-9a-f]{8}__input_random/);
});

test("tree prefixes: a node's outputs continue the line to its children", () => {
  const task = { id: "x" } as unknown as Task;
  const nodes: TreeNode[] = [
    { task, depth: 0 },
    { task, depth: 1, parent: 0 },
    { task, depth: 2, parent: 1 },
    { task, depth: 1, parent: 0 },
  ];
  assert.deepEqual(treePrefixes(nodes), [
    { head: "", body: "│" },
    { head: "├── ", body: "│   │" },
    { head: "│   └── ", body: "│        ".slice(0, 8) + " " },
    { head: "└── ", body: "     " },
  ]);
});

test("--remove-output N,i without a terminal lists the files and says how to answer; nothing is removed", async () => {
  const args = ["run", "MeasureRuntime", "--version", "rm", "--batch-size", "2", "--repeats", "1"];
  const outputs = (await run(...args, "--print-output", "0")).stdout.trim().split("\n");
  assert.equal(outputs.length, 2);
  for (const out of outputs) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, "x");
  }
  const res = await run(...args, "--remove-output", "0,i");
  assert.equal(res.code, 1);
  for (const out of outputs) {
    assert.ok(res.stdout.includes(out), "each file is listed");
    assert.ok(existsSync(out), "nothing is removed");
  }
  assert.match(
    plain(res.stderr),
    /--remove-output 0,i asks before each removal, and there is no terminal to answer on: nothing was removed \(2 files listed above\)/,
  );
  assert.match(plain(res.stderr), /hint: to remove them without questions: --remove-output 0,a/);
});
