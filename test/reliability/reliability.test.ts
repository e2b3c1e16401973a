/**
 * MLProf tried as a hostile or careless user would (issue 13): bad yaml, bad parameters, hostile values,
 * broken store files, interrupts, concurrent runs and file systems that refuse writes. Every case asserts
 * its message (naming the file, field or parameter, what was expected and what was found), its exit code
 * and that the store holds exactly what it held before — or, for the faults a run recovers from, exactly
 * the right result.
 *
 * The cases that fail before any measurement run through the CLI's own entry (`main` of src/cli.ts, which
 * bin/mlprof.js calls) in this process, a few milliseconds each; those that need a measurement process,
 * a signal or a second process run the built `mlprof`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXAMPLES, FIXTURES, listFiles, mlprof, tempData, type CliResult } from "../helpers/cli.js";
import { inProcessCli, storeSnapshot } from "../helpers/in-process.js";
import { needRoot } from "../helpers/skip.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
const locks = join(data.dir, "locks");
data.env.MLPROF_LOCK_DIR = locks;
// the in-process runs see the same environment as the spawned ones
Object.assign(process.env, {
  MLP_DATA: data.dir,
  MLP_STORE: "",
  MLPROF_PROGRESS: "quiet",
  MLPROF_LOCK_DIR: locks,
  FORCE_COLOR: "0",
});
const { main } = await import("../../src/cli.js");
const { processStartTime } = await import("../../src/util/procs.js");
const { outputLockDir } = await import("../../src/store.js");
const { TASKS } = await import("../../src/tasks/registry.js");

const scratch = mkdtempSync(join(tmpdir(), "mlprof-reliability-"));
cpSync(join(FIXTURES, "identity.onnx"), join(scratch, "identity.onnx"));
after(() => {
  data.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const cli = inProcessCli(main);

const snapshot = () => storeSnapshot(data.store);

/** Writes a model file into the scratch folder (beside identity.onnx) and returns its path. */
function yaml(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}
const onnx = (inputs: string, outputs = "    - name: output\n", extra = "") =>
  `model:\n  inference_engine: onnx\n  file: ./identity.onnx\n${extra}  inputs:\n${inputs}  outputs:\n${outputs}`;
const input = "    - name: input\n      shape: [1]\n";

const identity = join(FIXTURES, "identity.yaml");
const dnn = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
/** The seed measurement every case must leave untouched (and the store-file cases copy and break). */
const seedArgs = ["--model-file", identity, "--model-name", "seed", "--n-calls", "20", "--repeats", "1"];
const measure = (...extra: string[]) => ["run", "MeasureRuntime", "--version", "bad", ...seedArgs, ...extra];
const merge = (version: string) => [
  "run",
  "MergeRuntimes",
  "--version",
  version,
  ...seedArgs,
  "--batch-sizes",
  "1",
];

let seedDir = "";
before(async () => {
  const res = await mlprof(["run", "MeasureRuntime", "--version", "seed", ...seedArgs], data.env);
  assert.equal(res.code, 0, res.stderr);
  const csv = listFiles(data.store).find(
    (f) => f.startsWith("MeasureRuntime/") && f.endsWith("runtime_bs_1.csv"),
  )!;
  seedDir = dirname(join(data.store, csv));
});

/** A copy of the seed measurement as version `version`, broken by `breakIt(csv, json)`. */
function brokenCopy(version: string, breakIt: (csv: string, json: string) => void): void {
  const dir = join(dirname(seedDir), version);
  cpSync(seedDir, dir, { recursive: true });
  breakIt(join(dir, "runtime_bs_1.csv"), join(dir, "runtime_bs_1.json"));
}
const seedCsv = () => readFileSync(join(seedDir, "runtime_bs_1.csv"), "utf8");
const seedRows = () =>
  seedCsv()
    .split("\n")
    .filter((l) => l.startsWith("1,"));
const seedHeader = () =>
  seedCsv()
    .split("\n")
    .filter((l) => l.startsWith("#"));

/** A lock held by this (live) test process, as another run of MLProf would hold it. */
function holdLock(lockDir: string, what: string): () => void {
  mkdirSync(lockDir, { recursive: true });
  const owner = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    what,
    start: processStartTime(process.pid),
  };
  writeFileSync(join(lockDir, "owner.json"), JSON.stringify(owner));
  return () => rmSync(lockDir, { recursive: true, force: true });
}

interface Case {
  name: string;
  args: string[] | (() => string[]);
  message: RegExp;
  /** Expected exit code (default 1). */
  code?: number;
  /** Prepares the store or files; runs before the store is recorded. */
  setup?: () => void;
  /** Must fail within this many milliseconds (fast refusals of huge inputs). */
  withinMs?: number;
}

