import { existsSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { MlprofError } from "../../util/errors.js";
import { ensureVenv, type Venv } from "../../pyenv/venv.js";

/** The TensorFlow release the tool installs (its C API builds the native runner). */
export const TENSORFLOW_VERSION = "2.21.0";

/** The venv holding TensorFlow for the tf engine. */
export const TENSORFLOW_VENV = {
  name: `tf-${TENSORFLOW_VERSION}`,
  packages: [`tensorflow-cpu==${TENSORFLOW_VERSION}`],
};

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
  const { stdout } = await execa(venv.python, ["-c", QUERY]).catch((err: Error) => {
    throw new MlprofError(`cannot ask ${venv.python} for its TensorFlow installation: ${err.message}`);
  });
  const info = JSON.parse(stdout) as { dir: string | null; version: string | null };
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

/** Ensures the TensorFlow venv (created on first use) and returns its installation. */
export async function ensureTensorflow(
  progress: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TensorflowInstall> {
  const venv = await ensureVenv(TENSORFLOW_VENV, progress, env);
  return queryTensorflow(venv);
}
