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
  /** The files (relative to each job's folder) of every job that has a folder. */
  list(): Promise<Map<string, Set<string>>>;
  /** Copies a job's folder (its files `rels`, as listed) into a local folder, keeping relative paths. */
  fetchJob(jobId: string, rels: string[], localDir: string): Promise<void>;
  /** Removes a job's folder before the job runs again, so that stale files are never collected. */
  clear(jobId: string): Promise<void>;
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

  async list(): Promise<Map<string, Set<string>>> {
    const res = await this.shell.exec(["find", this.base, "-type", "f", "-printf", "%P\\n"]);
    if (res.exitCode !== 0) {
      if (/No such file or directory/.test(res.stderr)) return new Map();
      throw new MlprofError(`cannot list ${this.base} on ${this.shell.label}: ${res.stderr.trim()}`);
    }
    return groupByJob(res.stdout.split("\n").filter((l) => l && !/\.tmp-\d+$/.test(l)));
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

  async list(): Promise<Map<string, Set<string>>> {
    return groupByJob((await xrdListFiles(this.loc)).keys());
  }

  async fetchJob(jobId: string, _rels: string[], localDir: string): Promise<void> {
    // one recursive xrdcp per job: every start of the XRootD client costs a name lookup
    await xrdFetchTree(this.describe(jobId), localDir);
  }

  async clear(jobId: string): Promise<void> {
    await xrdRemoveTree({ server: this.loc.server, path: posix.join(this.loc.path, jobId) });
  }
}
