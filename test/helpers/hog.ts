/**
 * A CPU hog for the competition tests: a shell busy loop pinned with taskset to one CPU, beside a
 * measurement pinned to the same CPU. The caller ends it (kill) in a finally block.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";

/** The highest CPU this process may run on (taskset's list of the current affinity). */
export function lastCpu(): number {
  const list = execFileSync("taskset", ["-cp", String(process.pid)], { encoding: "utf8" })
    .split(":")[1]!
    .trim();
  const ends = list.split(",").map((part) => Number(part.split("-").at(-1)));
  return Math.max(...ends);
}

/** Starts a busy loop pinned to `cpu`; it runs until killed. */
export function busyLoop(cpu: number): ChildProcess {
  const child = spawn("taskset", ["-c", String(cpu), "sh", "-c", "while :; do :; done"], { stdio: "ignore" });
  child.unref();
  return child;
}