const digits7 = "{0,1,2,3,4,5,6,7,8,9}".repeat(7);

/** Bad parameters and hostile values: refused before anything is written. */
const parameters: Case[] = [
  {
    name: "--version ..",
    args: measure("--version", ".."),
    message: /--version: expected a name .*found '\.\.' \(a name of dots only, which leaves its folder\)/,
  },
  {
    name: "--version .",
    args: measure("--version", "."),
    message: /--version: .*found '\.' \(a name of dots only/,
  },
  { name: "--version ...", args: measure("--version", "..."), message: /--version: .*found '\.\.\.'/ },
  {
    name: "--version ../escape",
    args: measure("--version", "../escape"),
    message: /--version: .*found '\.\.\/escape' \(the character '\/'\)/,
  },
  {
    name: "--version a/b",
    args: measure("--version", "a/b"),
    message: /--version: .*\(the character '\/'\)/,
  },
  {
    name: "--version empty",
    args: measure("--version", ""),
    message: /--version: .*found '' \(an empty name\)/,
  },
  {
    name: "--version .hidden",
    args: measure("--version", ".tmp"),
    message: /--version: .*found '\.tmp' \(a leading '\.'\)/,
  },
  {
    name: "--version with a newline",
    args: measure("--version", "v1\nv2"),
    message: /--version: .*found 'v1\\nv2' \(the character '\\n'\)/,
  },
  {
    name: "--version of 300 characters",
    args: measure("--version", "v".repeat(300)),
    message: /--version: .*at most 150 characters, found 'vvv.*\.\.\.' \(300 characters\)/,
  },
  {
    name: "--version with a shell substitution",
    args: measure("--version", "$(touch /tmp/pwned)"),
    message: /--version: .*\(the character '\$'\)/,
  },
  {
    name: "--version with a semicolon",
    args: measure("--version", "v1;rm -rf ~"),
    message: /--version: .*\(the character ';'\)/,
  },
  {
    name: "--model-name ../x",
    args: measure("--model-name", "../x"),
    message: /--model-name: .*found '\.\.\/x'/,
  },
  {
    name: "--model-name with a space",
    args: measure("--model-name", "my model"),
    message: /--model-name: .*\(the character ' '\)/,
  },
  {
    name: "--cmssw-version empty",
    args: measure("--cmssw-version", ""),
    message: /--cmssw-version: .*found '' \(an empty name\)/,
  },
  {
    name: "--cmssw-version with a newline",
    args: measure("--cmssw-version", "CMSSW_14\nx"),
    message: /--cmssw-version: .*'CMSSW_14\\nx'/,
  },
  {
    name: "--scram-arch with a slash",
    args: measure("--scram-arch", "el9/amd64"),
    message: /--scram-arch: .*\(the character '\/'\)/,
  },
  {
    name: "--cmssw-versions with ..",
    args: [
      "run",
      "PlotMultiRuntimes",
      "--version",
      "bad",
      "--model-files",
      dnn,
      "--cmssw-versions",
      "CMSSW_14_1_0,..",
    ],
    message: /--cmssw-versions: .*found '\.\.'/,
  },
  {
    name: "--scram-archs with an empty item",
    args: ["run", "PlotMultiRuntimes", "--version", "bad", "--model-files", dnn, "--scram-archs", "el9,,el8"],
    message: /--scram-archs: expected a comma-separated list, found an empty item in 'el9,,el8'/,
  },
  {
    name: "--plot-postfix ..",
    args: ["run", "PlotRuntimes", "--version", "bad", ...seedArgs, "--plot-postfix", ".."],
    message: /--plot-postfix: .*found '\.\.'/,
  },
  {
    name: "--versions with ..",
    args: ["run", "CompareRuntimes", "--version", "bad", "--model-files", dnn, "--versions", "v1,.."],
    message: /--versions: .*found '\.\.'/,
  },
  {
    name: "--tfaot-batch-rules garbage",
    args: measure("--tfaot-batch-rules", "garbage!!"),
    message: /--tfaot-batch-rules: 'garbage!!' is not a rule 'target:size1,size2,\.\.\.'/,
  },
  {
    name: "--tfaot-batch-rules twice for one target",
    args: measure("--tfaot-batch-rules", "4:2,2-4:1,1,1,1"),
    message: /--tfaot-batch-rules: '4:2,2-4:1,1,1,1' has more than one rule for batch size 4/,
  },
  {
    name: "--tfaot-batch-rules of target 0",
    args: measure("--tfaot-batch-rules", "0:1"),
    message: /--tfaot-batch-rules: the target batch size '0' of the rule '0:1' is not a positive integer/,
  },
  {
    name: "--batch-sizes 1,,2",
    args: merge("bad").concat("--batch-sizes", "1,,2"),
    message: /--batch-sizes: expected a comma-separated list of integers, found an empty item in '1,,2'/,
  },
  {
    name: "--batch-sizes with a trailing comma",
    args: merge("bad").concat("--batch-sizes", "1,2,"),
    message: /--batch-sizes: .*found an empty item in '1,2,'/,
  },
  {
    name: "--batch-sizes 0x2",
    args: merge("bad").concat("--batch-sizes", "1,0x2"),
    message: /--batch-sizes: expected an integer, found '0x2'/,
  },
  {
    name: "--batch-size 0x2",
    args: measure("--batch-size", "0x2"),
    message: /--batch-size: expected an integer, found '0x2'/,
  },
  {
    name: "--batch-size 1e3",
    args: measure("--batch-size", "1e3"),
    message: /--batch-size: expected an integer, found '1e3'/,
  },
  {
    name: "--batch-size 0",
    args: measure("--batch-size", "0"),
    message: /--batch-size: expected a positive integer, found 0/,
  },
  {
    name: "--n-calls 0b11",
    args: measure("--n-calls", "0b11"),
    message: /--n-calls: expected an integer, found '0b11'/,
  },
  {
    name: "--n-calls -5",
    args: measure("--n-calls", "-5"),
    message: /--n-calls: expected a positive integer, found -5/,
  },
  {
    name: "--n-calls 2.5",
    args: measure("--n-calls", "2.5"),
    message: /--n-calls: expected an integer, found '2\.5'/,
  },
  {
    name: "--n-events beyond the safe integers",
    args: measure("--n-events", "99999999999999999999"),
    message: /--n-events: expected an integer, found '99999999999999999999'/,
  },
  {
    name: "--threads abc",
    args: measure("--threads", "abc"),
    message: /--threads: expected an integer, found 'abc'/,
  },
  {
    name: "--stability 0x1",
    args: measure("--stability", "0x1"),
    message: /--stability: expected a number, found '0x1'/,
  },
  {
    name: "--stability 1.5",
    args: measure("--stability", "1.5"),
    message: /--stability: expected a fraction in \(0, 1\), found 1\.5/,
  },
  {
    name: "--max-duration -1",
    args: measure("--max-duration", "-1"),
    message: /--max-duration: expected a number of seconds > 0, found -1/,
  },
  {
    name: "--min-duration NaN",
    args: measure("--min-duration", "NaN"),
    message: /--min-duration: expected a number, found 'NaN'/,
  },
  {
    name: "--warmup-duration Infinity",
    args: measure("--warmup-duration", "Infinity"),
    message: /--warmup-duration: expected a number, found 'Infinity'/,
  },
  {
    name: "--until-stable with --min-duration",
    args: measure("--until-stable", "--min-duration", "1"),
    message: /--until-stable and --min-duration both decide how long the timed calls go on/,
  },
  {
    name: "--until-stable maybe",
    args: measure("--until-stable", "maybe"),
    message: /--until-stable: expected True or False, found 'maybe'/,
  },
  {
    name: "--cpu-affinity with a command",
    args: measure("--cpu-affinity", "0;reboot"),
    message: /--cpu-affinity: expected a CPU list such as 0 or 0-3 or 1,3, found '0;reboot'/,
  },
  {
    name: "--input-data with a shell substitution",
    args: measure("--input-data", "$(rm -rf /)"),
    message: /--input-data: '\$\(rm -rf \/\)' is not one of random, incremental, zeros, ones/,
  },
  {
    name: "--executor slurm",
    args: measure("--executor", "slurm"),
    message: /--executor: expected one of local, cmssw, found 'slurm'/,
  },
  {
    name: "--engine-versions latest",
    args: measure("--engine-versions", "latest"),
    message: /--engine-versions: expected one of installed, release, found 'latest'/,
  },
  {
    name: "--onnx-library npm with the cmssw executor",
    args: measure("--onnx-library", "npm", "--executor", "cmssw"),
    message: /--onnx-library npm chooses the ONNX Runtime build the local executor measures/,
  },
  {
    name: "--repeats 0",
    args: measure("--repeats", "0"),
    message: /--repeats: expected a positive integer, found 0/,
  },
  {
    name: "brace expansion of 10^7 model files",
    args: ["run", "PlotMultiRuntimes", "--version", "bad", "--model-files", `m_${digits7}.yaml`],
    message: /--model-files: brace expansion: expected at most 10000 names, found more in 'm_\{0,1/,
    withinMs: 1000,
  },
  {
    name: "brace expansion of 300 groups",
    args: ["run", "PlotMultiRuntimes", "--version", "bad", "--model-files", "{a}".repeat(300)],
    message: /--model-files: brace expansion: expected at most 200 brace groups, found 300/,
    withinMs: 1000,
  },
  {
    name: "--model-files with an empty item",
    args: ["run", "PlotMultiRuntimes", "--version", "bad", "--model-files", `${dnn},,${dnn}`],
    message: /--model-files: expected a comma-separated list, found an empty item/,
  },
  {
    name: "--view-cmd that does not exist",
    args: ["run", "PlotRuntimes", "--version", "bad", ...seedArgs, "--view-cmd", "no-such-viewer-xyz --flag"],
    message: /--view-cmd: expected a command that exists, found 'no-such-viewer-xyz' \(not on PATH\)/,
  },
  {
    name: "--view-cmd path that does not exist",
    args: ["run", "PlotRuntimes", "--version", "bad", ...seedArgs, "--view-cmd", "/no/such/viewer"],
    message: /--view-cmd: .*found '\/no\/such\/viewer' \(not an executable file\)/,
  },
  {
    name: "--file-types jpg",
    args: ["run", "PlotRuntimes", "--version", "bad", ...seedArgs, "--file-types", "jpg"],
    message: /--file-types: expected some of pdf, png, svg, eps, found 'jpg'/,
  },
  {
    name: "--error-style dots",
    args: ["run", "PlotRuntimes", "--version", "bad", "--error-style", "dots"],
    message: /--error-style: expected one of band, bars, found 'dots'/,
  },
  {
    name: "--remove-output -1",
    args: measure("--remove-output", "-1,a"),
    message: /--remove-output: depth -1 is not allowed/,
  },
  {
    name: "--remove-output 0,x",
    args: measure("--remove-output", "0,x"),
    message: /--remove-output: expected 'depth\[,a\|i\|d\]\[,y\]', found '0,x'/,
  },
  {
    name: "--print-status abc",
    args: measure("--print-status", "abc"),
    message: /--print-status: expected a depth \(an integer >= -1\), found 'abc'/,
  },
  {
    name: "an unknown task",
    args: ["run", "MeasureRuntimes", "--version", "bad"],
    message: /unknown task 'MeasureRuntimes'\. Did you mean MeasureRuntime\?/,
  },
  { name: "a misspelt parameter", args: measure("--n-call", "5"), message: /Unknown arguments?: n-call/ },
  { name: "no --version", args: ["run", "MeasureRuntime", ...seedArgs], message: /--version is required/ },
  {
    name: "a model file that is /dev/zero",
    args: measure("--model-file", "/dev/zero"),
    message: /model file \/dev\/zero is not a file/,
  },
  {
    name: "a model file that is /etc/passwd",
    args: measure("--model-file", "/etc/passwd"),
    message: /model file \/etc\/passwd: field '\(top level\)': expected a mapping with a 'model' key/,
  },
];

/** Broken model files: named with the file and field, refused before anything is written. */
const modelFiles: Case[] = [
  {
    name: "yaml syntax error",
    args: () => measure("--model-file", yaml("syntax.yaml", "model:\n  name: [unclosed\n")),
    message: /model file .*syntax\.yaml is not valid YAML: /,
  },
  {
    name: "yaml alias bomb",
    args: () => {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 9; i++)
        levels.push(
          `${"abcdefghi"[i]}: &${"abcdefghi"[i]} [${Array(10)
            .fill(`*${"abcdefghi"[i - 1]}`)
            .join(", ")}]`,
        );
      return measure("--model-file", yaml("bomb.yaml", levels.join("\n") + "\nmodel: *i\n"));
    },
    message: /model file .*bomb\.yaml: its aliases expand to more than 100 copies/,
    withinMs: 2000,
  },
  {
    name: "a model file that does not exist",
    args: () => measure("--model-file", join(scratch, "absent.yaml")),
    message: /model file .*absent\.yaml does not exist/,
  },
  {
    name: "a folder as model file",
    args: () => measure("--model-file", scratch),
    message: /model file .* is not a file/,
  },
  {
    name: "a list at the top level",
    args: () => measure("--model-file", yaml("list.yaml", "- model\n")),
    message: /list\.yaml: field '\(top level\)': expected a mapping with a 'model' key, found \["model"\]/,
  },
  {
    name: "an unknown key in model",
    args: () => measure("--model-file", yaml("key.yaml", onnx(input, undefined, "  batchsize: 4\n"))),
    message: /key\.yaml: field 'model\.batchsize': expected one of the known keys/,
  },
  {
    name: "a model name that leaves its folder",
    args: () => measure("--model-file", yaml("name.yaml", onnx(input, undefined, "  name: ../../etc\n"))),
    message: /name\.yaml: field 'model\.name': expected a name of letters, digits/,
  },
  {
    name: "duplicate input names",
    args: () => measure("--model-file", yaml("dupin.yaml", onnx(input + input))),
    message: /dupin\.yaml: field 'model\.inputs\[1\]\.name': expected unique input names, found "input"/,
  },
  {
    name: "duplicate output names",
    args: () =>
      measure("--model-file", yaml("dupout.yaml", onnx(input, "    - name: output\n    - name: output\n"))),
    message: /dupout\.yaml: field 'model\.outputs\[1\]\.name': expected unique output names, found "output"/,
  },
  {
    name: "a negative dimension",
    args: () => measure("--model-file", yaml("neg.yaml", onnx("    - name: input\n      shape: [-1]\n"))),
    message:
      /neg\.yaml: field 'model\.inputs\[0\]\.shape': expected a list of positive integers \(without the batch dimension\), found \[-1\]/,
  },
  {
    name: "dtype float16",
    args: () =>
      measure(
        "--model-file",
        yaml("f16.yaml", onnx("    - name: input\n      shape: [1]\n      dtype: float16\n")),
      ),
    message:
      /f16\.yaml: field 'model\.inputs\[0\]\.dtype': expected one of float32, float64, int32, int64, bool, found "float16"/,
  },
  {
    name: "a constant of the wrong type",
    args: () =>
      measure("--model-file", yaml("val.yaml", onnx(input + "    - name: flag\n      value: yes please\n"))),
    message: /val\.yaml: field 'model\.inputs\[1\]\.value': expected a float32 number, found "yes please"/,
  },
  {
    name: "a range for a float input",
    args: () =>
      measure(
        "--model-file",
        yaml("range.yaml", onnx("    - name: input\n      shape: [1]\n      range: [0, 5]\n")),
      ),
    message: /range\.yaml: field 'model\.inputs\[0\]\.range': expected a range only for int32\/int64 inputs/,
  },
  {
    name: "batched as a string",
    args: () =>
      measure(
        "--model-file",
        yaml("batched.yaml", onnx('    - name: input\n      shape: [1]\n      batched: "yes"\n')),
      ),
    message: /batched\.yaml: field 'model\.inputs\[0\]\.batched': expected true or false, found "yes"/,
  },
  {
    name: "no inputs",
    args: () =>
      measure(
        "--model-file",
        yaml("noin.yaml", onnx("    []\n").replace("  inputs:\n    []\n", "  inputs: []\n")),
      ),
    message: /noin\.yaml: field 'model\.inputs': expected a non-empty list of inputs, found \[\]/,
  },
  {
    name: "1000 inputs",
    args: () =>
      measure(
        "--model-file",
        yaml(
          "many.yaml",
          onnx(Array.from({ length: 1000 }, (_, i) => `    - {name: in${i}, shape: [1]}\n`).join("")),
        ),
      ),
    message: /many\.yaml: field 'model\.inputs': expected fewer than 1000 inputs, found 1000/,
  },
  {
    name: "only constant inputs",
    args: () =>
      measure("--model-file", yaml("const.yaml", onnx("    - {name: input, shape: [1], value: 1}\n"))),
    message: /const\.yaml: field 'model\.inputs': expected at least one batched, non-constant input/,
  },
  {
    name: "a model file field naming a folder",
    args: () => measure("--model-file", yaml("dir.yaml", onnx(input).replace("./identity.onnx", "."))),
    message: /dir\.yaml: field 'model\.file': expected an existing file, found/,
  },
];

