/**
 * What a measurement process loads: its engine and the harness, not the CLI's libraries. Runs a real ONNX
 * measurement with onnxruntime-node (--onnx-library npm) through the CLI with every process preloading test/helpers/module-log.mjs, and reads the
 * modules the measurement process (the one that loaded dist/engines/onnx/measure.js) listed.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { EXAMPLES, REPO, mlprof, tempData } from "../helpers/cli.js";
import { ensureBuilt, useSharedTestSoftware } from "../helpers/software.js";

useSharedTestSoftware();
ensureBuilt();
const data = tempData();
after(() => data.cleanup());

/** The package a module file belongs to (its folder under the last node_modules), else undefined. */
function packageOf(path: string): string | undefined {
  const at = path.lastIndexOf("/node_modules/");
  if (at < 0) return undefined;
  const parts = path.slice(at + "/node_modules/".length).split("/");
  return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
}

test("an ONNX measurement process (--onnx-library npm) loads the harness and onnxruntime-node's binding, nothing of the CLI; the CLI no process or plot library", async () => {
  const logs = join(data.dir, "modules");
  const res = await mlprof(
    [
      "run",
      "MeasureRepeat",
      "--version",
      "modules",
      "--model-file",
      join(EXAMPLES, "dnn", "model_onnx_l10u128.yaml"),
      "--n-calls",
      "5",
      // the Node.js measurement process measures the npm library; the wheel's is measured by a native runner
      "--onnx-library",
      "npm",
    ],
    {
      ...data.env,
      MLP_SOFTWARE: process.env.MLP_SOFTWARE,
      NODE_OPTIONS: `--import=${join(REPO, "test", "helpers", "module-log.mjs")}`,
      MLPROF_MODULE_LOG: logs,
    },
  );
  assert.equal(res.code, 0, res.stderr);
  const lists = readdirSync(data.dir)
    .filter((f) => f.startsWith("modules."))
    .map((f) => [...new Set(readFileSync(join(data.dir, f), "utf8").trim().split("\n"))]);
  const measuring = lists.filter((l) => l.some((p) => p.endsWith("/dist/engines/onnx/measure.js")));
  assert.equal(measuring.length, 1, "one measurement process");
  const modules = measuring[0]!;
  const packages = new Set(modules.map(packageOf).filter((p) => p !== undefined));
  assert.deepEqual([...packages].sort(), ["onnxruntime-common", "onnxruntime-node"]);
  for (const library of [
    "yargs",
    "puppeteer-core",
    "plotly.js-basic-dist-min",
    "ssh2",
    "nunjucks",
    "listr2",
    "execa",
    "chalk",
    "yaml",
  ]) {
    assert.ok(!packages.has(library), `${library} is not loaded`);
  }
  const dist = join(REPO, "dist") + "/";
  const own = modules.filter((p) => p.startsWith(dist)).map((p) => p.slice(dist.length));
  assert.deepEqual(own.sort(), [
    "base.js",
    "engines/onnx/measure.js",
    "engines/onnx/native.js",
    "engines/signature.js",
    "measure/competition.js",
    "measure/harness.js",
    "measure/inputs.js",
    "measure/memory.js",
    "measure/parent-watch.js",
    "util/errors.js",
    "util/names.js",
    "util/trace.js",
  ]);
  // onnxruntime-node: its binding (dist/binding.js, the addon), not its JavaScript API (dist/index.js)
  const ort = modules
    .filter((p) => packageOf(p) === "onnxruntime-node")
    .map((p) => p.replace(/.*\/onnxruntime-node\//, ""));
  assert.ok(ort.includes("dist/binding.js"), ort.join(", "));
  assert.ok(!ort.includes("dist/index.js"), ort.join(", "));
  // each module file once: no package loaded from two places
  const folders = new Map<string, Set<string>>();
  for (const p of modules) {
    const name = packageOf(p);
    if (!name) continue;
    const folder = p.slice(0, p.lastIndexOf(`/node_modules/${name}/`));
    folders.set(name, (folders.get(name) ?? new Set()).add(folder));
  }
  for (const [name, where] of folders) assert.equal(where.size, 1, `${name} from ${[...where].join(", ")}`);
  // the CLI that ran it: none of the libraries of work a measurement does not do
  const cli = lists.filter((l) => l.some((p) => p.endsWith("/bin/mlprof.js")));
  assert.equal(cli.length, 1, "one CLI process");
  // code, not a package.json read for a version
  const cliCode = cli[0]!.filter((p) => !p.endsWith("/package.json"));
  const cliPackages = new Set(cliCode.map(packageOf).filter((p) => p !== undefined));
  for (const library of [
    "execa",
    "puppeteer-core",
    "plotly.js-basic-dist-min",
    "ssh2",
    "nunjucks",
    "onnxruntime-node",
  ]) {
    assert.ok(!cliPackages.has(library), `the CLI loads ${library}`);
  }
});
