/**
 * The 990-job cmssw dry run of issue 14: `mlprof submit --dry-run --executor cmssw` of 5 models (ONNX, TF
 * and TF AOT) × 11 batch sizes × 9 releases × 2 SCRAM architectures, one job per measurement, each with its
 * cmsRun config rendered at submission. Runs the whole command --runs times (a fresh store each), prints
 * the minimum, median and maximum wall time, checks that every measurement has its config and parses one
 * config per engine with python3's ast.
 * Usage: npm run build && flock /tmp/mlprof-timing.lock npx tsx scripts/bench-scan-dryrun.ts [--runs 5]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const RUNS = Number(arg("runs", "5"));
const REPO = join(import.meta.dirname, "..");
const BIN = join(REPO, "bin", "mlprof.js");
const dnn = join(REPO, "examples", "dnn");
const MODELS = ["onnx_l10u128", "onnx_l20u256", "tf_l10u128", "tf_l20u128", "tfaot_l10u128"];
const ARGS = [
  "submit",
  "--dry-run",
  "--scan-name",
  "s990",
  "--version",
  "v1",
  "--batch-system",
  "htcondor",
  "--x509-proxy",
  "no",
  "--executor",
  "cmssw",
  "--model-files",
  MODELS.map((m) => join(dnn, `model_${m}.yaml`)).join(","),
  "--batch-sizes",
  "1,2,4,8,16,32,64,128,256,512,1024",
  "--cmssw-versions",
  [
    "CMSSW_14_1_0",
    "CMSSW_14_1_1",
    "CMSSW_14_2_0",
    "CMSSW_14_2_1",
    "CMSSW_15_0_0",
    "CMSSW_15_0_1",
    "CMSSW_15_1_0",
    "CMSSW_16_0_0",
    "CMSSW_16_1_0",
  ].join(","),
  "--scram-archs",
  "el8_amd64_gcc12,el9_amd64_gcc12",
];
const EXPECTED = 5 * 11 * 9 * 2;

/** Every cmsRun config below the job folder's configs/. */
function configs(jobs: string): string[] {
  const dir = join(jobs, "configs");
  return readdirSync(dir).flatMap((job) => readdirSync(join(dir, job)).map((f) => join(dir, job, f)));
}

const times: number[] = [];
let last = "";
for (let r = 0; r < RUNS; r++) {
  if (last) rmSync(last, { recursive: true, force: true });
  last = mkdtempSync(join(tmpdir(), "mlprof-bench-dryrun-"));
  const env = { ...process.env, MLP_DATA: last, MLP_STORE: "", MLPROF_PROGRESS: "quiet", FORCE_COLOR: "0" };
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [BIN, ...ARGS], { env, stdio: "ignore" });
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
try {
  const jobs = join(last, "store", "Scans", "s990", "v1", "jobs");
  const files = configs(jobs);
  const table = readFileSync(join(jobs, "jobs_1.txt"), "utf8").trim().split("\n");
  if (table.length !== EXPECTED || files.length !== EXPECTED) {
    throw new Error(
      `expected ${EXPECTED} jobs and configs, found ${table.length} jobs, ${files.length} configs`,
    );
  }
  // one config per engine, by the header the worker checks
  const byEngine = new Map<string, string>();
  for (const f of files) {
    const m = /^# mlprof-measurement: .*"engine":"([a-z]+)"/m.exec(readFileSync(f, "utf8"));
    if (m && !byEngine.has(m[1]!)) byEngine.set(m[1]!, f);
  }
  for (const [engine, f] of byEngine) {
    execFileSync("python3", ["-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", f]);
    console.log(`python3 ast: ${engine} config ${f.slice(jobs.length + 1)} parses`);
  }
  const t = [...times].sort((a, b) => a - b);
  console.log(
    `${EXPECTED} jobs, ${files.length} cmsRun configs (engines: ${[...byEngine.keys()].join(", ")}); ` +
      `${RUNS} runs, wall seconds min / median / max: ${t[0]!.toFixed(2)} / ${t[Math.floor(t.length / 2)]!.toFixed(2)} / ${t.at(-1)!.toFixed(2)}`,
  );
} finally {
  rmSync(last, { recursive: true, force: true });
}