/** Broken files of the store: MergeRuntimes names them (and their line), and writes nothing. */
const storeFiles: Case[] = [
  {
    name: "a truncated measurement CSV",
    setup: () =>
      brokenCopy("trunc", (csv) =>
        writeFileSync(csv, [...seedHeader(), ...seedRows().slice(0, 9)].join("\n") + "\n"),
      ),
    args: merge("trunc"),
    message:
      /measurement .*\/trunc\/runtime_bs_1\.csv of the store is wrong: truncated CSV: 9 rows, expected n_events x n_calls = 1 x 20 = 20/,
  },
  {
    name: "an empty measurement CSV",
    setup: () => brokenCopy("empty", (csv) => writeFileSync(csv, "")),
    args: merge("empty"),
    message:
      /\/empty\/runtime_bs_1\.csv of the store is wrong: truncated CSV: 0 rows \(the file holds no rows\)/,
  },
  {
    name: "a row of another batch size",
    setup: () => brokenCopy("otherbs", (csv) => writeFileSync(csv, seedCsv().replace(/^1,/m, "2,"))),
    args: merge("otherbs"),
    message:
      /\/otherbs\/runtime_bs_1\.csv of the store is wrong: CSV has rows of batch size 2, expected 1 \(line \d+\)/,
  },
  {
    name: "a zero runtime",
    setup: () => brokenCopy("zero", (csv) => writeFileSync(csv, seedCsv().replace(/^1,[0-9.]+$/m, "1,0"))),
    args: merge("zero"),
    message:
      /\/zero\/runtime_bs_1\.csv of the store is wrong: CSV row 1 \(line \d+\) has a runtime of 0 ms, expected a positive value/,
  },
  {
    name: "an infinite runtime",
    setup: () =>
      brokenCopy("inf", (csv) => writeFileSync(csv, seedCsv().replace(/^1,[0-9.]+$/m, "1,Infinity"))),
    args: merge("inf"),
    message:
      /\/inf\/runtime_bs_1\.csv, line \d+: expected 'batch_size,runtime_ms' with a positive integer and a number, found '1,Infinity'/,
  },
  {
    name: "a cut-off last line",
    setup: () => brokenCopy("cut", (csv) => writeFileSync(csv, seedCsv().slice(0, -4))),
    args: merge("cut"),
    message:
      /\/cut\/runtime_bs_1\.csv of the store is wrong: truncated CSV: its last line '1,.*' is cut off \(line \d+\)/,
  },
  {
    name: "a truncated metadata JSON",
    setup: () =>
      brokenCopy("json", (_csv, json) => writeFileSync(json, readFileSync(json, "utf8").slice(0, 100))),
    args: merge("json"),
    message: /measurement metadata .*\/json\/runtime_bs_1\.json is not valid JSON \(.*\)/,
  },
  {
    name: "metadata of another batch size",
    setup: () =>
      brokenCopy("metabs", (_csv, json) =>
        writeFileSync(json, readFileSync(json, "utf8").replace('"batchSize": 1', '"batchSize": 4')),
      ),
    args: merge("metabs"),
    message:
      /measurement metadata .*\/metabs\/runtime_bs_1\.json of the store is wrong: it is of batch size 4, expected 1/,
  },
  {
    name: "repeat rows that do not add up",
    setup: () =>
      brokenCopy("reprows", (_csv, json) =>
        writeFileSync(
          json,
          readFileSync(json, "utf8").replace(
            '"rows": 20,\n      "medianMs"',
            '"rows": 15,\n      "medianMs"',
          ),
        ),
      ),
    args: () => merge("reprows"),
    message:
      /\/reprows\/runtime_bs_1\.csv of the store is wrong: its metadata .*\/reprows\/runtime_bs_1\.json \(repeats\[\]\.rows: 15\) does not give 1 process of 20 rows, 20 in all as the CSV holds/,
  },
];

