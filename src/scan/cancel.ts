/** `mlprof cancel`: removes a scan's queued and running jobs and marks them so that collect leaves them. */
import { inState, lockScan, setJobState, writeManifest, type Target } from "./manifest.js";
import { openSubmitted, type ScanIdentity } from "./identity.js";
import { formatCounts } from "./report.js";
import { ScanSession, connect } from "./session.js";

type Print = (line: string) => void;

/** What cancel did. */
export interface CancelResult {
  removed: number;
  cancelled: number;
}

/**
 * Removes the scan's jobs from the batch system (condor_rm / scancel of their current attempts, with the
 * schedd recorded at submission), here or over SSH, and marks every job that is not done as cancelled:
 * collect neither waits for nor resubmits them (`collect --resubmit-cancelled` or `submit` run them again).
 */
export async function cancelScan(
  id: ScanIdentity,
  o: { ssh?: Partial<NonNullable<Target["ssh"]>> },
  print: Print,
): Promise<CancelResult> {
  const release = await lockScan(id.name, id.version, { doing: "cancelling", wait: true, progress: print });
  try {
    const { scan, manifest } = openSubmitted(id);
    if (o.ssh && manifest.target.ssh) manifest.target.ssh = { ...manifest.target.ssh, ...o.ssh };
    let queued = manifest.jobs.filter((j) => inState(j, "queued"));
    if (queued.length > 0) {
      const shell = await connect(manifest.target);
      try {
        const session = new ScanSession(scan, manifest, shell);
        // a submission a stopped run left unrecorded is found first, so that its jobs are removed too
        for (const line of await session.settleInterrupted()) print(`  ${line}`);
        queued = manifest.jobs.filter((j) => inState(j, "active"));
        await session.cancel(queued);
        print(
          `removed ${queued.length} job(s) of scan ${scan.name}/${scan.version} from ${session.system.name} on ${shell.label}`,
        );
      } finally {
        await shell.close();
      }
    }
    const at = new Date().toISOString();
    const open = manifest.jobs.filter((j) => j.state !== "done" && j.state !== "cancelled");
    for (const job of open)
      setJobState(manifest, job, "cancelled", { reason: `cancelled by mlprof cancel at ${at}` });
    writeManifest(manifest);
    print(`scan ${scan.name}/${scan.version}: ${formatCounts(manifest)}`);
    if (open.length)
      print(
        "mlprof collect leaves cancelled jobs alone; --resubmit-cancelled (or mlprof submit) runs them again",
      );
    return { removed: queued.length, cancelled: open.length };
  } finally {
    release();
  }
}
