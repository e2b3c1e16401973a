/**
 * Hostile inputs (issue 19, items 4, 7, 8 and the smaller ones): data folders under /proc or naming a file,
 * FIFOs, values and ranges beyond their dtype, inputs beyond the memory, graph files that are not what
 * their engine loads, misspelt, repeated and contradicting flags, parameters beyond sane bounds. Every case
 * asserts its message (naming the variable, file, field or flag, what was expected and what was found),
 * its exit code and that the store holds exactly what it held before.
 *
 * Cases refused before any measurement run through the CLI's own entry (`main` of src/cli.ts) in this
 * process; those that hung before (a /proc path) or need a cgroup run the built `mlprof` with a timeout.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { EXAMPLES, FIXTURES, REPO, tempData, type CliResult } from "../helpers/cli.js";
import { inProcessCli, storeSnapshot } from "../helpers/in-process.js";
import { describeUnless, needRoot } from "../helpers/skip.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
const locks = join(data.dir, "locks");
data.env.MLPROF_LOCK_DIR = locks;
Object.assign(process.env, {
  MLP_DATA: data.dir,
  MLP_STORE: "",
  MLPROF_PROGRESS: "quiet",
  MLPROF_LOCK_DIR: locks,
  FORCE_COLOR: "0",
});
const { main } = await import("../../src/cli.js");

const scratch = mkdtempSync(join(tmpdir(), "mlprof-inputs-"));
cpSync(join(FIXTURES, "identity.onnx"), join(scratch, "identity.onnx"));
after(() => {
  data.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

const cli = inProcessCli(main);

/**
 * Runs the built `mlprof` with extra environment, killed (SIGKILL) after `limitMs`: a run that hangs
 * (as one with a /proc store did, at 100 % CPU, deaf to SIGTERM) fails the test instead of stalling it.
 * With `cgroupProcs` it runs inside that cgroup (its cgroup.procs file).
 */
function spawned(
  args: string[],
  env: Record<string, string>,
  limitMs = 30_000,
  cgroupProcs?: string,
): Promise<CliResult> {
  const argv = [join(REPO, "bin", "mlprof.js"), ...args];
  const [command, commandArgs] = cgroupProcs
    ? ["sh", ["-c", `echo $$ > ${cgroupProcs} && exec "$0" "$@"`, process.execPath, ...argv]]
    : [process.execPath, argv];
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArgs, {
      env: { ...data.env, ...env },
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const snapshot = () => storeSnapshot(data.store);

/** Writes a file into the scratch folder (beside identity.onnx) and returns its path. */
function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}
/** A model file of `engine` with graph `graph` and the given inputs (yaml lines). */
const model = (engine: string, graph: string, inputs: string) =>
  `model:\n  inference_engine: ${engine}\n  file: ${graph}\n  inputs:\n${inputs}  outputs:\n    - name: output\n`;
/** A model file of identity.onnx with one input of the given lines besides its name. */
const identityWith = (name: string, lines: string) =>
  file(name, model("onnx", "./identity.onnx", `    - name: input\n${lines}`));

const identity = join(FIXTURES, "identity.yaml");
const measure = (modelFile: string, ...extra: string[]) => [
  "run",
  "MeasureRuntime",
  "--version",
  "hostile",
  "--model-file",
  modelFile,
  "--repeats",
  "1",
  "--n-calls",
  "5",
  ...extra,
];

interface Case {
  name: string;
  args: () => string[];
  message: RegExp;
  /** A hint the error must carry. */
  hint?: RegExp;
  /** Environment for the run. */
  env?: () => Record<string, string>;
  /** Run the built mlprof in its own process, killed after 30 s (a case that hung). */
  spawn?: boolean;
}

/** Runs the cases of a table: message, exit code 1, no stack trace, and the store as it was. */
function table(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) {
      test(c.name, async () => {
        const before = snapshot();
        const started = Date.now();
        const env = c.env?.() ?? {};
        const res = c.spawn ? await spawned(c.args(), env) : await cli(c.args(), env);
        assert.equal(res.signal, null, `killed after ${Date.now() - started} ms (it hung); ${res.stderr}`);
        assert.equal(res.code, 1, `exit code; stderr: ${res.stderr}\nstdout: ${res.stdout}`);
        assert.match(res.stderr, /^error: /m);
        assert.match(res.stderr, c.message);
        if (c.hint) assert.match(res.stderr, c.hint);
        assert.doesNotMatch(res.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, "no stack trace");
        assert.deepEqual(snapshot(), before, "the store is unchanged");
      });
    }
  });
}