/** Runs the cases of a table: message, exit code, and the store as it was. */
function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      test(c.name, async () => {
        c.setup?.();
        const before = snapshot();
        const started = Date.now();
        const res = await cli(typeof c.args === "function" ? c.args() : c.args);
        const took = Date.now() - started;
        assert.equal(res.code, c.code ?? 1, `exit code; stderr: ${res.stderr}\nstdout: ${res.stdout}`);
        assert.match(res.stderr, /^error: /m);
        assert.match(res.stderr, c.message);
        assert.doesNotMatch(res.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, "no stack trace");
        if (c.withinMs) assert.ok(took < c.withinMs, `refused in ${took} ms`);
        assert.deepEqual(snapshot(), before, "the store is unchanged");
      });
    }
  });
}

table("bad parameters and hostile values", parameters);
table("broken model files", modelFiles);
table("broken files of the store", storeFiles);

/** A case that runs the built `mlprof`: a measurement, a signal, a lock held by another process, a mount. */
interface SpawnCase {
  name: string;
  args: string[];
  message: RegExp;
  code: number;
  /** Prepares; returns a clean-up run after the case. */
  setup?: () => (() => void) | void;
  /** Sends `signal` once the output shows `when`. */
  kill?: { when: RegExp; signal: NodeJS.Signals };
  env?: NodeJS.ProcessEnv;
  /** The store (default: this test's) and what must hold of it afterwards (default: unchanged). */
  store?: () => string;
  check?: (before: Record<string, string>, after: Record<string, string>, res: CliResult) => void;
  skip?: string | false;
}

