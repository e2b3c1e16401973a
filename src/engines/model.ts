import { basename, extname } from "node:path";
import { shortHash } from "../util/hash.js";
import type { ModelSpec } from "../model/spec.js";
import { loadModelFile } from "./modelfile.js";

/** A model as a task sees it: its file, the name used in output paths and the label used in plots. */
export class Model {
  private cached?: ModelSpec;

  constructor(
    /** Absolute path of the model yaml. */
    readonly file: string,
    private readonly nameOverride?: string,
    private readonly labelOverride?: string,
  ) {}

  /** The validated model file (loaded on first use). */
  get spec(): ModelSpec {
    this.cached ??= loadModelFile(this.file);
    return this.cached;
  }

  /**
   * Name in output paths: --model-name, else the yaml's base name plus a hash of its path (as the
   * original), its characters outside those of names (util/names.ts) replaced by '_'.
   */
  get fullName(): string {
    return this.nameOverride || `${this.baseName}_${shortHash(this.file, 8)}`;
  }

  /** The yaml's base name with the characters outside those of names replaced by '_'. */
  private get baseName(): string {
    return basename(this.file, extname(this.file))
      .replace(/[^A-Za-z0-9_.+-]/g, "_")
      .replace(/^\./, "_")
      .slice(0, 100);
  }

  /**
   * The model's folder name in output paths: `model_<name>`, without doubling the prefix of a yaml named
   * `model_*.yaml` (the examples': model_tf_l10u128_<hash>, not model_model_tf_l10u128_<hash>).
   */
  get storeName(): string {
    return this.nameOverride ? `model_${this.nameOverride}` : `model_${this.fullName.replace(/^model_/, "")}`;
  }

  /** A short name for file names of plots of several models: --model-name, else the base name without hash. */
  get shortName(): string {
    return this.nameOverride || this.baseName.replace(/^model_/, "");
  }

  /** Label in plots: --model-label, else the yaml's label, else its name, else the full name. */
  get label(): string {
    return this.labelOverride || this.spec.label || this.spec.name || this.fullName;
  }
}