const aFile = () => file("not-a-folder", "x\n");

table("data folders under /proc or naming a file (item 4)", [
  {
    name: "MLP_STORE=/proc/1/x: one error naming MLP_STORE and /proc, no hang",
    spawn: true,
    env: () => ({ MLP_STORE: "/proc/1/x" }),
    args: () => measure(identity),
    message:
      /^error: cannot use \/proc\/1\/x as the store \(MLP_STORE\): \/proc\/1 is on \/proc \(a pseudo file system of the kernel\), where no folders can be made$/m,
    hint: /^hint: point MLP_STORE \(or MLP_DATA\) to a writable folder/m,
  },
  {
    name: "MLP_DATA=/proc/1/x: the store inside it, named by MLP_DATA, no hang",
    spawn: true,
    env: () => ({ MLP_DATA: "/proc/1/x", MLP_STORE: "" }),
    args: () => measure(identity),
    message:
      /^error: cannot use \/proc\/1\/x\/store as the store \(<MLP_DATA>\/store\): \/proc\/1 is on \/proc/m,
  },
  {
    name: "MLPROF_LOCK_DIR=/proc/1/x: one error naming MLPROF_LOCK_DIR, no hang",
    spawn: true,
    env: () => ({ MLPROF_LOCK_DIR: "/proc/1/x" }),
    args: () => measure(identity),
    message:
      /^error: cannot use \/proc\/1\/x as the folder of the host-wide lock of timed work \(MLPROF_LOCK_DIR\): \/proc\/1 is on \/proc/m,
    hint: /^hint: point MLPROF_LOCK_DIR to a writable folder, or unset it$/m,
  },
  {
    name: "MLP_SOFTWARE=/proc/1/x (a tf model builds its runner there): one error naming MLP_SOFTWARE, no hang",
    spawn: true,
    env: () => ({ MLP_SOFTWARE: "/proc/1/x" }),
    args: () => measure(join(EXAMPLES, "dnn", "model_tf_l10u128.yaml")),
    message:
      /^error: cannot use \/proc\/1\/x as the folder of tool-managed software \(MLP_SOFTWARE\): \/proc\/1 is on \/proc/m,
  },
  {
    name: "MLPROF_LOCK_DIR naming a file: 'it is a file, not a folder', not a bare EEXIST … mkdir",
    env: () => ({ MLPROF_LOCK_DIR: aFile() }),
    args: () => measure(identity),
    message:
      /^error: cannot use .*\/not-a-folder as the folder of the host-wide lock of timed work \(MLPROF_LOCK_DIR\): it is a file, not a folder$/m,
  },
  {
    name: "MLP_SOFTWARE below a file: the file named, not a bare ENOTDIR or EEXIST",
    spawn: true,
    env: () => ({ MLP_SOFTWARE: join(aFile(), "software") }),
    args: () => measure(identity),
    message:
      /^error: cannot use .*\/not-a-folder\/software as the folder of tool-managed software \(MLP_SOFTWARE\): .*\/not-a-folder is a file, not a folder$/m,
  },
]);