/** The store's files with hashes, of another store than this test's. */
const snapshotOf = (store: string) =>
  Object.fromEntries(
    listFiles(store).map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(store, f)))
        .digest("hex"),
    ]),
  );

/** The MeasureRepeat output of the seed settings at `version` (whose lock a case may hold). */
function repeatOutput(version: string): string {
  const family = TASKS.find((t) => t.name === "MeasureRepeat")!;
  const raw: Record<string, unknown> = { version, repeat: "1" };
  for (let i = 0; i < seedArgs.length; i += 2) raw[seedArgs[i]!.slice(2)] = seedArgs[i + 1];
  return family.create(raw).outputs()[0]!;
}
const hostLock = join(locks, "measurement.lock");
const long = (version: string, ...extra: string[]) => [
  "run",
  "MeasureRuntime",
  "--version",
  version,
  "--model-file",
  identity,
  "--n-events",
  "200",
  "--n-calls",
  "20000",
  "--repeats",
  "1",
  ...extra,
];
const progress = /batch size 1 .*\(\d+\/4000000 calls\)/;
const root = needRoot("mounting a tmpfs", "mount");
const mounts: string[] = [];
after(() => mounts.forEach((m) => execFileSync("umount", [m], { stdio: "ignore" })));

/** A tmpfs of 256 kB (full, or read-only) holding a store with one file; returns the store. */
function mountedStore(kind: "full" | "read-only"): string {
  const dir = mkdtempSync(join(tmpdir(), "mlprof-reliability-mount-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", dir]);
  mounts.push(dir);
  mkdirSync(join(dir, "store", "Old"), { recursive: true });
  writeFileSync(join(dir, "store", "Old", "kept.csv"), "1,0.5\n");
  if (kind === "full") {
    try {
      writeFileSync(join(dir, "filler"), Buffer.alloc(1024 * 1024));
    } catch {
      // full
    }
  } else {
    execFileSync("mount", ["-o", "remount,ro", dir]);
  }
  return join(dir, "store");
}
let fullStore = "";
let readOnlyStore = "";

