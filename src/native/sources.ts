import { join } from "node:path";
import { MLP_BASE } from "../paths.js";
import type { NativeBuildSpec } from "./build.js";

/** Folder of the native sources: the CMSSW packages (MLProf/...) and the local runners (runners/). */
export const PLUGINS_DIR = join(MLP_BASE, "plugins");

/** Sources and headers of the measurement core and the runner support, shared by every native runner. */
export function coreSources(): { sources: string[]; headers: string[] } {
  return {
    sources: [
      join(PLUGINS_DIR, "MLProf/Utils/src/MeasureCore.cc"),
      join(PLUGINS_DIR, "runners/RunnerSupport.cc"),
    ],
    headers: [
      join(PLUGINS_DIR, "MLProf/Utils/interface/MeasureCore.h"),
      join(PLUGINS_DIR, "runners/RunnerSupport.h"),
    ],
  };
}

/** The throughput mode of the engine runners (plugins/runners/ThroughputSupport.h): S streams in one process. */
export function throughputSources(): { sources: string[]; headers: string[] } {
  return {
    sources: [join(PLUGINS_DIR, "runners/ThroughputSupport.cc")],
    headers: [join(PLUGINS_DIR, "runners/ThroughputSupport.h")],
  };
}

/**
 * The runner with a synthetic engine (plugins/runners/check_runner.cc) that tests the measurement core
 * through the runner protocol; it needs no engine library.
 */
export function checkRunnerSpec(): NativeBuildSpec {
  const core = coreSources();
  return {
    name: "check_runner",
    sources: [join(PLUGINS_DIR, "runners/check_runner.cc"), ...core.sources],
    headers: core.headers,
    includeDirs: [PLUGINS_DIR],
  };
}