table("values and ranges beyond their dtype (item 7)", [
  {
    name: "value 1e20 for an int64 input (was fed as 7766279631452241920)",
    args: () => measure(identityWith("int64.yaml", "      dtype: int64\n      value: 1e20\n    - name: x\n")),
    message:
      /int64\.yaml: field 'model\.inputs\[0\]\.value': expected an integer within ±2\^53 = ±9007199254740992 .*found 100000000000000000000$/m,
  },
  {
    name: "range [-1e12, 1e12] for an int32 input",
    args: () => measure(identityWith("int32.yaml", "      dtype: int32\n      range: [-1e12, 1e12]\n")),
    message:
      /int32\.yaml: field 'model\.inputs\[0\]\.range': expected \[low, high\) with values from -2147483648 to 2147483647 \(int32\), found \[-1000000000000,1000000000000\]$/m,
  },
  {
    name: "value .nan for an int32 input: reported as NaN, not null",
    args: () => measure(identityWith("nan.yaml", "      dtype: int32\n      value: .nan\n    - name: x\n")),
    message:
      /nan\.yaml: field 'model\.inputs\[0\]\.value': expected an integer .*\(int32 has no NaN\), found NaN$/m,
  },
  {
    name: "value 1e39 for a float32 input (would become infinity)",
    args: () => measure(identityWith("f32.yaml", "      value: 1e39\n    - name: x\n")),
    message:
      /f32\.yaml: field 'model\.inputs\[0\]\.value': expected a float32 number within ±3\.4028234663852886e\+38/,
  },
  {
    name: "a NUL byte in an input name: refused and shown escaped, not raw",
    args: () => measure(identityWith("nul.yaml", '      shape: [1]\n    - name: "in\\0put"\n')),
    message:
      /nul\.yaml: field 'model\.inputs\[1\]\.name': expected an input name \(without control characters\), found "in\\u0000put"$/m,
  },
]);

table("inputs beyond the memory (item 8)", [
  {
    name: "shape [1e9] at batch size 100: refused before the process starts, naming bytes and limit",
    args: () => measure(identityWith("huge.yaml", "      shape: [1e9]\n"), "--batch-size", "100"),
    message:
      /^error: the inputs of .*huge\.yaml at batch size 100 need 373 GiB \(400000000000 bytes\), more than the .* available here \((MemAvailable of \/proc\/meminfo|the limit of the cgroup .*)\)$/m,
    hint: /^hint: measure smaller batch sizes/m,
  },
  {
    name: "--batch-size 10000000 of a wide input: refused the same way",
    args: () => measure(identityWith("wide.yaml", "      shape: [100000]\n"), "--batch-size", "10000000"),
    message:
      /^error: the inputs of .*wide\.yaml at batch size 10000000 need 3\.6 TiB \(4000000000000 bytes\)/m,
  },
]);

const graph = (name: string, engine: string, graphName: string) =>
  file(name, model(engine, `./${graphName}`, "    - name: input\n"));

