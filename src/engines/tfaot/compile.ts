import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import type { ModelSpec } from "../../model/spec.js";
import { withLock } from "../../util/lock.js";
import { MLP_BASE, softwareDir } from "../../paths.js";
import type { TensorflowInstall } from "../tf/install.js";
import { combineAotHeaders, readAotHeader, type AotSignature } from "./header.js";
import { MlprofError } from "../../util/errors.js";
import { writeJsonAtomic } from "../../util/fs.js";
import { readJsonFile } from "../../util/json.js";
import { treeHash } from "../../util/hash.js";
import { pool } from "../../util/pool.js";
import type { ProgressFn } from "../engine.js";
import type { TfaotSection } from "./modelfile.js";
import { runStreaming } from "../../util/process.js";
import { ProgressBar, progressMode } from "../../util/progress.js";

/** The Python helper that writes the per-batch-size serving signatures (run in the TensorFlow venv). */
export const SIGNATURES_SCRIPT = join(MLP_BASE, "src", "engines", "tfaot", "signatures.py");

/** Namespace and class prefix of the compiled functions: mlprof_aot::model_bs<N>. */
export const AOT_NAMESPACE = "mlprof_aot";
export const AOT_PREFIX = "model";

/** A SavedModel compiled for its batch sizes, as cached. */
export interface CompiledModel {
  /** The cache folder: model_bs<N>.h and the object files per batch size. */
  dir: string;
  key: string;
  signature: AotSignature;
  /** Every object file the compiler wrote (model_bs<N>.o, _constants.o, _metadata.o), to be linked. */
  objects: string[];
  /** Wall time of the compilation that filled the cache, ms. */
  compileMs: number;
  /** Whether this call found the compilation in the cache. */
  cached: boolean;
}

/** What compile.json in a cache folder records. */
interface CompileRecord {
  key: string;
  savedModel: string;
  servingKey: string;
  batchSizes: number[];
  xlaFlags: string[];
  tfXlaFlags: string[];
  tensorflow: string;
  compileMs: number;
  compiledAt: string;
}

/** A SHA-256 of a SavedModel folder: every file's relative path and content. */
export function savedModelHash(root: string): string {
  return treeHash(root);
}

/**
 * The cache key of a compilation: the SavedModel's content (every file), the serving key, the batch sizes,
 * both flag lists, the TensorFlow version and the helper script.
 */
export function compileKey(spec: ModelSpec<TfaotSection>, tf: TensorflowInstall): string {
  const hash = createHash("sha256").update(savedModelHash(spec.section.savedModel));
  const c = spec.section.compilation;
  hash.update(
    JSON.stringify({
      servingKey: spec.section.servingKey,
      batchSizes: c.batchSizes,
      xlaFlags: c.xlaFlags,
      tfXlaFlags: c.tfXlaFlags,
      tensorflow: tf.version,
    }),
  );
  hash.update(readFileSync(SIGNATURES_SCRIPT));
  return hash.digest("hex").slice(0, 16);
}

/** Refuses flags that cannot be passed through XLA_FLAGS / TF_XLA_FLAGS (space-joined). */
function checkFlags(spec: ModelSpec<TfaotSection>): void {
  const c = spec.section.compilation;
  for (const [field, flags] of [
    ["xla_flags", c.xlaFlags],
    ["tf_xla_flags", c.tfXlaFlags],
  ] as const) {
    for (const flag of flags) {
      if (!/^--[A-Za-z0-9_]+(=\S*)?$/.test(flag)) {
        throw new MlprofError(
          `model file ${spec.yamlPath}: compilation.${field}: '${flag}' is not a flag '--name' or '--name=value' ` +
            "without spaces",
        );
      }
    }
  }
}

/** The known failure of a flag TensorFlow's XLA does not know, as a clear error naming the flag. */
function unknownFlagError(
  spec: ModelSpec<TfaotSection>,
  tf: TensorflowInstall,
  lines: string[],
): MlprofError | undefined {
  for (const line of lines) {
    const m = /Unknown flags? in (TF_XLA_FLAGS|XLA_FLAGS): (\S+)/.exec(line);
    if (m) {
      const field = m[1] === "XLA_FLAGS" ? "xla_flags" : "tf_xla_flags";
      return new MlprofError(
        `model file ${spec.yamlPath}: compilation.${field}: the XLA of TensorFlow ${tf.version} does not know the flag ` +
          `${m[2]} (${m[1]} refused it)`,
        `remove ${m[2]} from compilation.${field}; the flags a TensorFlow release knows change between releases`,
      );
    }
  }
  return undefined;
}

function loadCompiled(dir: string, cached: boolean): CompiledModel {
  const record = readJsonFile(join(dir, "compile.json"), "record of the compiled model") as CompileRecord;
  const headers = record.batchSizes.map((bs) => readAotHeader(join(dir, `${AOT_PREFIX}_bs${bs}.h`)));
  const objects = readdirSync(dir)
    .filter((f) => f.startsWith(`${AOT_PREFIX}_bs`) && f.endsWith(".o"))
    .sort()
    .map((f) => join(dir, f));
  return {
    dir,
    key: record.key,
    signature: combineAotHeaders(headers),
    objects,
    compileMs: record.compileMs,
    cached,
  };
}

