/**
 * Releases as a dimension of local measurements: the release table and its matching, onnxruntime-node
 * versions installed side by side and measured in one run (the nearest published patch standing in for an
 * unpublished one, recorded), a release's TensorFlow that pip cannot install, oneDNN off as CMSSW builds
 * TensorFlow, emulated and installed outputs apart, and release comparisons of installed engines refused.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { releaseEngines, releaseTable, seriesOf } from "../../src/cmssw/releases.js";
import { nearestPublished, packagesDir } from "../../src/engines/onnx/packages.js";
import { EXAMPLES, listFiles, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();

describe("the release table", () => {
  test("releases match their series: pre-releases, patches, integration and special builds", () => {
    assert.equal(seriesOf("CMSSW_14_1_0_pre4"), "14_1_X");
    assert.equal(seriesOf("CMSSW_14_1_0"), "14_1_X");
    assert.equal(seriesOf("CMSSW_13_3_1_patch2"), "13_3_X");
    assert.equal(seriesOf("CMSSW_14_1_X_2024-05-01-2300"), "14_1_X");
    assert.equal(seriesOf("CMSSW_14_2_TF_X_2024-10-01-2300"), "14_2_TF_X");
    assert.equal(seriesOf("CMSSW_15"), undefined);
    assert.deepEqual(
      [releaseEngines("CMSSW_13_3_1").onnxruntime, releaseEngines("CMSSW_13_3_1").tensorflow],
      ["1.14.1", "2.12.0"],
    );
    assert.equal(releaseEngines("CMSSW_14_1_0_pre4").onnxruntime, "1.17.1");
    assert.equal(releaseEngines("CMSSW_15_0_0").onnxruntime, "1.20.1");
    assert.equal(releaseEngines("CMSSW_14_2_TF_X_2024-10-01-2300").tensorflow, "2.17.0");
    assert.throws(
      () => releaseEngines("CMSSW_11_3_4"),
      /cmssw-releases\.yaml has no row for CMSSW_11_3_4 \(series 11_3_X\)/,
    );
    assert.throws(() => releaseEngines("CMSSW_x"), /'CMSSW_x' is not a CMSSW release name/);
  });

  test("every row names its source and whether it was read from cmsdist", () => {
    for (const row of releaseTable()) {
      assert.ok(row.source.length > 10, row.series.join(","));
      assert.equal(typeof row.verified, "boolean");
    }
    assert.ok(releaseTable().some((r) => r.verified) && releaseTable().some((r) => !r.verified));
  });

  test("an unpublished onnxruntime-node version: the nearest published patch of its minor stands in", () => {
    const published = ["1.10.0", "1.14.0", "1.17.0", "1.17.3", "1.18.0", "1.20.1", "1.22.0-rev", "1.22.0"];
    assert.equal(nearestPublished("1.10.0", published), "1.10.0");
    assert.equal(nearestPublished("1.17.1", published), "1.17.3", "the newer patch: its bug fixes");
    assert.equal(nearestPublished("1.14.1", published), "1.14.0", "no newer patch: the older one");
    assert.equal(nearestPublished("1.18.1", published), "1.18.0");
    assert.equal(nearestPublished("1.7.2", published), undefined);
  });
});

describe("measuring a release's engines", () => {
  const data = tempData();
  after(() => data.cleanup());
  before(() => ensureBuilt());
  const onnx = join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml");
  // --onnx-library npm: the local wheel index has onnxruntime 1.30.0 only, not the wheels of 1.14 or 1.17
  const measure = (
    release: string,
    engines: string,
    model = onnx,
    version = "rel",
    extra = ["--onnx-library", "npm"],
  ) =>
    mlprof(
      [
        "run",
        "MeasureRuntime",
        "--version",
        version,
        "--model-file",
        model,
        "--cmssw-version",
        release,
        "--engine-versions",
        engines,
        "--n-calls",
        "20",
        "--repeats",
        "1",
        ...extra,
      ],
      data.env,
    );
  const outputs = (stdout: string) =>
    stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.startsWith("/"));

  test("two ONNX Runtime versions, installed side by side, measured in one run; the stand-in recorded", async () => {
    const seen = new Map<string, string>();
    for (const [release, measured, line] of [
      ["CMSSW_13_3_1", "1.14.0", "emulated for CMSSW_13_3_1 (onnxruntime 1.14.0 for 1.14.1)"],
      ["CMSSW_14_1_0_pre4", "1.17.3", "emulated for CMSSW_14_1_0_pre4 (onnxruntime 1.17.3 for 1.17.1)"],
    ] as const) {
      const res = await measure(release, "release");
      assert.equal(res.code, 0, res.stderr + res.stdout);
      const [csv, json] = outputs(res.stdout);
      assert.match(csv!, /__engines_release__ortlib_npm\/rel\/runtime_bs_1\.csv$/);
      assert.doesNotMatch(readFileSync(csv!, "utf8"), /^#/m, "the CSV holds the rows only");
      const meta = JSON.parse(readFileSync(json!, "utf8"));
      assert.equal(meta.process.engine.version, measured);
      assert.equal(meta.cmssw.engines, line);
      assert.deepEqual(
        meta.process.preparation.engines.shipped,
        release === "CMSSW_13_3_1" ? "1.14.1" : "1.17.1",
      );
      seen.set(measured, meta.process.engine.binding);
    }
    for (const v of ["1.14.0", "1.17.3"]) {
      assert.ok(
        existsSync(join(packagesDir(data.env), v, "node_modules", "onnxruntime-node")),
        `${v} installed`,
      );
    }
    assert.match(seen.get("1.14.0")!, /onnxruntime-node 1\.14\.0: native session, synchronous run/);
  });

  test("emulated and installed measurements of one release lie in different paths", async () => {
    const emulated = await measure("CMSSW_14_1_0_pre4", "release", onnx, "paths");
    const installed = await measure("CMSSW_14_1_0_pre4", "installed", onnx, "paths");
    assert.equal(emulated.code, 0, emulated.stderr);
    assert.equal(installed.code, 0, installed.stderr);
    const [a] = outputs(emulated.stdout);
    const [b, bJson] = outputs(installed.stdout);
    assert.notEqual(a, b);
    assert.equal(JSON.parse(readFileSync(bJson!, "utf8")).cmssw.engines, "installed on this machine");
  });

  test("a release's TensorFlow that pip cannot install: one clear error, nothing in the store", async () => {
    const before = listFiles(data.store);
    const tf = join(EXAMPLES, "dnn", "model_tf_l10u128.yaml");
    const res = await measure("CMSSW_14_1_0_pre4", "release", tf, "rel", []);
    assert.equal(res.code, 1);
    assert.match(
      res.stderr,
      /TensorFlow 2\.12\.0, the TensorFlow of CMSSW_14_1_0_pre4, cannot be installed: pip finds no tensorflow-cpu==2\.12\.0/,
    );
    assert.match(res.stderr, /hint: point PIP_INDEX_URL/);
    assert.deepEqual(listFiles(data.store), before);
  });

  test("TensorFlow as CMSSW builds it: oneDNN off with --engine-versions release, recorded either way", async () => {
    const tf = join(EXAMPLES, "dnn", "model_tf_l10u128.yaml");
    const emulated = await measure("CMSSW_20_1_0", "release", tf, "onednn", []);
    assert.equal(emulated.code, 0, emulated.stderr);
    const meta = JSON.parse(readFileSync(outputs(emulated.stdout)[1]!, "utf8"));
    assert.match(meta.process.engine.oneDNN, /^off \(TF_ENABLE_ONEDNN_OPTS=0/);
    assert.match(
      meta.cmssw.engines,
      /emulated for CMSSW_20_1_0 \(tensorflow 2\.21\.0, oneDNN off, release table row inferred\)/,
    );
    const installed = await measure("CMSSW_20_1_0", "installed", tf, "onednn", []);
    const own = JSON.parse(readFileSync(outputs(installed.stdout)[1]!, "utf8"));
    assert.match(own.process.engine.oneDNN, /^on /);
  });

  test("several releases with the installed engines are refused, and the refusal names --engine-versions release", async () => {
    const res = await mlprof(
      [
        "run",
        "PlotMultiRuntimes",
        "--version",
        "x",
        "--model-files",
        onnx,
        "--cmssw-versions",
        "CMSSW_13_3_1,CMSSW_14_1_0_pre4",
      ],
      data.env,
    );
    assert.equal(res.code, 1);
    assert.match(res.stderr, /would show identical engines as a release comparison/);
    assert.match(res.stderr, /--engine-versions release/);
    const compare = await mlprof(
      [
        "run",
        "CompareRuntimes",
        "--version",
        "x",
        "--model-files",
        onnx,
        "--cmssw-versions",
        "CMSSW_13_3_1,CMSSW_14_1_0_pre4",
      ],
      data.env,
    );
    assert.equal(compare.code, 1);
    assert.match(compare.stderr, /--engine-versions release/);
  });

  test("mlprof releases prints the table and what is installed", async () => {
    const res = await mlprof(["releases"], data.env);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^14_1_X, 14_2_X\s+1\.17\.1\s+1\.17\.3 \(nearest\)\s+installed\s+2\.12\.0/m);
    assert.match(res.stdout, /^15_0_X\s+1\.20\.1\s+1\.20\.1\s+\S+\s+unknown/m);
  });
});
