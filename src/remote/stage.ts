import { posix } from "node:path";
import { MlprofError } from "../util/errors.js";
import { execOrThrow, type Shell } from "./shell.js";
import {
  parseXrdUrl,
  xrdFetchTree,
  xrdListFiles,
  xrdRemoveTree,
  xrdUrl,
  type XrdLocation,
} from "./xrootd.js";

/**
 * Where finished jobs leave their outputs: one folder per job (<base>/<job id>/...), on the submit
 * host's file system (reached through a Shell: locally or by SFTP) or on EOS (XRootD).
 */
export interface StageArea {
  /** The location of a job's folder, or of one file in it, for messages. */
  describe(jobId: string, rel?: string): string;
  /** The files (relative to each job's folder) of every job that has a folder, and what was refused. */
  list(): Promise<StageListing>;
  /** Copies a job's folder (its files `rels`, as listed) into a local folder, keeping relative paths. */
  fetchJob(jobId: string, rels: string[], localDir: string): Promise<void>;
  /** Removes a job's folder before the job runs again, so that stale files are never collected. */
  clear(jobId: string): Promise<void>;
}

/**
 * What a stage area holds: the files of each job's folder (symbolic links that lead to a file inside the
 * stage area count as files), and per job the entries refused, with why (a link that leads out of it).
 */
export interface StageListing {
  files: Map<string, Set<string>>;
  refused: Map<string, string[]>;
}

/**
 * Lists a stage folder (`$1`): "f <path>" per regular file and per symbolic link to a regular file inside
 * the folder (by real paths), "x <path>\t<why>" per other link; nothing when the folder does not exist.
 */
const LIST_SCRIPT = [
  '[ -d "$1" ] || exit 0',
  'base=$(realpath -e -- "$1") || exit 1',
  'find "$base" -type f -printf "f %P\\n" || exit 1',
  'find "$base" -type l -printf "%P\\n" | while IFS= read -r l; do',
  '  if ! t=$(realpath -e -- "$base/$l" 2>/dev/null); then printf "x %s\\ta link to nothing (%s)\\n" "$l" "$(readlink -- "$base/$l")"',
  '  elif [ "${t#"$base"/}" = "$t" ]; then printf "x %s\\ta link to %s, outside the stage area\\n" "$l" "$t"',
  '  elif [ ! -f "$t" ]; then printf "x %s\\ta link to %s, which is no file\\n" "$l" "$t"',
  '  else printf "f %s\\n" "$l"; fi',
  "done",
].join("\n");

/** Parses the output of LIST_SCRIPT, leaving out temporary files of an unfinished stage-out. */
export function parseStageListing(stdout: string): StageListing {
  const files: string[] = [];
  const refused = new Map<string, string[]>();
  for (const line of stdout.split("\n")) {
    if (line.startsWith("f ")) {
      if (!/\.tmp-\d+$/.test(line)) files.push(line.slice(2));
    } else if (line.startsWith("x ")) {
      const [path = "", why = ""] = line.slice(2).split("\t");
      const slash = path.indexOf("/");
      // a job's folder that is itself a link: the job's entry names its folder
      const job = slash < 0 ? path : path.slice(0, slash);
      const what = slash < 0 ? "its folder" : path.slice(slash + 1);
      if (!refused.has(job)) refused.set(job, []);
      refused.get(job)!.push(`${what} is ${why}: not collected`);
    }
  }
  return { files: groupByJob(files), refused };
}

/** Splits "jobid/rest/of/path" listings into job id → relative paths. */
function groupByJob(paths: Iterable<string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const p of paths) {
    const slash = p.indexOf("/");
    if (slash <= 0) continue;
    const job = p.slice(0, slash);
    const rel = p.slice(slash + 1);
    if (!out.has(job)) out.set(job, new Set());
    out.get(job)!.add(rel);
  }
  return out;
}

/** A stage-out folder on the submit host's file system. */
export class ShellStageArea implements StageArea {
  constructor(
    private readonly shell: Shell,
    private readonly base: string,
  ) {}

  describe(jobId: string, rel = ""): string {
    const path = posix.join(this.base, jobId, rel);
    return this.shell.label === "localhost" ? path : `${this.shell.label}:${path}`;
  }

  async list(): Promise<StageListing> {
    const res = await this.shell.exec(["sh", "-c", LIST_SCRIPT, "sh", this.base]);
    if (res.exitCode !== 0)
      throw new MlprofError(`cannot list ${this.base} on ${this.shell.label}: ${res.stderr.trim()}`);
    return parseStageListing(res.stdout);
  }

  async fetchJob(jobId: string, rels: string[], localDir: string): Promise<void> {
    for (const rel of rels)
      await this.shell.getFile(posix.join(this.base, jobId, rel), posix.join(localDir, rel));
  }

  async clear(jobId: string): Promise<void> {
    await execOrThrow(
      this.shell,
      ["rm", "-rf", posix.join(this.base, jobId)],
      `removing old outputs of ${jobId}`,
    );
  }
}

/** A stage-out folder on EOS (or any XRootD server): root://host//eos/.../<job id>/... */
export class XrdStageArea implements StageArea {
  private readonly loc: XrdLocation;

  constructor(baseUrl: string) {
    this.loc = parseXrdUrl(baseUrl);
  }

  describe(jobId: string, rel = ""): string {
    return xrdUrl(this.loc, posix.join(jobId, rel));
  }

  async list(): Promise<StageListing> {
    return { files: groupByJob((await xrdListFiles(this.loc)).keys()), refused: new Map() };
  }

  async fetchJob(jobId: string, _rels: string[], localDir: string): Promise<void> {
    // one recursive xrdcp per job: every start of the XRootD client costs a name lookup
    await xrdFetchTree(this.describe(jobId), localDir);
  }

  async clear(jobId: string): Promise<void> {
    await xrdRemoveTree({ server: this.loc.server, path: posix.join(this.loc.path, jobId) });
  }
}
