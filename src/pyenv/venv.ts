import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { withLock } from "../util/lock.js";
import { softwareDir } from "../paths.js";
import { MlprofError, errorMessage } from "../util/errors.js";
import { writeJsonAtomic } from "../util/fs.js";
import { runStreaming } from "../util/process.js";

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

/**
 * Ensures a tool-managed venv exists with its packages: created on first use (`python3 -m venv`, then
 * `pip install`), reporting progress; an incomplete venv (no marker) is removed and built again. A lock
 * keeps two processes from building the same venv at once. The Python interpreter is $MLPROF_PYTHON,
 * else python3 on PATH.
 */
export async function ensureVenv(
  spec: VenvSpec,
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Venv> {
  const dir = venvDir(spec.name, env);
  const venv = { dir, python: join(dir, "bin", "python") };
  if (isReady(dir, spec)) return venv;
  return withLock(`${dir}.lock`, { what: `creating the Python venv ${dir}`, progress }, async () => {
    if (isReady(dir, spec)) return venv;
    rmSync(dir, { recursive: true, force: true });
    const python = env.MLPROF_PYTHON || "python3";
    progress(`creating the Python venv ${dir}`);
    const created = await run(python, ["-m", "venv", dir], env, () => undefined);
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
    let installed: Awaited<ReturnType<typeof run>>;
    try {
      installed = await run(
        venv.python,
        ["-m", "pip", "install", "--no-input", "--progress-bar", "off", ...spec.packages],
        pipEnv(env),
        (line) => {
          if (/^(Collecting|Downloading|Installing|Successfully|Looking in|ERROR)/.test(line.trim()))
            progress(`pip: ${line.trim()}`);
        },
      );
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw new MlprofError(`pip install in ${dir} failed: ${errorMessage(err)}`);
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
