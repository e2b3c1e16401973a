import { existsSync } from "node:fs";
import { join } from "node:path";
import { MlprofError } from "../../util/errors.js";
import { ensureVenv, pipErrorLine, venvQuery, type Venv } from "../../pyenv/venv.js";
import type { ProgressSink } from "../../util/progress.js";

/** The TensorFlow release the tool installs (its C API builds the native runner). */
export const TENSORFLOW_VERSION = "2.21.0";

/** The venv holding a TensorFlow version (by default the tool's). */
export function tensorflowVenv(version = TENSORFLOW_VERSION): { name: string; packages: string[] } {
  return { name: `tf-${version}`, packages: [`tensorflow-cpu==${version}`] };
}

/** The venv holding TensorFlow for the tf engine. */
export const TENSORFLOW_VENV = tensorflowVenv();

/** A TensorFlow installation as the native build needs it. */
export interface TensorflowInstall {
  venv: Venv;
  version: string;
  /** The tensorflow package folder (holds the shared libraries). */
  libDir: string;
  /** Its include folder (holds tensorflow/c/c_api.h and the headers it includes). */
  includeDir: string;
}

/** The C API libraries of the wheel: both are needed, there is no unversioned .so. */
export const TENSORFLOW_LIBRARIES = ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"];

// asks the venv's Python where tensorflow lies and which distribution version it is, without importing it
const QUERY = `
import importlib.util, importlib.metadata, json
spec = importlib.util.find_spec("tensorflow")
out = {"dir": None, "version": None}
if spec and spec.submodule_search_locations:
    out["dir"] = list(spec.submodule_search_locations)[0]
for dist in ("tensorflow-cpu", "tensorflow", "tensorflow-intel"):
    try:
        out["version"] = importlib.metadata.version(dist)
        break
    except importlib.metadata.PackageNotFoundError:
        pass
print(json.dumps(out))
`;

/** Asks a Python interpreter for its TensorFlow installation; clear errors when headers or libraries are missing. */
export async function queryTensorflow(venv: Venv): Promise<TensorflowInstall> {
  const info = await venvQuery<{ dir: string | null; version: string | null }>(
    venv,
    "tensorflow",
    QUERY,
  ).catch((err: Error) => {
    throw new MlprofError(`cannot ask ${venv.python} for its TensorFlow installation: ${err.message}`);
  });
  if (!info.dir || !info.version) {
    throw new MlprofError(
      `TensorFlow is not installed in the venv ${venv.dir}`,
      "run `mlprof setup tf` to create it again",
    );
  }
  const includeDir = join(info.dir, "include");
  if (!existsSync(join(includeDir, "tensorflow", "c", "c_api.h"))) {
    throw new MlprofError(
      `the TensorFlow C API headers are missing: ${join(includeDir, "tensorflow", "c", "c_api.h")} does not exist`,
      `the tensorflow-cpu wheel ships them; remove ${venv.dir} and run \`mlprof setup tf\``,
    );
  }
  const missing = TENSORFLOW_LIBRARIES.filter((lib) => !existsSync(join(info.dir!, lib)));
  if (missing.length > 0) {
    throw new MlprofError(
      `the TensorFlow C API libraries ${missing.join(", ")} are missing from ${info.dir}`,
      `remove ${venv.dir} and run \`mlprof setup tf\``,
    );
  }
  return { venv, version: info.version, libDir: info.dir, includeDir };
}

/**
 * Ensures the venv of a TensorFlow version (created on first use; by default the tool's) and returns its
 * installation. `forRelease` names the release whose TensorFlow it is: when pip cannot install that version,
 * the error says which release needs it and what to do.
 */
export async function ensureTensorflow(
  progress: ProgressSink,
  env: NodeJS.ProcessEnv = process.env,
  version = TENSORFLOW_VERSION,
  forRelease?: string,
): Promise<TensorflowInstall> {
  let venv: Venv;
  try {
    venv = await ensureVenv(tensorflowVenv(version), progress, env);
  } catch (err) {
    if (!forRelease || !(err instanceof MlprofError)) throw err;
    const pip = pipErrorLine(err.message);
    throw new MlprofError(
      `TensorFlow ${version}, the TensorFlow of ${forRelease}, cannot be installed: pip finds no tensorflow-cpu==${version} ` +
        `for this Python on its package index${pip ? ` (pip: ${pip})` : ""}`,
      "point PIP_INDEX_URL (or MLPROF_PIP_INDEX_URL) at an index that has it, set MLPROF_PYTHON to a Python it " +
        "has wheels for (TensorFlow 2.6 has none for Python 3.11), or measure in CMSSW (--executor cmssw)",
    );
  }
  return queryTensorflow(venv);
}
