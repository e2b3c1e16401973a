/**
 * venvQuery: what a venv's Python answers is asked once and cached in the venv until the venv changes, so
 * that a warm run starts no Python. The venv's interpreter here is a script that counts its runs.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { venvQuery } from "../../src/pyenv/venv.js";

const dir = mkdtempSync(join(tmpdir(), "mlprof-venv-query-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A venv folder whose python appends a line to `runs` per start and prints the JSON `answer`. */
function fakeVenv(answer: string): { dir: string; python: string; runs: string; sitePackages: string } {
  const venv = join(dir, "venv");
  const runs = join(dir, "runs");
  const sitePackages = join(venv, "lib", "python3.11", "site-packages");
  mkdirSync(join(venv, "bin"), { recursive: true });
  mkdirSync(sitePackages, { recursive: true });
  writeFileSync(join(venv, "mlprof-venv.json"), "{}\n");
  const python = join(venv, "bin", "python");
  writeFileSync(python, `#!/bin/sh\necho run >> '${runs}'\necho '${answer}'\n`);
  chmodSync(python, 0o755);
  return { dir: venv, python, runs, sitePackages };
}

const runs = (file: string) => readFileSync(file, "utf8").trim().split("\n").length;

test("a venv query runs Python once; a change of the venv's site-packages asks again", async () => {
  const venv = fakeVenv('{"dir": "/x"}');
  assert.deepEqual(await venvQuery(venv, "probe", "print(1)"), { dir: "/x" });
  assert.deepEqual(await venvQuery(venv, "probe", "print(1)"), { dir: "/x" });
  assert.equal(runs(venv.runs), 1, "the second answer comes from the cache");
  // a pip install or uninstall changes site-packages
  const later = new Date(Date.now() + 5000);
  utimesSync(venv.sitePackages, later, later);
  assert.deepEqual(await venvQuery(venv, "probe", "print(1)"), { dir: "/x" });
  assert.equal(runs(venv.runs), 2);
});

test("a Python that prints no JSON is an error naming the interpreter, and nothing is cached", async () => {
  const venv = fakeVenv("not json");
  await assert.rejects(venvQuery(venv, "broken", "print(1)"), (err: Error) => {
    assert.equal(err.message, `${venv.python} printed no JSON: "not json"`);
    return true;
  });
  await assert.rejects(venvQuery(venv, "broken", "print(1)"));
});
