/**
 * The schemas of the records of the store, one per kind: what the measurement process writes
 * (process.json), the measurement record (runtime_bs_<N>.json and runtime_bs_<N>_repeat_<K>.json), the
 * merged record (runtimes_bs_<...>.json) and the memory record (memory_bs_<...>.json). Every record read
 * from the store passes its schema; a wrong one is one error naming the file, the field, what was expected
 * and what was found. The schemas check the type of every field the tool reads and accept keys they do
 * not know (newer writers add fields; the reader ignores them).
 */
import type * as zod from "zod";
import { lazyRequire } from "../util/lazy.js";
import { MAX_RUNTIME_MS } from "../measure/csv.js";
import { MlprofError } from "../util/errors.js";
import { readJsonFile } from "../util/json.js";

/** Loaded on first use (see util/lazy.ts). */
const zodLibrary = lazyRequire<typeof zod>("zod");

/** The largest runtime of one call the tool accepts (see measure/csv.ts). */
export { MAX_RUNTIME_MS };

/**
 * Builds the schemas (on first use: zod is loaded only by the commands that read records, see util/lazy.ts).
 */
function buildSchemas(z: typeof zod.z) {
  const count = z.number().int().nonnegative();
  const positiveInt = z.number().int().positive();
  const duration = z.number().nonnegative();
  const text = z.string();
  const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 (64 hexadecimal digits)");

  /** The timings a measurement process records (ms). */
  const timingsSchema = z.looseObject({
    loadMs: duration,
    firstCallMs: duration.optional(),
    warmupMs: duration,
    measureMs: duration,
  });

  /** The resident memory a measurement process records (kB; 0 where /proc/self/status is missing). */
  const memorySchema = z.looseObject({
    rssBeforeLoadKb: count,
    rssAfterLoadKb: count,
    rssAfterWarmupKb: count,
    rssAfterTimingKb: count,
    peakRssKb: count,
  });

  /** The windows of --until-stable. */
  const stabilitySchema = z.looseObject({
    windowCalls: positiveInt,
    threshold: duration,
    maxDurationMs: duration,
    events: z.array(
      z.looseObject({
        windowMediansMs: z.array(duration),
        stable: z.boolean(),
        discardedCalls: count,
      }),
    ),
  });

  /** What competed for the CPU during the timed calls (measure/competition.ts); absent in older records. */
  const competitionSchema = z.looseObject({
    windowMs: duration,
    runQueueWaitMs: duration,
    involuntarySwitches: count,
    stealMs: duration,
    minorFaults: count,
    majorFaults: count,
    hostCpus: count,
  });

  /** What the measurement process writes about itself (process.json; `process` of a measurement record). */
  const processMetaSchema = z.looseObject({
    engine: z.looseObject({ name: text, version: text, binding: text.optional() }),
    threads: z.looseObject({ intraOp: count, interOp: count }),
    clock: text,
    timings: timingsSchema,
    stability: stabilitySchema.optional(),
    competition: competitionSchema.optional(),
    memory: memorySchema,
    rows: count,
    pid: positiveInt,
    preparation: z.looseObject({}).optional(),
  });

  /** The load averages of a host (1, 5 and 15 minutes). */
  const loadAverageSchema = z.array(duration);

  /** One process of a repeated measurement (`repeats[]` of a measurement record). */
  const repeatEntrySchema = z.looseObject({
    index: positiveInt,
    csv: text,
    json: text,
    rows: positiveInt,
    medianMs: z.number().positive().max(MAX_RUNTIME_MS),
    startedAt: text,
    finishedAt: text,
    loadAverage: loadAverageSchema,
    pid: positiveInt,
    timings: timingsSchema,
    memory: memorySchema,
    stability: stabilitySchema.optional(),
    competition: competitionSchema.optional(),
  });

  /** The measurement record: runtime_bs_<N>.json of MeasureRuntime, runtime_bs_<N>_repeat_<K>.json of a repeat. */
  const measurementRecordSchema = z.looseObject({
    mlprof: z.looseObject({ revision: text }),
    model: z.looseObject({
      file: text,
      graph: text,
      graphSha256: text.optional(),
      name: text,
      label: text,
      engine: text,
    }),
    measurement: z.looseObject({
      batchSize: positiveInt,
      nEvents: positiveInt,
      nCalls: positiveInt,
      nWarmup: count,
      warmupSeconds: duration,
      minDurationSeconds: duration,
      interOpThreads: count,
      cpuAffinity: text,
      warmupPolicy: text,
      inputData: text,
      inputSeed: z.number().int(),
      unit: z.literal("ms"),
      repeats: positiveInt.optional(),
      csvColumns: text.optional(),
    }),
    cmssw: z.looseObject({ version: text, scramArch: text, executor: text, engines: text.optional() }),
    host: z.looseObject({
      hostname: text,
      cpuModel: text,
      logicalCpus: count,
      os: text,
      kernel: text,
      node: text,
      loadAverage: loadAverageSchema,
      frequencyGovernor: text,
    }),
    process: processMetaSchema,
    startedAt: text,
    finishedAt: text,
    repeats: z.array(repeatEntrySchema).min(1).optional(),
    /** The fingerprint of the model content and settings (engines/provenance.ts); absent before it was recorded. */
    provenance: z
      .looseObject({
        contentSha256: sha256,
        graphSha256: text,
        declared: z.looseObject({}),
        settingsSha256: sha256,
      })
      .optional(),
  });

  /** The merged record of MergeRuntimes (runtimes_bs_<...>.json). */
  const mergedRecordSchema = z.looseObject({
    batchSizes: z.array(positiveInt).min(1),
    statistics: z.looseObject({}),
    warnings: z.array(text),
    measurements: z
      .array(
        z.looseObject({
          batchSize: positiveInt,
          csv: text,
          valid: z.boolean().nullable().optional(),
          reasons: z.array(text).optional(),
          pooledCalls: z.looseObject({ n: positiveInt, median: z.number().positive() }).optional(),
          metadata: measurementRecordSchema,
        }),
      )
      .min(1),
  });

  /** The memory record beside a memory CSV (memory_bs_<...>.json). */
  const memoryRecordSchema = z.looseObject({
    model: text,
    batchSizes: z.array(positiveInt).min(1),
    sources: z.array(text),
    units: text,
    csvColumns: text,
  });

  /** What MeasureBatchCosts writes (batchcosts.json): each compiled size alone and the stitched probes. */
  const batchCostsSchema = z.looseObject({
    modelFile: text,
    compiledSizes: z.array(positiveInt).min(1),
    sizes: z
      .array(
        z.looseObject({
          size: positiveInt,
          medianMs: duration,
          processMediansMs: z.array(duration).min(1),
          p16Ms: duration,
          p84Ms: duration,
          csv: text,
          objectBytes: count.optional(),
        }),
      )
      .min(1),
    probes: z.array(
      z.looseObject({
        rule: text,
        target: positiveInt,
        chunks: z.array(positiveInt).min(1),
        padding: count,
        medianMs: duration,
        processMediansMs: z.array(duration).min(1),
        chunksAloneMs: duration,
        predictedMs: duration,
        csv: text,
      }),
    ),
    chunkOverheadMs: z.number(),
    paddedElementSavingMs: z.number(),
    compile: z.looseObject({ compileMs: duration.optional(), dir: text.optional() }),
  });

  return {
    "batch costs": batchCostsSchema,
    "measurement metadata": measurementRecordSchema,
    "measurement process metadata": processMetaSchema,
    "merged measurement metadata": mergedRecordSchema,
    "memory metadata": memoryRecordSchema,
  };
}

