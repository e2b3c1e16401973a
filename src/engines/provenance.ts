/**
 * Provenance of a measurement: a fingerprint of the model content it was made from (the graph files and
 * what the yaml declares) and of its significant settings, recorded with every measurement and compared
 * by the tasks that read stored measurements (framework/provenance.ts), so that numbers of another model
 * or other settings are never joined with these.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { ModelSpec } from "../model/spec.js";
import type { RunSettings } from "../measure/run.js";
import { treeHash } from "../util/hash.js";
import { loadModelFile } from "./modelfile.js";

/** What a measurement record carries of its provenance (MeasurementRecord.provenance). */
export interface MeasurementProvenance {
  /** SHA-256 of `graphSha256` and `declared` (canonical JSON): the model content as one hash. */
  contentSha256: string;
  /** SHA-256 of the graph file (a folder such as a SavedModel: its tree hash; several: of their hashes). */
  graphSha256: string;
  /** What the yaml declares: engine, inputs and outputs (shapes, dtypes, values, ranges), engine settings. */
  declared: Record<string, unknown>;
  /** SHA-256 of the significant measurement settings (canonical JSON; the number of repeats left out). */
  settingsSha256: string;
}

/** The settings a measurement is made with, besides the batch size (in its file name). */
export interface ProvenanceSettings {
  run: RunSettings;
  cmsswVersion: string;
  scramArch: string;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const sha256 = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");

/** Hashes of files and folders, by path, size and modification time (each content hashed once per run). */
const hashCache = new Map<string, { key: string; hash: string }>();

/**
 * SHA-256 of a file, cached while its size and modification time stay; the tree hash of a folder (a
 * SavedModel), never cached: a file replaced inside it changes neither the folder's size nor its time.
 */
export function contentHash(path: string): string {
  const st = statSync(path);
  if (st.isDirectory()) return treeHash(path);
  const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const cached = hashCache.get(path);
  if (cached?.key === key) return cached.hash;
  const hash = sha256(readFileSync(path));
  hashCache.set(path, { key, hash });
  return hash;
}

/** The graph paths of an engine's section: its string values that are absolute paths (file, saved_model). */
function graphPaths(section: unknown): { key: string; path: string }[] {
  if (section === null || typeof section !== "object") return [];
  return Object.entries(section as Record<string, unknown>)
    .filter((e): e is [string, string] => typeof e[1] === "string" && isAbsolute(e[1]))
    .map(([key, path]) => ({ key, path }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** The model content of a validated model file: the graph hash and what the yaml declares. */
export function modelContent(spec: ModelSpec): Omit<MeasurementProvenance, "settingsSha256"> {
  const paths = graphPaths(spec.section);
  const hashes = paths.map((p) => (existsSync(p.path) ? contentHash(p.path) : "missing"));
  const graphSha256 = hashes.length === 1 ? hashes[0]! : sha256(hashes.join("\n"));
  const section = Object.fromEntries(
    Object.entries((spec.section ?? {}) as Record<string, unknown>).filter(
      ([key]) => !paths.some((p) => p.key === key),
    ),
  );
  const declared = JSON.parse(
    canonicalJson({ engine: spec.engine, inputs: spec.inputs, outputs: spec.outputs, section }),
  ) as Record<string, unknown>;
  return { contentSha256: sha256(canonicalJson({ graphSha256, declared })), graphSha256, declared };
}

/** Model files read for their current content, by path, size and modification time. */
const specCache = new Map<string, { key: string; spec: ModelSpec }>();

/** The model file as it is now (read again only when its size or modification time changed). */
export function currentSpec(yamlPath: string): ModelSpec {
  const st = statSync(yamlPath);
  const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
  const cached = specCache.get(yamlPath);
  if (cached?.key === key) return cached.spec;
  const spec = loadModelFile(yamlPath);
  specCache.set(yamlPath, { key, spec });
  return spec;
}

/** SHA-256 of the significant settings of a measurement (the number of repeats is not one of its own). */
export function settingsSha256(s: ProvenanceSettings): string {
  const run = Object.fromEntries(Object.entries(s.run).filter(([key]) => key !== "repeats"));
  return sha256(canonicalJson({ run, cmsswVersion: s.cmsswVersion, scramArch: s.scramArch }));
}

/** The provenance of a measurement of `spec` with the settings `s`. */
export function measurementProvenance(spec: ModelSpec, s: ProvenanceSettings): MeasurementProvenance {
  return { ...modelContent(spec), settingsSha256: settingsSha256(s) };
}

const short = (hash: string) => `${hash.slice(0, 12)}…`;

/** The first difference of two declared tensor lists, in words ("input 'x' shape [4] was [2]"). */
function tensorChange(kind: string, now: unknown, was: unknown): string | undefined {
  const list = (v: unknown) => (Array.isArray(v) ? (v as Record<string, unknown>[]) : []);
  const byName = (v: unknown) => new Map(list(v).map((t) => [String(t.name), t]));
  const a = byName(now);
  const b = byName(was);
  for (const [name, t] of a) {
    const old = b.get(name);
    if (!old) return `${kind} '${name}' added`;
    for (const key of new Set([...Object.keys(t), ...Object.keys(old)])) {
      const x = canonicalJson(t[key]);
      const y = canonicalJson(old[key]);
      if (x !== y) return `${kind} '${name}' ${key} ${x} was ${y}`;
    }
  }
  for (const name of b.keys()) if (!a.has(name)) return `${kind} '${name}' removed`;
  if (canonicalJson(list(now).map((t) => t.name)) !== canonicalJson(list(was).map((t) => t.name)))
    return `${kind}s reordered`;
  return undefined;
}

/**
 * What changed in a model's content (graph, declared inputs, outputs and engine settings) since `was`, in
 * words; undefined when nothing did.
 */
export function contentChange(
  now: Omit<MeasurementProvenance, "settingsSha256">,
  was: Partial<MeasurementProvenance>,
): string | undefined {
  const reasons: string[] = [];
  if (was.graphSha256 !== now.graphSha256)
    reasons.push(`graph changed: sha256 ${short(now.graphSha256)} was ${short(String(was.graphSha256))}`);
  if (canonicalJson(was.declared) !== canonicalJson(now.declared)) {
    const d = (was.declared ?? {}) as Record<string, unknown>;
    const change =
      tensorChange("input", now.declared.inputs, d.inputs) ??
      tensorChange("output", now.declared.outputs, d.outputs) ??
      (canonicalJson(d.engine) !== canonicalJson(now.declared.engine)
        ? `inference_engine ${canonicalJson(now.declared.engine)} was ${canonicalJson(d.engine)}`
        : "the engine's settings in the model file changed");
    reasons.push(`declared ${change}`);
  } else if (reasons.length === 0 && was.contentSha256 !== now.contentSha256) {
    reasons.push(
      `model content changed: sha256 ${short(now.contentSha256)} was ${short(String(was.contentSha256))}`,
    );
  }
  return reasons.length > 0 ? reasons.join("; ") : undefined;
}

/**
 * Why a stored measurement's provenance differs from the current one ("graph changed: sha256 1a2b… was
 * 9f8e…", "declared input 'x' shape [4] was [2]", "measurement settings changed"), or undefined when it
 * is the same.
 */
export function provenanceChange(
  now: MeasurementProvenance,
  was: Partial<MeasurementProvenance>,
): string | undefined {
  const reasons = [contentChange(now, was)].filter((r): r is string => r !== undefined);
  if (was.settingsSha256 !== now.settingsSha256) reasons.push("measurement settings changed");
  return reasons.length > 0 ? reasons.join("; ") : undefined;
}
