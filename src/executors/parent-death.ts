/** The measurement process of an executor ends with the run that started it (never times on, orphaned). */
import type { ProcessCommand } from "../engines/engine.js";
import { PARENT_PID_ENV } from "../measure/parent-watch.js";
import { findExecutable } from "../util/which.js";

/**
 * The measurement command made to end with this process (never to time on, orphaned, beside the next
 * run): started through `setpriv --pdeathsig KILL` where util-linux has it, and told this process's pid
 * (MLPROF_PARENT_PID) so that it can check between events that its parent is still this one (the native
 * runners also set PR_SET_PDEATHSIG themselves). `note` says which guard applies (recorded).
 */
export function endingWithParent(cmd: ProcessCommand): { command: ProcessCommand; note: string } {
  const env = { ...cmd.env, [PARENT_PID_ENV]: String(process.pid) };
  const setpriv = findExecutable("setpriv");
  if (!setpriv)
    return {
      command: { ...cmd, env },
      note: "setpriv (util-linux) not found: the measurement process checks its parent between events (native runners: PR_SET_PDEATHSIG)",
    };
  return {
    command: { ...cmd, env, file: setpriv, args: ["--pdeathsig", "KILL", "--", cmd.file, ...cmd.args] },
    note: "setpriv --pdeathsig KILL: the measurement process ends with the run that started it",
  };
}
