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

/** One entry of `xrdfs ls -l`: a file or folder, its size (undefined when the server gave no stat) and path. */
export interface XrdEntry {
  dir: boolean;
  size?: number;
  path: string;
}

/**
 * The forms `xrdfs ls -l` prints an entry in (XrdClFS.cc, PrintDirListStatInfo and DoLS):
 * - long, when the server returns an extended stat: mode, owner, group, size, date, time, path
 *   ("-rw-r--r-- nobody nogroup    6 2026-11-25 08:53:33 /eos/a/b/hello.txt");
 * - short, when it does not: r/w/x flags, date, time, size right-aligned in at least 12 columns, path
 *   ("-r-- 2020-05-01 20:17:28       69465 /path"; a size of 12 digits or more touches the time,
 *   xrootd issue 823);
 * - no stat at all: "---- 0000-00-00 00:00:00            ? /path".
 */
const LONG_ENTRY =
  /^([-d])\S*\s+(?!\d{4}-\d{2}-\d{2}\s)\S+\s+\S+\s+(\d+)\s+\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}\s+(\/.*)$/;
const SHORT_ENTRY = /^([-d])[-r][-w][-x]\s+\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}\s*(\d+|\?)\s+(\/.*)$/;

/**
 * Parses the output of `xrdfs ls -l [-R]` in either form (see LONG_ENTRY and SHORT_ENTRY); a line of
 * neither form is an error naming it, so that a format this parser does not know never makes files vanish.
 */
export function parseXrdfsLs(stdout: string, where: string): XrdEntry[] {
  const entries: XrdEntry[] = [];
  for (const raw of stdout.split("\n")) {
    const line = raw.trimEnd();
    if (line.trim() === "") continue;
    const m = LONG_ENTRY.exec(line.trim()) ?? SHORT_ENTRY.exec(line.trim());
    if (!m) {
      throw new MlprofError(
        `cannot parse a line of \`xrdfs ls -l\` for ${where}: expected "<mode> <owner> <group> <size> <date> <time> <path>" or "<flags> <date> <time> <size> <path>", found ${JSON.stringify(line)}`,
      );
    }
    entries.push({
      dir: m[1] === "d",
      size: m[2] === "?" ? undefined : Number(m[2]),
      path: posix.normalize(m[3]!),
    });
  }
  return entries;
}

/**
 * Lists every file below a location, recursively (`xrdfs ls -l -R`), as paths relative to it with
 * their sizes (-1 when the server gave none); a missing folder lists as empty. A listing the client
 * reports as incomplete ("Some of the requests failed") is an error: files missing from it would make
 * jobs look output-less.
 */
export async function xrdListFiles(loc: XrdLocation): Promise<Map<string, number>> {
  const res = await xrd("xrdfs", [loc.server, "ls", "-l", "-R", loc.path]);
  const files = new Map<string, number>();
  if (res.exitCode !== 0) {
    if (/no such file or directory|\[3011\]/i.test(res.stderr)) return files;
    throw new MlprofError(`cannot list ${xrdUrl(loc)}: ${lastLine(res.stderr)}`);
  }
  if (/Some of the requests failed/i.test(res.stderr)) {
    throw new MlprofError(`the listing of ${xrdUrl(loc)} is incomplete: ${lastLine(res.stderr)}`);
  }
  for (const e of parseXrdfsLs(res.stdout, xrdUrl(loc))) {
    if (e.dir) continue;
    const rel = posix.relative(loc.path, e.path);
    if (rel && !rel.startsWith("..")) files.set(rel, e.size ?? -1);
  }
  return files;
}

/** Copies a local file to an XRootD URL, creating its folders (xrdcp --path). */
export async function xrdPutFile(localPath: string, url: string): Promise<void> {
  const res = await xrd("xrdcp", ["--force", "--nopbar", "--path", localPath, url]);
  if (res.exitCode !== 0) throw new MlprofError(`xrdcp ${localPath} ${url} failed: ${lastLine(res.stderr)}`);
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
