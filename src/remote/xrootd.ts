import { mkdir, rename } from "node:fs/promises";
import { posix } from "node:path";
import { execa } from "execa";
import { MlprofError } from "../util/errors.js";

/** An XRootD location split into the server ("root://host[:port]") and the absolute path on it. */
export interface XrdLocation {
  server: string;
  path: string;
}

const TIMEOUT_MS = 120_000;

/** Parses "root://host[:port]//abs/path" (the form EOS uses) into server and path. */
export function parseXrdUrl(url: string): XrdLocation {
  const m = /^(root|xroot|roots):\/\/([^/]+)\/(\/.*)$/.exec(url.trim());
  if (!m) throw new MlprofError(`expected an XRootD URL root://host[:port]//path, found '${url}'`);
  return { server: `${m[1]}://${m[2]}`, path: posix.normalize(m[3]!).replace(/\/+$/, "") || "/" };
}

/** Joins an XRootD location and a relative path into a URL. */
export function xrdUrl(loc: XrdLocation, rel = ""): string {
  return `${loc.server}/${posix.join(loc.path, rel)}`;
}

async function xrd(
  file: "xrdfs" | "xrdcp",
  args: string[],
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const res = await execa(file, args, { reject: false, timeout: TIMEOUT_MS, stdin: "ignore" });
  if (res.code === "ENOENT") {
    throw new MlprofError(
      `${file} is not installed on this machine`,
      "install the XRootD client (Debian: apt-get install xrootd-client; lxplus has it)",
    );
  }
  if (res.timedOut)
    throw new MlprofError(`${file} ${args.join(" ")} did not finish within ${TIMEOUT_MS / 1000} s`);
  return { exitCode: res.exitCode ?? 1, stdout: String(res.stdout), stderr: String(res.stderr) };
}

function lastLine(text: string): string {
  return text.trim().split("\n").filter(Boolean).slice(-1)[0] ?? "";
}

/**
 * Lists every file below a location, recursively (`xrdfs ls -l -R`), as paths relative to it with
 * their sizes; a missing folder lists as empty.
 */
export async function xrdListFiles(loc: XrdLocation): Promise<Map<string, number>> {
  const res = await xrd("xrdfs", [loc.server, "ls", "-l", "-R", loc.path]);
  const files = new Map<string, number>();
  if (res.exitCode !== 0) {
    if (/no such file or directory|\[3011\]/i.test(res.stderr)) return files;
    throw new MlprofError(`cannot list ${xrdUrl(loc)}: ${lastLine(res.stderr)}`);
  }
  for (const line of res.stdout.split("\n")) {
    // e.g. "-rw-r--r-- nobody nogroup    6 2026-11-25 08:53:33 /eos/a/b/hello.txt"
    const m = /^([-d])\S*\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+(\/.*)$/.exec(line.trim());
    if (!m || m[1] === "d") continue;
    const rel = posix.relative(loc.path, m[3]!);
    if (!rel.startsWith("..")) files.set(rel, Number(m[2]));
  }
  return files;
}

/** Copies a folder from XRootD into a local folder (its contents land directly in `localDir`). */
export async function xrdFetchTree(url: string, localDir: string): Promise<void> {
  const parent = posix.dirname(localDir);
  await mkdir(parent, { recursive: true });
  // xrdcp -r copies <url> into <parent>/<basename of url>
  const res = await xrd("xrdcp", ["--recursive", "--force", "--nopbar", url, `${parent}/`]);
  if (res.exitCode !== 0) throw new MlprofError(`xrdcp -r ${url} failed: ${lastLine(res.stderr)}`);
  const got = posix.join(parent, posix.basename(url));
  if (got !== localDir) await rename(got, localDir);
}

/** Removes a folder and everything below it; a missing folder is not an error. */
export async function xrdRemoveTree(loc: XrdLocation): Promise<void> {
  const files = await xrdListFiles(loc);
  if (files.size > 0) {
    const res = await xrd("xrdfs", [
      loc.server,
      "rm",
      ...[...files.keys()].map((f) => posix.join(loc.path, f)),
    ]);
    if (res.exitCode !== 0)
      throw new MlprofError(`cannot remove files below ${xrdUrl(loc)}: ${lastLine(res.stderr)}`);
  }
  const dirs = new Set<string>();
  for (const f of files.keys()) {
    for (let d = posix.dirname(f); d !== "."; d = posix.dirname(d)) dirs.add(d);
  }
  const deepestFirst = [...dirs].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const d of [...deepestFirst.map((d) => posix.join(loc.path, d)), loc.path]) {
    await xrd("xrdfs", [loc.server, "rmdir", d]); // best effort: the folder may not exist
  }
}