table("odd model files", [
  {
    name: "an empty .onnx: said so, no 'ModelProto does not have a graph' with a C++ signature",
    args: () => (file("empty.onnx", ""), measure(graph("empty.yaml", "onnx", "empty.onnx"))),
    message:
      /empty\.yaml: field 'model\.file': expected an ONNX model \(a ModelProto\) for the onnx engine, found an empty file: '.*\/empty\.onnx'$/m,
  },
  {
    name: "a frozen graph renamed .onnx: 'found a TensorFlow frozen graph (a GraphDef)'",
    args: () => {
      cpSync(join(EXAMPLES, "dnn", "frozen_graph_l10u128.pb"), join(scratch, "renamed.onnx"));
      return measure(graph("renamed.yaml", "onnx", "renamed.onnx"));
    },
    message:
      /renamed\.yaml: field 'model\.file': expected an ONNX model \(a ModelProto\) for the onnx engine, found a TensorFlow frozen graph \(a GraphDef\)/,
  },
  {
    name: "an .onnx given to the tf engine: refused, not loaded as an empty graph",
    args: () => measure(graph("tf-onnx.yaml", "tf", "identity.onnx")),
    message:
      /tf-onnx\.yaml: field 'model\.file': expected a TensorFlow frozen graph \(a GraphDef\) for the tf engine, found an ONNX model \(a ModelProto\): '.*\/identity\.onnx'$/m,
  },
  {
    name: "a Git LFS pointer as the model: 'run git lfs pull'",
    args: () => {
      file(
        "lfs.onnx",
        "version https://git-lfs.github.com/spec/v1\n" +
          "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
      );
      return measure(graph("lfs.yaml", "onnx", "lfs.onnx"));
    },
    message:
      /lfs\.yaml: field 'model\.file': '.*\/lfs\.onnx' is a Git LFS pointer, not the model: run git lfs pull$/m,
    hint: /^hint: run git lfs pull/m,
  },
  {
    name: "a FIFO as model.file: named as a FIFO, never opened (no hang)",
    spawn: true,
    args: () => {
      execFileSync("mkfifo", [join(scratch, "fifo.onnx")]);
      return measure(graph("fifo.yaml", "onnx", "fifo.onnx"));
    },
    message:
      /fifo\.yaml: field 'model\.file': expected an existing file, found "a FIFO \(named pipe\): .*\/fifo\.onnx"$/m,
  },
  {
    name: "a FIFO as the model yaml: refused, never read",
    spawn: true,
    args: () => {
      execFileSync("mkfifo", [join(scratch, "pipe.yaml")]);
      return measure(join(scratch, "pipe.yaml"));
    },
    message: /model file .*\/pipe\.yaml is not a file/,
  },
  {
    name: "a model file of two YAML documents: said so, no library call recommended",
    args: () => measure(file("two.yaml", "model:\n  inference_engine: onnx\n---\nmodel: {}\n")),
    message:
      /^error: the model file .*\/two\.yaml holds 2 YAML documents \(separated by '---'\); expected one$/m,
  },
]);

table("misspelt, repeated and contradicting flags", [
  {
    name: "a misspelt option: did you mean the declared one",
    args: () => measure(identity, "--thread", "2"),
    message: /^error: Unknown argument: thread$/m,
    hint: /^hint: did you mean --threads \(for thread\)\? See --help for every option$/m,
  },
  {
    name: "a misspelt option of submit: did you mean, too",
    args: () => [
      "submit",
      "--version",
      "v",
      "--model-files",
      identity,
      "--batch-systm",
      "slurm",
      "--dry-run",
    ],
    message: /^error: Unknown argument: batch-systm$/m,
    hint: /did you mean --batch-system \(for batch-systm\)\?/,
  },
  {
    name: "--print-status with --remove-output",
    args: () => measure(identity, "--print-status", "0", "--remove-output", "0,a"),
    message: /^error: --print-status and --remove-output cannot be combined/m,
  },
  {
    name: "a terminal escape sequence in a value: shown escaped, never sent raw to the terminal",
    args: () => measure(identity, "--threads", "1\u001b[2J\n"),
    message: /^error: --threads: expected an integer, found '1\\u001b\[2J\\n'$/m,
  },
  {
    name: "--remove-output 0,a,y,y",
    args: () => measure(identity, "--remove-output", "0,a,y,y"),
    message:
      /^error: --remove-output: expected 'depth\[,a\|i\|d\]\[,y\]' with at most one mode and each part once, found '0,a,y,y' \('y' twice\)$/m,
  },
]);