let built: ReturnType<typeof buildSchemas> | undefined;

/** The schema of each record kind, by the name errors give the kind. */
export function recordSchemas(): ReturnType<typeof buildSchemas> {
  return (built ??= buildSchemas(zodLibrary().z));
}

/** The name of a record kind. */
export type RecordKind = keyof ReturnType<typeof buildSchemas>;

/** A value as an error message shows what was found: its type, and the value where it is short. */
export function describeFound(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (typeof value === "number") return `the number ${String(value)}`;
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  if (typeof value === "boolean") return `the boolean ${String(value)}`;
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? "" : "s"}`;
  return "an object";
}

/** A field path as an error names it: `repeats[0].rows`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path
    .map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join("");
}

const ARTICLE: Record<string, string> = {
  object: "an object",
  array: "an array",
  number: "a finite number",
  int: "an integer",
  string: "a string",
  boolean: "true or false",
};

/** What an issue says was expected, in words. */
function expectedOf(issue: zod.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return ARTICLE[issue.expected] ?? issue.expected;
    case "too_small":
      if (issue.origin === "array") return `at least ${String(issue.minimum)} item(s)`;
      return `a number ${issue.inclusive ? "of at least" : "above"} ${String(issue.minimum)}`;
    case "too_big":
      return `a number ${issue.inclusive ? "of at most" : "below"} ${String(issue.maximum)}`;
    case "invalid_value":
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
    default:
      return issue.message;
  }
}

/** The message of the first issue: `field <path>: expected <x>, found <y>` (and how many more there are). */
function issueMessage(issues: zod.core.$ZodIssue[]): string {
  const issue = issues[0]!;
  const root = issue.path.length === 0;
  const where = root ? "the document" : `field ${fieldPath(issue.path)}`;
  const expected =
    root && issue.code === "invalid_type" && issue.expected === "object"
      ? "a JSON object"
      : expectedOf(issue);
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return `${where}: expected ${expected}, found ${describeFound(issue.input)}${more}`;
}

/**
 * Checks data read from `path` against the schema of its kind; returns it typed as `T`, or throws one
 * error naming the kind, the file, the field, what was expected and what was found.
 */
export function parseRecord<T>(kind: RecordKind, path: string, data: unknown): T {
  const result = recordSchemas()[kind].safeParse(data, { reportInput: true });
  if (result.success) return data as T;
  throw new MlprofError(
    `${kind} ${path}: ${issueMessage(result.error.issues)}`,
    "the file is not what MLProf writes (edited, or cut off); remove the output (--remove-output) and run again to make it anew",
  );
}

/** Reads a JSON record of the store and checks it against the schema of its kind (see parseRecord). */
export function readRecord<T>(kind: RecordKind, path: string): T {
  return parseRecord<T>(kind, path, readJsonFile(path, kind));
}

/**
 * Checks facts an engine declares the schema of (Engine.preparation: zod is handed to `schemaOf`) found at
 * `field` of a record read from `path`; returns them typed, or throws one error naming the file, the field,
 * what was expected and what was found.
 */
export function parseDeclared<T>(
  schemaOf: (z: typeof zod.z) => zod.ZodType<T>,
  path: string,
  field: readonly PropertyKey[],
  data: unknown,
): T {
  const result = schemaOf(zodLibrary().z).safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({ ...i, path: [...field, ...i.path] }));
  throw new MlprofError(
    `${path}: ${issueMessage(issues)}`,
    "the file is not what MLProf writes (edited, or cut off); remove the output (--remove-output) and run again to make it anew",
  );
}
