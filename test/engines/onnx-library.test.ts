/**
 * The ONNX Runtime build measured (--onnx-library): by default the onnxruntime wheel's (through the native
 * runner that embeds its Python extension), else the library the npm package ships (through onnxruntime-node's
 * binding); which one a process really mapped is checked and recorded, both compute the same outputs, their
 * measurements lie apart, and a wheel pip cannot install is one clear error with nothing left in the store.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { getEngine } from "../../src/engines/registry.js";
import { loadModelFile } from "../../src/engines/modelfile.js";
import { bundledPackage } from "../../src/engines/onnx/packages.js";
import { shippedLibrary } from "../../src/engines/onnx/library.js";
import { measureJob } from "../../src/measure/job.js";
import { engineJobFields } from "../../src/engines/params.js";
import { INPUT_SEED } from "../../src/record/measurement.js";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { testRun } from "../helpers/job.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();

describe("the ONNX Runtime library of onnxruntime-node", () => {
  const data = tempData();
  after(() => data.cleanup());
  before(() => ensureBuilt());
  const onnx = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
  const measure = (extra: string[], version = "lib", env = data.env) =>
    mlprof(
      [
        "run",
        "MeasureRuntime",
        "--version",
        version,
        "--model-file",
        onnx,
        "--n-calls",
        "20",
        "--repeats",
        "1",
        ...extra,
      ],
      env,
    );
  const outputs = (stdout: string) =>
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("/"));

  test("by default the wheel's CPU library, the npm package's with --onnx-library npm: recorded, apart", async () => {
    const wheel = await measure([]);
    const npm = await measure(["--onnx-library", "npm"]);
    assert.equal(wheel.code, 0, wheel.stderr);
    assert.equal(npm.code, 0, npm.stderr);
    const [wheelCsv, wheelJson] = outputs(wheel.stdout);
    const [npmCsv, npmJson] = outputs(npm.stdout);
    assert.doesNotMatch(wheelCsv!, /ortlib/);
    assert.match(npmCsv!, /__ortlib_npm\/lib\/runtime_bs_1\.csv$/);

    const a = JSON.parse(readFileSync(wheelJson!, "utf8"));
    assert.equal(a.process.engine.libraryKind, "pypi");
    // the wheel links ONNX Runtime into its Python extension, which the native runner embeds
    assert.match(
      a.process.engine.library,
      /\/venvs\/onnxruntime-1\.30\.0\/.*\/onnxruntime\/capi\/onnxruntime_pybind11_state\.cpython-\d+-x86_64-linux-gnu\.so$/,
    );
    assert.match(a.process.engine.binding, /run_with_iobinding/);
    assert.match(a.process.preparation.onnxLibrary.sha256, /^[0-9a-f]{64}$/);
    assert.match(a.process.preparation.onnxLibrary.build, /git-commit-id=\w+/);
    assert.match(readFileSync(wheelCsv!, "utf8"), /^1,[0-9.]+\n/, "the CSV holds the rows only");

    const b = JSON.parse(readFileSync(npmJson!, "utf8"));
    assert.equal(b.process.engine.libraryKind, "npm");
    assert.equal(b.process.engine.library, shippedLibrary(bundledPackage()));
    assert.notEqual(a.process.preparation.onnxLibrary.sha256, b.process.preparation.onnxLibrary.sha256);
    assert.equal(a.process.engine.version, b.process.engine.version);
  });

  /** A job of the DNN example with --onnx-library `kind`, prepared by the engine (3 calls, 1 warm-up). */
  async function preparedJob(kind: string, batchSize: number, dir: string, dump = false) {
    const spec = loadModelFile(onnx);
    const engine = getEngine("onnx");
    const job = measureJob({
      engine: "onnx",
      modelPath: engine.local.modelPath(spec),
      modelLabel: "",
      inputs: spec.inputs,
      outputs: spec.outputs.map((o) => o.name),
      batchSize,
      run: testRun({ nCalls: 3, nWarmup: 1, onnxLibrary: kind }),
      engineFields: engineJobFields("onnx", testRun({ onnxLibrary: kind })),
      seed: INPUT_SEED,
      dir,
      dump,
    });
    await engine.local.prepare?.(job, spec, () => {}, undefined);
    return job;
  }

  test("both libraries compute the same outputs on the same inputs", async () => {
    const engine = getEngine("onnx");
    const dumps: { outputs: Record<string, { data: number[] }> }[] = [];
    for (const kind of ["pypi", "npm"]) {
      const dir = mkdtempSync(join(tmpdir(), "mlprof-ortlib-"));
      try {
        const job = await preparedJob(kind, 4, dir, true);
        const jobFile = join(dir, "job.json");
        writeFileSync(jobFile, JSON.stringify(job));
        const cmd = engine.local.command(jobFile);
        execFileSync(cmd.file, cmd.args, { env: { ...data.env, ...cmd.env }, stdio: "pipe" });
        dumps.push(JSON.parse(readFileSync(job.dumpPath!, "utf8")));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const [x, y] = dumps.map((d) => Object.values(d.outputs)[0]!.data);
    assert.equal(x!.length, 4 * 8, "batch size 4 × 8 outputs");
    x!.forEach((v, i) => assert.ok(Math.abs(v - y![i]!) <= 1e-5 * Math.max(1, Math.abs(v)), `output ${i}`));
  });

  for (const kind of ["npm", "pypi"] as const) {
    test(`a process (--onnx-library ${kind}) that maps another library than it was given refuses to measure`, async () => {
      const engine = getEngine("onnx");
      const dir = mkdtempSync(join(tmpdir(), "mlprof-ortlib-"));
      try {
        const job = await preparedJob(kind, 1, dir);
        const jobFile = join(dir, "job.json");
        writeFileSync(
          jobFile,
          JSON.stringify({ ...job, onnxLibraryPath: "/elsewhere/libonnxruntime.so.1.30.0" }),
        );
        const cmd = engine.local.command(jobFile);
        assert.throws(() =>
          execFileSync(cmd.file, cmd.args, { env: { ...data.env, ...cmd.env }, stdio: "pipe" }),
        );
        const error = JSON.parse(readFileSync(job.errorPath, "utf8")) as { message: string };
        assert.match(
          error.message,
          kind === "npm"
            ? /onnxruntime-node 1\.30\.0 loaded the ONNX Runtime library \/.*node_modules\/onnxruntime-node\/bin\/.*libonnxruntime\.so\.1, not \/elsewhere\/libonnxruntime\.so\.1\.30\.0 \(--onnx-library npm\)/
            : /the onnxruntime wheel of \/.*\/python\S* runs ONNX Runtime from \/.*capi\/onnxruntime_pybind11_state\S*\.so, not \/elsewhere\/libonnxruntime\.so\.1\.30\.0 \(--onnx-library pypi\)/,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test("a wheel pip cannot install: one clear error naming the version and --onnx-library npm, no output", async () => {
    const before = listFiles(data.store);
    // CMSSW_14_1_0_pre4 ships ONNX Runtime 1.17.1: onnxruntime-node 1.17.3 stands in; pip gets an empty
    // index (and no configuration), so that no machine has its wheel
    const empty = mkdtempSync(join(tmpdir(), "mlprof-empty-index-"));
    const env: NodeJS.ProcessEnv = {
      ...data.env,
      PIP_CONFIG_FILE: "/dev/null",
      PIP_INDEX_URL: `file://${empty}`,
    };
    delete env.MLPROF_PIP_INDEX_URL;
    const res = await measure(
      ["--cmssw-version", "CMSSW_14_1_0_pre4", "--engine-versions", "release"],
      "nowheel",
      env,
    );
    rmSync(empty, { recursive: true, force: true });
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /the ONNX Runtime library of the onnxruntime wheel 1\.17\.3 \(for CMSSW_14_1_0_pre4\) cannot be installed: pip finds no onnxruntime==1\.17\.3/,
    );
    assert.match(res.stderr, /--onnx-library npm/);
    assert.deepEqual(listFiles(data.store), before);
  });

  test("--onnx-library is a local-executor setting: refused with --executor cmssw", async () => {
    const res = await measure(["--onnx-library", "npm", "--executor", "cmssw"], "cmssw");
    assert.equal(res.code, 1);
    assert.match(res.stderr, /--onnx-library npm chooses the ONNX Runtime build the local executor measures/);
  });
});
