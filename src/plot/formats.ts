/**
 * The file types a plot can be written as (`--file-types`): pdf and svg (vector), png (raster) and eps
 * (converted from the PDF by poppler's pdftops, PostScript level 3, which Debian's poppler-utils ships;
 * pdftocairo's EPS of a landscape page has a wrong bounding box). EPS has no transparency: the regions with
 * the light bands are embedded as 300 dpi images, the text (fonts embedded), lines and markers stay vector.
 */
import { execFile } from "node:child_process";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { MlprofError } from "../util/errors.js";
import { makeTempDir } from "../util/fs.js";
import { findExecutable } from "../util/which.js";

/** The plot file types; an interactive .html is always written besides them. */
export const FILE_TYPES = ["pdf", "png", "svg", "eps"] as const;

/** One plot file type. */
export type FileType = (typeof FILE_TYPES)[number];

/** Name prefix of the work folders of the conversion (with the owner's identity: stale ones are removed). */
export const EPS_WORK_PREFIX = "mlprof-eps";

/** The converter of PDF to EPS. */
const PDF_TO_EPS = "pdftops";

/**
 * The distinct file types of `--file-types`, checked: each one known, at least one, and for eps the
 * converter on PATH (an error saying how to install it, before anything is measured).
 */
export function checkFileTypes(given: string[], env: NodeJS.ProcessEnv = process.env): FileType[] {
  const types = [...new Set(given.map((t) => t.trim().toLowerCase()))];
  for (const t of types) {
    if (!(FILE_TYPES as readonly string[]).includes(t)) {
      throw new MlprofError(
        `--file-types: expected some of ${FILE_TYPES.join(", ")}, found '${t}' (an interactive .html is always written)`,
      );
    }
  }
  if (types.length === 0)
    throw new MlprofError(`--file-types: expected at least one of ${FILE_TYPES.join(", ")}`);
  if (types.includes("eps") && !findExecutable(PDF_TO_EPS, env)) {
    throw new MlprofError(
      `--file-types eps: the EPS is converted from the PDF by ${PDF_TO_EPS}, which is not on PATH`,
      "install poppler-utils (apt-get install poppler-utils; ./setup.sh does), or ask for pdf or svg",
    );
  }
  return types as FileType[];
}

/** Converts a PDF (its bytes) to EPS with pdftops; the bounding box is the PDF's page. */
export async function pdfToEps(pdf: Uint8Array): Promise<Uint8Array> {
  const dir = makeTempDir(EPS_WORK_PREFIX);
  try {
    await writeFile(join(dir, "figure.pdf"), pdf);
    await promisify(execFile)(PDF_TO_EPS, ["-level3", "-eps", "figure.pdf", "figure.eps"], {
      cwd: dir,
    });
    return await readFile(join(dir, "figure.eps"));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`converting the plot to EPS with ${PDF_TO_EPS} failed: ${reason}`, { cause: error });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