const faults: SpawnCase[] = [
  {
    name: "SIGINT during a measurement",
    args: long("sigint"),
    kill: { when: progress, signal: "SIGINT" },
    code: 130,
    message: /measurement of .*identity\.yaml at batch size 1 was interrupted/,
  },
  {
    name: "SIGTERM during a measurement exits 143",
    args: long("sigterm"),
    kill: { when: progress, signal: "SIGTERM" },
    code: 143,
    message: /measurement of .*identity\.yaml at batch size 1 was interrupted/,
  },
  {
    name: "SIGINT while waiting for the host's timed work",
    args: long("waitint"),
    setup: () => holdLock(hostLock, "a measurement of another run"),
    kill: { when: /waiting for process/, signal: "SIGINT" },
    code: 130,
    message: new RegExp(
      `interrupted while waiting for the lock .*measurement\\.lock held by process ${process.pid} on .* \\(a measurement of another run\\)`,
    ),
  },
  {
    name: "SIGTERM while waiting for an output another run makes",
    args: measure("--version", "waitterm"),
    setup: () =>
      holdLock(outputLockDir("MeasureRepeat", repeatOutput("waitterm")), "MeasureRepeat seed of another run"),
    kill: { when: /waiting for process/, signal: "SIGTERM" },
    code: 143,
    message:
      /interrupted while waiting for the lock .*\.locks\/MeasureRepeat-[0-9a-f]{16}\.lock held by process \d+/,
  },
  {
    name: "--no-wait while another run measures on this host",
    args: measure("--version", "nowait", "--no-wait"),
    setup: () => holdLock(hostLock, "measuring a model of another run"),
    code: 1,
    message: new RegExp(
      `measuring a model of another run is in progress: process ${process.pid} on ${hostname()} holds .*measurement\\.lock since .*\\nhint: it ends on its own: run again later, or without --no-wait`,
    ),
  },
  {
    name: "--no-wait while another run makes the same output",
    args: measure("--version", "nowait2", "--no-wait"),
    setup: () =>
      holdLock(
        outputLockDir("MeasureRepeat", repeatOutput("nowait2")),
        "MeasureRepeat seed, made by another run",
      ),
    code: 1,
    message:
      /MeasureRepeat seed, made by another run is in progress: process \d+ on .* holds .*\.locks\/MeasureRepeat-/,
  },
  {
    name: "a store on a full disk",
    args: measure("--version", "full"),
    setup: () => void (fullStore ||= mountedStore("full")),
    env: { MLP_STORE: "" },
    store: () => fullStore,
    code: 1,
    message: /cannot write into the store .*\/store: no space left on device \(ENOSPC\)/,
    skip: root,
  },
  {
    name: "a store on a read-only file system",
    args: measure("--version", "ro"),
    setup: () => void (readOnlyStore ||= mountedStore("read-only")),
    store: () => readOnlyStore,
    code: 1,
    message: /cannot write into the store .*\/store: read-only file system \(EROFS\)/,
    skip: root,
  },
];

