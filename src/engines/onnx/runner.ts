/**
 * The native ONNX runner (plugins/runners/onnx_runner.cc): the measurement core around the onnxruntime
 * wheel's own Python extension, embedded. It measures --onnx-library pypi (the default); --onnx-library npm
 * keeps onnxruntime-node's binding (measure.ts). Why: docs/onnx-runtime.md ("Which call is timed").
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildNative, type NativeBuild, type NativeBuildSpec } from "../../native/build.js";
import { coreSources, PLUGINS_DIR, throughputSources } from "../../native/sources.js";
import { venvQuery, type Venv } from "../../pyenv/venv.js";
import { MlprofError } from "../../util/errors.js";
import { describeLibrary, wheelVenv, type OnnxLibrary } from "./library.js";
import type { ProgressSink } from "../../util/progress.js";

/** What the runner is built against and embeds: the venv's Python and the wheel's extension module. */
export interface EmbeddedPython {
  /** The venv's interpreter, which the runner starts embedded (its site-packages hold the wheel). */
  python: string;
  /** Python version, e.g. 3.11.7. */
  version: string;
  /** The base installation's headers (Python.h) and shared library. */
  include: string;
  libdir: string;
  ldlibrary: string;
  shared: boolean;
  /** onnxruntime_pybind11_state*.so: the wheel's build of ONNX Runtime that the runner calls. */
  module: string | null;
}

const QUERY = `
import importlib.util, json, os, sys, sysconfig
spec = importlib.util.find_spec("onnxruntime")
capi = os.path.join(list(spec.submodule_search_locations)[0], "capi") if spec and spec.submodule_search_locations else ""
mods = sorted(f for f in os.listdir(capi) if f.startswith("onnxruntime_pybind11_state")) if capi and os.path.isdir(capi) else []
print(json.dumps({"version": sys.version.split()[0], "include": sysconfig.get_paths()["include"],
  "libdir": sysconfig.get_config_var("LIBDIR") or "", "ldlibrary": sysconfig.get_config_var("LDLIBRARY") or "",
  "shared": bool(sysconfig.get_config_var("Py_ENABLE_SHARED")),
  "module": os.path.realpath(os.path.join(capi, mods[0])) if mods else None}))
`;

/** The venv's Python as the runner's build needs it; throws a clear error when it cannot be embedded. */
export async function embeddedPython(venv: Venv): Promise<EmbeddedPython> {
  const info = await venvQuery<Omit<EmbeddedPython, "python">>(venv, "embedding", QUERY);
  const py = { python: venv.python, ...info };
  const advice =
    "install the Python development files (Debian/Ubuntu: apt-get install python3-dev), or point MLPROF_PYTHON " +
    "at a Python built with a shared libpython that has them, then remove the venv";
  if (!existsSync(join(py.include, "Python.h"))) {
    throw new MlprofError(
      `the ONNX runner embeds the Python of ${venv.python}, but its headers are missing (no Python.h in ${py.include})`,
      advice,
    );
  }
  if (!py.shared || !py.libdir || !existsSync(join(py.libdir, py.ldlibrary))) {
    throw new MlprofError(
      `the ONNX runner embeds the Python of ${venv.python}, but it has no shared library ` +
        `(${py.shared ? `${join(py.libdir, py.ldlibrary)} is missing` : "built without --enable-shared"})`,
      advice,
    );
  }
  if (!py.module) {
    throw new MlprofError(
      `the onnxruntime wheel in ${venv.dir} has no capi/onnxruntime_pybind11_state*.so`,
      "remove its venv",
    );
  }
  return py;
}

/** The build of the ONNX runner against an embedded Python. */
export function onnxRunnerSpec(py: EmbeddedPython): NativeBuildSpec {
  const core = coreSources();
  const streams = throughputSources();
  return {
    name: "onnx_runner",
    sources: [join(PLUGINS_DIR, "runners/onnx_runner.cc"), ...streams.sources, ...core.sources],
    headers: [...core.headers, ...streams.headers, join(PLUGINS_DIR, "runners/onnx_session.py")],
    includeDirs: [PLUGINS_DIR, py.include],
    ldflags: [`-L${py.libdir}`, `-l:${py.ldlibrary}`, `-Wl,-rpath,${py.libdir}`],
    identity: `python ${py.version} at ${py.libdir}`,
  };
}

/** A ready ONNX runner: its binary, the Python it embeds and the ONNX Runtime build it calls. */
export interface OnnxRunner {
  build: NativeBuild;
  python: EmbeddedPython;
  library: OnnxLibrary;
  /** The folder of onnx_session.py (x.helper_dir of the job). */
  helperDir: string;
}

/**
 * Ensures the venv of the onnxruntime wheel `version` (created on first use) and the runner built against
 * its Python (cached; rebuilt when the sources or the Python change).
 */
export async function ensureOnnxRunner(
  version: string,
  progress: ProgressSink,
  env: NodeJS.ProcessEnv = process.env,
  forRelease?: string,
): Promise<OnnxRunner> {
  const venv = await wheelVenv(version, progress, env, forRelease);
  const python = await embeddedPython(venv);
  const build = await buildNative(onnxRunnerSpec(python), { progress, env });
  return {
    build,
    python,
    library: describeLibrary("pypi", python.module!, env),
    helperDir: join(PLUGINS_DIR, "runners"),
  };
}
