import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { withLock } from "../util/lock.js";
import { ensureSoftwareDir, softwareDir } from "../paths.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { writeJsonAtomic } from "../util/fs.js";
import { runStreaming } from "../util/process.js";
import { ProgressBar, progressMode, type ProgressSink } from "../util/progress.js";

/** A tool-managed Python virtual environment: a name and the pip requirements it holds. */
export interface VenvSpec {
  name: string;
  packages: string[];
}

/** A ready virtual environment. */
export interface Venv {
  dir: string;
  python: string;
}

/** Written last into a venv once its packages are installed; a venv without it is rebuilt. */
const MARKER = "mlprof-venv.json";

/** The folder of a tool-managed venv: <software>/venvs/<name>. */
export function venvDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(softwareDir(env), "venvs", name);
}

/**
 * The environment of pip calls: the user's own (pip reads its config files and PIP_* variables itself),
 * with MLPROF_PIP_INDEX_URL, when set, passed on as PIP_INDEX_URL.
 */
export function pipEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, PIP_DISABLE_PIP_VERSION_CHECK: "1" };
  if (env.MLPROF_PIP_INDEX_URL) out.PIP_INDEX_URL = env.MLPROF_PIP_INDEX_URL;
  return out;
}

function isReady(dir: string, spec: VenvSpec): boolean {
  try {
    const marker = JSON.parse(readFileSync(join(dir, MARKER), "utf8")) as { packages?: string[] };
    return (
      JSON.stringify(marker.packages) === JSON.stringify(spec.packages) &&
      existsSync(join(dir, "bin", "python"))
    );
  } catch {
    return false;
  }
}

/**
 * The state a venv query depends on: its marker (rewritten when the venv is made again) and its
 * site-packages folders (changed by any pip install or uninstall into it); "" when the venv has no marker.
 */
function venvState(dir: string): string {
  try {
    const lib = join(dir, "lib");
    const sitePackages = readdirSync(lib)
      .map((d) => join(lib, d, "site-packages"))
      .filter((d) => existsSync(d));
    return JSON.stringify([join(dir, MARKER), ...sitePackages].map((f) => statSync(f).mtimeMs));
  } catch {
    return "";
  }
}

/**
 * What `script` prints (one JSON value) when the venv's Python runs it, cached in the venv
 * (<venv>/mlprof-query-<name>.json) as long as the venv is unchanged (its marker and site-packages), so that
 * a run with a warm venv starts no Python; throws when Python fails or prints no JSON.
 */
export async function venvQuery<T>(venv: Venv, name: string, script: string): Promise<T> {
  const cacheFile = join(venv.dir, `mlprof-query-${name}.json`);
  const state = venvState(venv.dir);
  try {
    const cached = JSON.parse(readFileSync(cacheFile, "utf8")) as { state?: string; value?: T };
    if (state !== "" && cached.state === state && cached.value !== undefined) return cached.value;
  } catch {
    // not asked yet
  }
  const stdout: string[] = [];
  const result = await runStreaming(venv.python, ["-c", script], {
    keep: 20,
    onLine: (line, stream) => stream === "stdout" && stdout.push(line),
  });
  const out = stdout.at(-1) ?? "";
  if (result.exitCode !== 0) {
    throw new MlprofError(
      `${venv.python} ${result.missing ? "was not found" : `exited with code ${result.exitCode ?? result.signal}`}` +
        (result.stderrTail.length > 0 ? `: ${result.stderrTail.slice(-5).join("\n")}` : ""),
    );
  }
  let value: T;
  try {
    value = JSON.parse(out) as T;
  } catch {
    throw new MlprofError(`${venv.python} printed no JSON: ${JSON.stringify(out)}`);
  }
  if (state !== "") writeJsonAtomic(cacheFile, { state, value });
  return value;
}

/** Runs a command, handing its output lines to `onLine`; the last lines come back for failure messages. */
async function run(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<{ ok: boolean; tail: string; missing: boolean }> {
  const result = await runStreaming(file, args, { env, onLine: (line) => onLine(line), keep: 40 });
  return { ok: result.exitCode === 0, tail: result.tail.slice(-15).join("\n"), missing: result.missing };
}

/** A distribution name as wheels spell it in <name>-<version>.dist-info: lower case, runs of -_. as _. */
export function distName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "_");
}

/** The names of the packages a pip line "Installing collected packages: a, b, c" lists, else undefined. */
export function collectedPackages(line: string): string[] | undefined {
  const m = /^Installing collected packages:\s*(.+)$/.exec(line.trim());
  return m
    ? m[1]!
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "")
    : undefined;
}

/** The distributions installed in a venv (names of its *.dist-info folders, as distName spells them). */
export function installedDists(dir: string): Set<string> {
  const out = new Set<string>();
  const lib = join(dir, "lib");
  for (const py of existsSync(lib) ? readdirSync(lib) : []) {
    const site = join(lib, py, "site-packages");
    if (!existsSync(site)) continue;
    for (const entry of readdirSync(site)) {
      const m = /^(.+?)-[^-]+\.dist-info$/.exec(entry);
      if (m) out.add(distName(m[1]!));
    }
  }
  return out;
}