describe("interrupts, concurrent runs and file systems that refuse writes", () => {
  for (const c of faults) {
    test(c.name, { skip: c.skip ?? false }, async () => {
      const cleanup = c.setup?.();
      const store = c.store?.() ?? data.store;
      const before = snapshotOf(store);
      let sent = false;
      const env = { ...data.env, ...(c.store ? { MLP_STORE: store } : {}) };
      const res = await mlprof(c.args, env, {
        onStdout: (text, kill) => {
          if (c.kill && !sent && c.kill.when.test(text)) {
            sent = true;
            kill(c.kill.signal);
          }
        },
      });
      try {
        if (c.kill) assert.ok(sent, `never saw ${c.kill.when}: ${res.stdout}`);
        assert.equal(res.code, c.code, `exit code; stderr: ${res.stderr}`);
        assert.match(res.stderr, /^error: /m);
        assert.match(res.stderr, c.message);
        assert.deepEqual(snapshotOf(store), before, "the store is unchanged (the other run's lock included)");
      } finally {
        cleanup?.();
      }
    });
  }
});

describe("faults a run recovers from, with exactly the right result", () => {
  test("a lock of a killed run on the output and on the host's timed work: taken over, the result measured once", async () => {
    const dead = {
      pid: 2 ** 22 + 1,
      host: hostname(),
      since: "2020-01-01T00:00:00Z",
      what: "a killed run",
      start: "1",
    };
    for (const lock of [hostLock, outputLockDir("MeasureRepeat", repeatOutput("stale"))]) {
      mkdirSync(lock, { recursive: true });
      writeFileSync(join(lock, "owner.json"), JSON.stringify(dead));
    }
    const before = snapshot();
    const res = await mlprof(measure("--version", "stale"), data.env);
    assert.equal(res.code, 0, res.stderr);
    assert.doesNotMatch(res.stdout, /waiting for process/);
    const added = Object.keys(snapshot()).filter((f) => !(f in before));
    assert.deepEqual(added.map((f) => f.split("/").slice(-2).join("/")).sort(), [
      "stale/runtime_bs_1.csv",
      "stale/runtime_bs_1.json",
      "stale/runtime_bs_1_repeat_1.csv",
      "stale/runtime_bs_1_repeat_1.json",
    ]);
    const csv = added.find((f) => f.startsWith("MeasureRuntime/") && f.endsWith(".csv"))!;
    assert.equal(
      readFileSync(join(data.store, csv), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("1,")).length,
      20,
    );
  });

  test("temporaries of killed runs (in .tmp, and beside the outputs of a task that runs again) are removed, the outputs kept", async () => {
    const tag = (pid: number) =>
      `${createHash("sha256").update(hostname()).digest("hex").slice(0, 6)}-${pid}-1`;
    const tmp = join(data.store, ".tmp", `measure-${tag(2 ** 22 + 3)}-aaaaaa`);
    mkdirSync(tmp, { recursive: true });
    writeFileSync(join(tmp, "runtime.csv"), "1,0.");
    const args = ["run", "MergeRuntimes", "--version", "seed", ...seedArgs, "--batch-sizes", "1"];
    const raw: Record<string, unknown> = { version: "seed", "batch-sizes": "1" };
    for (let i = 0; i < seedArgs.length; i += 2) raw[seedArgs[i]!.slice(2)] = seedArgs[i + 1];
    const [mergedCsv] = TASKS.find((t) => t.name === "MergeRuntimes")!
      .create(raw)
      .outputs();
    mkdirSync(dirname(mergedCsv!), { recursive: true });
    const sibling = join(dirname(mergedCsv!), `.runtimes_bs_1.csv.tmp-${tag(2 ** 22 + 5)}-bbbbbb`);
    writeFileSync(sibling, "1,0.");
    const seed = snapshotOf(seedDir);
    const res = await mlprof(args, data.env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(listFiles(join(data.store, ".tmp")), [], "the killed measurement's temporary is gone");
    assert.deepEqual(listFiles(dirname(mergedCsv!)), ["runtimes_bs_1.csv", "runtimes_bs_1.json"]);
    assert.deepEqual(snapshotOf(seedDir), seed, "the measurement merged is unchanged");
  });
});
