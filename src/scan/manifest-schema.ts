/**
 * The schema of a scan's manifest (zod): every field MLProf reads, with its type and the values it may
 * take, so that a damaged or hand-edited manifest is one error naming the file, the job and the field
 * rather than a TypeError, or a path that leaves the scan's folders, later.
 */
import { z } from "zod";
import { MlprofError } from "../util/errors.js";

/**
 * States of a job in the manifest; "submitting" marks a submission whose ids were not recorded yet;
 * "cancelled" a job removed by `mlprof cancel` or by hand (condor_rm, scancel): not resubmitted unasked.
 * How a job goes from one to another: JOB_TRANSITIONS and setJobState in manifest.ts.
 */
export const JOB_STATES = [
  "created",
  "submitting",
  "pending",
  "running",
  "held",
  "done",
  "failed",
  "cancelled",
] as const;

/** A job's state in the manifest. */
export type JobState = (typeof JOB_STATES)[number];

/** Job ids become folder names in the stage area and the logs: j0000, j0001, ... */
const JOB_ID = /^j\d{1,9}$/;
/** Batch ids become parts of log file names: no '/', no whitespace or control characters. */
const BATCH_ID = /^[A-Za-z0-9_.:@#+-]+$/;

const count = z.number().int().nonnegative();
const strings = z.array(z.string());

const runFacts = z.object({
  host: z.string(),
  started: z.string(),
  finished: z.string(),
  loadStart: z.array(z.number()).optional(),
  loadEnd: z.array(z.number()).optional(),
  cpusAllowed: z.string().optional(),
  pinned: z.string().optional(),
  nodeCpuModel: z.string().optional(),
  nodeCpus: z.number().int().positive().optional(),
});

const attempt = z.object({
  batchId: z.string().regex(BATCH_ID, "a batch id (letters, digits, '_', '.', no '/')"),
  submission: count,
  at: z.string(),
  run: runFacts.optional(),
});

const job = z.object({
  id: z.string().regex(JOB_ID, "a job id such as j0003"),
  measurements: z.array(count),
  state: z.enum(JOB_STATES),
  attempts: z.array(attempt),
  reason: z.string().optional(),
  final: z.boolean().optional(),
  requestMemoryMb: z.number().positive().optional(),
  overlaps: strings.optional(),
  logTail: strings.optional(),
});

const settings = z
  .object({
    requestCpus: count.optional(),
    requestMemoryMb: z.number().positive().optional(),
    extra: strings.optional(),
    walltimeS: z.number().nonnegative().optional(),
    parallelJobs: count.optional(),
    cpuIsolation: z.enum(["exclusive", "cores", "none"]).optional(),
  })
  .passthrough();

const target = z.object({
  batchSystem: z.string(),
  ssh: z
    .object({
      host: z.string(),
      port: z.number().int().min(1).max(65535),
      user: z.string(),
      keyFile: z.string().optional(),
      knownHosts: strings,
    })
    .optional(),
  jobDir: z.string(),
  stageOut: z.enum(["transfer", "shared", "xrootd"]),
  outputBase: z.string(),
  batchEnv: z.record(z.string(), z.string()),
  retries: count,
  jobName: z.string(),
  settings,
  transferInput: strings,
});

const model = z.object({ name: z.string(), file: z.string(), engine: z.string(), graphSha256: z.string() });

/** A scan's manifest as written by mlprof submit (format 1). */
export const MANIFEST_SCHEMA = z.object({
  format: z.literal(1),
  scan: z.object({
    name: z.string(),
    version: z.string(),
    hash: z.string(),
    args: z.record(z.string(), z.unknown()),
  }),
  target,
  createdAt: z.string(),
  updatedAt: z.string(),
  submissions: count,
  jobs: z.array(job),
  outputs: z.array(z.tuple([z.string(), z.string()])),
  models: z.array(model).optional(),
  cleanedAt: z.string().optional(),
});

/** The type of a JSON value as messages name it. */
function typeOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "an object" : typeof v;
}

/** A value as messages show it: its type and (the start of) its JSON. */
function shownValue(v: unknown): string {
  return v === undefined ? "nothing" : `${typeOf(v)} ${JSON.stringify(v)?.slice(0, 60) ?? ""}`;
}

/** The value at a path of the data (undefined where the path leaves it). */
function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** A field path as messages name it: jobs[3].attempts[0].batchId. */
function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((k, i) => (typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`))
    .join("");
}

const NOUNS: Record<string, string> = {
  object: "an object",
  array: "a list",
  string: "a string",
  number: "a number",
  boolean: "true or false",
};

/** What a schema issue expected, in words (zod 3 and zod 4 name their issues' parts differently). */
function expectedOf(issue: Record<string, unknown>): string {
  const code = String(issue["code"]);
  const options = (issue["options"] ?? issue["values"]) as unknown[] | undefined;
  if (Array.isArray(options)) return `one of ${options.map(String).join(", ")}`;
  if (code === "invalid_type") {
    const e = String(issue["expected"]);
    return NOUNS[e] ?? e;
  }
  if (code === "invalid_literal") return JSON.stringify(issue["expected"]);
  if (code === "too_small" && issue["minimum"] !== undefined) return `at least ${String(issue["minimum"])}`;
  if (code === "too_big" && issue["maximum"] !== undefined) return `at most ${String(issue["maximum"])}`;
  if (code === "invalid_string" || code === "invalid_format") return String(issue["message"]);
  return String(issue["message"])
    .replace(/^Expected /, "")
    .replace(/^Invalid input: expected /, "");
}

/**
 * Checks a manifest's data against MANIFEST_SCHEMA; the first problem is one error naming the file, the
 * job (where the field is a job's) and the field, what was expected and what was found.
 */
export function parseManifest<T>(data: unknown, path: string): T {
  const result = MANIFEST_SCHEMA.safeParse(data);
  if (result.success) return data as T;
  const issue = result.error.issues[0]! as unknown as Record<string, unknown>;
  const at = issue["path"] as PropertyKey[];
  // a missing key is reported where it is missing, with what was expected there
  const found = valueAt(data, at);
  let where = "";
  if (at[0] === "jobs" && typeof at[1] === "number") {
    const id = valueAt(data, ["jobs", at[1], "id"]);
    where = `job ${typeof id === "string" && JOB_ID.test(id) ? id : `#${at[1] + 1}`}: `;
  }
  throw new MlprofError(
    `scan manifest ${path}: ${where}field '${fieldName(at)}': expected ${expectedOf(issue)}, found ${shownValue(found)}`,
    "the manifest is written by mlprof submit; restore it, or submit the scan again under another --version",
  );
}
