/** `mlprof releases`: the engine versions of each CMSSW release series, and what of them is installed here. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CommandModule } from "yargs";
import { RELEASE_TABLE, releaseTable } from "../cmssw/releases.js";
import {
  bundledPackage,
  nearestPublished,
  packagesDir,
  publishedVersions,
} from "../engines/onnx/packages.js";
import { TENSORFLOW_VERSION, tensorflowVenv } from "../engines/tf/install.js";
import { venvDir } from "../pyenv/venv.js";
import { textTable } from "../report/text.js";
import { errorMessage } from "../util/errors.js";

/** The lines of `mlprof releases`. */
export async function releaseLines(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const rows = releaseTable();
  let published: string[] | undefined;
  let npmProblem = "";
  try {
    published = await publishedVersions(env);
  } catch (err) {
    npmProblem = errorMessage(err).split("\n")[0]!;
  }
  const own = bundledPackage();
  const ortCell = (v: string | null) => {
    if (!v) return ["unknown", "–"];
    const standIn = published ? nearestPublished(v, published) : undefined;
    const npm = !published
      ? "?"
      : standIn === undefined
        ? "none published"
        : standIn === v
          ? v
          : `${standIn} (nearest)`;
    const here =
      standIn &&
      (standIn === own.version || existsSync(join(packagesDir(env), standIn, "mlprof-package.json")))
        ? "installed"
        : "–";
    return [npm, here];
  };
  const tfCell = (v: string | null) => {
    if (!v) return "–";
    if (
      v === TENSORFLOW_VERSION &&
      existsSync(join(venvDir(tensorflowVenv(v).name, env), "mlprof-venv.json"))
    )
      return "installed (the tool's)";
    return existsSync(join(venvDir(tensorflowVenv(v).name, env), "mlprof-venv.json")) ? "installed" : "–";
  };
  const body = rows.map((r) => {
    const [npm, ortHere] = ortCell(r.onnxruntime);
    return [
      r.series.join(", "),
      r.onnxruntime ?? "unknown",
      npm!,
      ortHere!,
      r.tensorflow ?? "unknown",
      tfCell(r.tensorflow),
      r.verified ? "yes" : "inferred",
    ];
  });
  const table = textTable(
    [
      { header: "series" },
      { header: "ONNX Runtime" },
      { header: "onnxruntime-node" },
      { header: "here" },
      { header: "TensorFlow" },
      { header: "here" },
      { header: "verified" },
    ],
    body,
  );
  return [
    `engine versions per CMSSW release series (${RELEASE_TABLE}; sources per row there):`,
    ...table,
    `this machine measures with --engine-versions installed: onnxruntime-node ${own.version}, tensorflow-cpu ${TENSORFLOW_VERSION}`,
    ...(npmProblem ? [`(npm not asked for published versions: ${npmProblem})`] : []),
    "with --engine-versions release a measurement installs its release's versions on first use",
  ];
}

export const releasesCommand: CommandModule = {
  command: "releases",
  handler: async () => {
    for (const line of await releaseLines()) console.log(line);
  },
};