/**
 * The progress of a `pip install`: while pip resolves, the count of packages collected and the elapsed
 * time; once it names what it installs ("Installing collected packages: ..."), a bar of the packages
 * whose .dist-info appeared in the venv (looked at once a second) out of that count.
 */
class PipProgress {
  private bar: ProgressBar;
  private collected = 0;
  private installing: { names: string[]; before: Set<string>; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly dir: string,
    private readonly progress: ProgressSink,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.bar = new ProgressBar(progress, {
      label: "pip: collecting",
      unit: "packages",
      mode: progressMode(env),
    });
  }

  /** Follows one line of pip's output. */
  line(line: string): void {
    const text = line.trim();
    if (/^ERROR/.test(text)) this.progress(`pip: ${text}`);
    if (this.installing) return;
    // an index says "Collecting <requirement>", a local wheel (file:// index, --find-links) "Processing <file>"
    if (/^(Collecting|Processing) /.test(text)) this.bar.update(++this.collected);
    const names = collectedPackages(text);
    if (!names) return;
    this.bar.finish(`${this.collected} packages collected`);
    this.bar = new ProgressBar(this.progress, {
      label: "pip: installing",
      unit: "packages",
      total: names.length,
      mode: progressMode(this.env),
    });
    const before = installedDists(this.dir);
    const timer = setInterval(() => this.poll(), 1000);
    timer.unref();
    this.installing = { names, before, timer };
    this.poll();
  }

  /** Counts the listed packages installed since pip began installing. */
  private poll(): void {
    if (!this.installing) return;
    const now = installedDists(this.dir);
    const { names, before } = this.installing;
    this.bar.update(names.filter((n) => now.has(distName(n)) && !before.has(distName(n))).length);
  }

  /** Ends the display after a successful install. */
  finish(): void {
    if (this.installing) this.bar.update(this.installing.names.length);
    this.stop();
    this.bar.finish(
      this.installing ? `${this.installing.names.length} packages installed` : `${this.collected} packages`,
    );
  }

  /** Stops the timers. */
  stop(): void {
    if (this.installing) clearInterval(this.installing.timer);
    this.bar.stop();
  }
}

/** The last error line pip printed, taken from a failed ensureVenv's message ("ERROR: " dropped), if any. */
export function pipErrorLine(message: string): string | undefined {
  return message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /ERROR|error:/.test(l))
    .at(-1)
    ?.replace(/^ERROR:\s*/, "");
}

/**
 * Ensures a tool-managed venv exists with its packages: created on first use (`python3 -m venv`, then
 * `pip install`), reporting progress; an incomplete venv (no marker) is removed and built again. A lock
 * keeps two processes from building the same venv at once. The Python interpreter is $MLPROF_PYTHON,
 * else python3 on PATH.
 */
export async function ensureVenv(
  spec: VenvSpec,
  progress: ProgressSink,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Venv> {
  const dir = venvDir(spec.name, env);
  const venv = { dir, python: join(dir, "bin", "python") };
  if (isReady(dir, spec)) return venv;
  ensureSoftwareDir(env);
  return withLock(`${dir}.lock`, { what: `creating the Python venv ${dir}`, progress }, async () => {
    if (isReady(dir, spec)) return venv;
    rmSync(dir, { recursive: true, force: true });
    const python = env.MLPROF_PYTHON || "python3";
    progress(`creating the Python venv ${dir}`);
    const creating = new ProgressBar(progress, { label: "python -m venv", mode: progressMode(env) });
    const created = await run(python, ["-m", "venv", dir], env, () => undefined).finally(() =>
      creating.stop(),
    );
    if (created.ok) creating.finish("created");
    if (!created.ok) {
      rmSync(dir, { recursive: true, force: true });
      if (created.missing) {
        throw new MlprofError(
          `'${python}' was not found on PATH; MLProf needs Python 3 to install ${spec.packages.join(", ")}`,
          "install Python 3 with its venv module, or point MLPROF_PYTHON to an interpreter",
        );
      }
      throw new MlprofError(
        `'${python} -m venv ${dir}' failed:\n${created.tail}`,
        "install Python's venv module (Debian/Ubuntu: apt-get install python3-venv), or set MLPROF_PYTHON",
      );
    }
    progress(`installing ${spec.packages.join(", ")} with pip (this takes a while the first time)`);
    const pip = new PipProgress(dir, progress, env);
    let installed: Awaited<ReturnType<typeof run>>;
    try {
      installed = await run(
        venv.python,
        ["-m", "pip", "install", "--no-input", "--progress-bar", "off", ...spec.packages],
        pipEnv(env),
        (line) => pip.line(line),
      );
      if (installed.ok) pip.finish();
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new MlprofError(`pip install in ${dir} failed: ${errorMessage(err)}`);
    } finally {
      pip.stop();
    }
    if (!installed.ok) {
      rmSync(dir, { recursive: true, force: true });
      throw new MlprofError(
        `pip could not install ${spec.packages.join(", ")} into ${dir}:\n${installed.tail}`,
        "check your pip configuration (pip config list); to use another package index set " +
          "MLPROF_PIP_INDEX_URL (or PIP_INDEX_URL), e.g. a local mirror",
      );
    }
    writeJsonAtomic(join(dir, MARKER), { packages: spec.packages, createdAt: new Date().toISOString() });
    progress(`the Python venv ${dir} is ready`);
    return venv;
  });
}