/**
 * Compiles a tfaot model's SavedModel once per compiled batch size, as cms-tfaot does: a helper run in the
 * TensorFlow venv writes a SavedModel with a `<serving_key>_bs<N>` signature per size (batch dimension
 * fixed), then `saved_model_cli aot_compile_cpu` compiles each (XLA_FLAGS and TF_XLA_FLAGS from the model
 * file, space-joined). The result is cached under <software>/tfaot/models/<key>/ by compileKey: a second
 * call compiles nothing. An unknown XLA flag gives an error naming it.
 */
export async function compileSavedModel(
  spec: ModelSpec<TfaotSection>,
  tf: TensorflowInstall,
  progress: ProgressFn,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CompiledModel> {
  checkFlags(spec);
  const key = compileKey(spec, tf);
  const dir = join(softwareDir(env), "tfaot", "models", key);
  if (existsSync(join(dir, "compile.json"))) return loadCompiled(dir, true);

  return withLock(`${dir}.lock`, { what: `compiling ${spec.section.savedModel}`, progress }, async () => {
    if (existsSync(join(dir, "compile.json"))) return loadCompiled(dir, true);
    const c = spec.section.compilation;
    const servingKey = spec.section.servingKey;
    const started = performance.now();
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const bar = new ProgressBar(progress, {
      label: `tfaot: compiling ${basename(spec.section.savedModel)}`,
      unit: "batch sizes",
      total: c.batchSizes.length,
      mode: progressMode(env),
    });
    try {
      const quiet = { ...env, TF_CPP_MIN_LOG_LEVEL: "2" };
      const wrapped = join(tmp, "saved_model_bs");
      bar.setNote("writing serving signatures");
      const sig = await runStreaming(
        tf.venv.python,
        [SIGNATURES_SCRIPT, spec.section.savedModel, wrapped, servingKey, c.batchSizes.join(",")],
        { env: quiet },
      );
      if (sig.exitCode !== 0) {
        const known = sig.tail.find((l) => l.startsWith("mlprof: "));
        throw new MlprofError(
          known
            ? `model file ${spec.yamlPath}: ${known.slice("mlprof: ".length)}`
            : `preparing ${spec.section.savedModel} for AOT compilation failed:\n${sig.tail.slice(-15).join("\n")}`,
        );
      }
      const cli = join(tf.venv.dir, "bin", "saved_model_cli");
      const flagEnv = {
        ...quiet,
        ...(c.xlaFlags.length > 0 ? { XLA_FLAGS: c.xlaFlags.join(" ") } : {}),
        ...(c.tfXlaFlags.length > 0 ? { TF_XLA_FLAGS: c.tfXlaFlags.join(" ") } : {}),
      };
      let done = 0;
      bar.setNote(undefined);
      bar.update(0);
      await pool(c.batchSizes, Math.max(1, Math.min(4, availableParallelism())), async (bs) => {
        const run = await runStreaming(
          cli,
          [
            "aot_compile_cpu",
            "--dir",
            wrapped,
            "--tag_set",
            "serve",
            "--signature_def_key",
            `${servingKey}_bs${bs}`,
            "--output_prefix",
            join(tmp, `${AOT_PREFIX}_bs${bs}`),
            "--cpp_class",
            `${AOT_NAMESPACE}::${AOT_PREFIX}_bs${bs}`,
            "--multithreading",
            "false",
          ],
          { env: flagEnv, cwd: tmp },
        );
        if (run.exitCode !== 0 || !existsSync(join(tmp, `${AOT_PREFIX}_bs${bs}.h`))) {
          throw (
            unknownFlagError(spec, tf, run.tail) ??
            new MlprofError(
              `saved_model_cli aot_compile_cpu failed for ${spec.section.savedModel} at batch size ${bs}:\n` +
                run.tail.slice(-15).join("\n"),
            )
          );
        }
        bar.update(++done);
      });
      rmSync(wrapped, { recursive: true, force: true });
      const record: CompileRecord = {
        key,
        savedModel: spec.section.savedModel,
        servingKey,
        batchSizes: c.batchSizes,
        xlaFlags: c.xlaFlags,
        tfXlaFlags: c.tfXlaFlags,
        tensorflow: tf.version,
        compileMs: performance.now() - started,
        compiledAt: new Date().toISOString(),
      };
      writeJsonAtomic(join(tmp, "compile.json"), record);
      loadCompiled(tmp, false);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      bar.finish(`compiled ${c.batchSizes.length} batch sizes of ${spec.section.savedModel}`);
      return loadCompiled(dir, false);
    } finally {
      bar.stop();
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
