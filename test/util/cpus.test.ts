/** --cpu-affinity lists: parsed as taskset does, bounded, and checked against this host's CPUs. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { checkCpusHere, cpuList, cpusHere } from "../../src/util/cpus.js";

test("cpuList: single CPUs, ranges and lists, each once and ascending", () => {
  assert.deepEqual(cpuList("3"), [3]);
  assert.deepEqual(cpuList("2,0-1,1"), [0, 1, 2]);
});

test("cpuList: not a list, a backwards range, or CPU numbers Linux does not know are refused", () => {
  assert.throws(() => cpuList("0;reboot"), {
    message: "--cpu-affinity: expected a CPU list such as 0 or 0-3 or 1,3, found '0;reboot'",
  });
  assert.throws(() => cpuList("3-1"), { message: /\(a range low-high with low <= high\), found '3-1'$/ });
  assert.throws(() => cpuList("0-1000000"), { message: /\(CPU numbers at most 8191\), found '0-1000000'$/ });
});

test("checkCpusHere: CPUs this process may use pass, others are named with those available", () => {
  const here = cpusHere();
  assert.ok(here.length > 0);
  checkCpusHere(String(here[0]));
  checkCpusHere("");
  const absent = here.at(-1)! + 5;
  assert.throws(() => checkCpusHere(`${here[0]},${absent}`), {
    message: new RegExp(
      `^--cpu-affinity: expected CPUs of this host \\([0-9,-]+\\), found '${here[0]},${absent}': no CPU ${absent} here$`,
    ),
  });
});