table("parameters beyond sane bounds", [
  {
    name: "--threads 100000",
    args: () => measure(identity, "--threads", "100000"),
    message:
      /^error: --threads: expected at most \d+ \(4 per CPU of this host, which has \d+, and at least 64\), found 100000$/m,
  },
  {
    name: "--warmup-duration 1e20",
    args: () => measure(identity, "--warmup-duration", "1e20"),
    message: /^error: --warmup-duration: expected at most 86400 \(a day\), found 100000000000000000000$/m,
  },
  {
    name: "--cpu-affinity 0-1000000 (would have become part of the path)",
    args: () => measure(identity, "--cpu-affinity", "0-1000000"),
    message:
      /^error: --cpu-affinity: expected a CPU list such as 0 or 0-3 or 1,3 \(CPU numbers at most 8191\), found '0-1000000'$/m,
  },
  {
    name: "--repeats 100000 with --print-status: refused at once (took > 90 s)",
    args: () => ["run", "PlotRuntimes", "--version", "v", "--repeats", "100000", "--print-status", "0"],
    message:
      /^error: --repeats: expected at most 1000 \(more processes hardly narrow the interval\), found 100000$/m,
  },
  {
    name: "--cpu-affinity of a CPU this host does not have: refused before any process, naming the CPUs here",
    args: () => measure(identity, "--cpu-affinity", String(availableParallelism() + 5)),
    message: new RegExp(
      `--cpu-affinity: expected CPUs of this host \\([0-9,-]+\\), found '${availableParallelism() + 5}': no CPU ${availableParallelism() + 5} here$`,
      "m",
    ),
  },
]);

/** Where a memory cgroup can be made: cgroup v1's memory hierarchy, or v2 with its memory controller. */
function cgroupBase(): { dir: string; limitFile: string } | undefined {
  if (existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes"))
    return { dir: "/sys/fs/cgroup/memory", limitFile: "memory.limit_in_bytes" };
  const controllers = "/sys/fs/cgroup/cgroup.subtree_control";
  if (existsSync(controllers) && readFileSync(controllers, "utf8").includes("memory"))
    return { dir: "/sys/fs/cgroup", limitFile: "memory.max" };
  return undefined;
}

/** A memory cgroup limited to `limit` bytes: its cgroup.procs file, and its removal. */
function memoryCgroup(limit: number): { procs: string; remove: () => void } {
  const base = cgroupBase()!;
  const dir = join(base.dir, `mlprof-inputs-test-${process.pid}`);
  mkdirSync(dir);
  writeFileSync(join(dir, base.limitFile), String(limit));
  return { procs: join(dir, "cgroup.procs"), remove: () => rmdirSync(dir) };
}

const cgroupSkip =
  needRoot("a memory cgroup") ||
  (cgroupBase() ? false : "no memory cgroup can be made here (cgroup v1 or v2 with memory)");
describeUnless(cgroupSkip, "a measurement beyond its memory limit (item 8)", () => {
  test("stopped before the OOM killer, naming the limit and the memory; nothing in the store", async () => {
    const cgroup = memoryCgroup(2 ** 30);
    try {
      const before = snapshot();
      // 256 MiB of inputs fit into 1 GiB; the activations of 10 layers of 128 units at batch size 1e6 do not
      const args = measure(join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"), "--batch-size", "1000000");
      const res = await spawned(args, {}, 120_000, cgroup.procs);
      assert.equal(res.code, 1, res.stderr);
      assert.match(
        res.stderr,
        /measurement process of .*model_onnx_l10u128\.yaml at batch size 1000000 (was stopped \(SIGKILL\) when the memory available fell to .* \(the limit of the cgroup .*\)|was killed by SIGKILL — probably by the kernel's OOM killer)/,
      );
      assert.deepEqual(snapshot(), before, "the store is unchanged");
    } finally {
      cgroup.remove();
    }
  });
});

test("a single-valued option given twice: the last one counts, as with law's argparse, but not silently", async () => {
  const res = await cli(measure(identity, "--threads", "1", "--threads", "2", "--print-output", "0"));
  assert.equal(res.code, 0, res.stderr);
  const warnings = res.stderr.split("\n").filter((l) => l.startsWith("warning: --threads is given"));
  assert.deepEqual(warnings, ["warning: --threads is given 2 times ('1', '2'): the last one counts"]);
  assert.match(res.stdout, /__threads_2__/);
});
