/**
 * Values that enter submit files: every option value that becomes part of an HTCondor submit file or an
 * #SBATCH line is checked here (one line, the characters its place allows) and quoted by the rules of
 * that place — ClassAd string literals for HTCondor attributes, double quotes for #SBATCH paths.
 */
import { MlprofError } from "../util/errors.js";

/** The value as messages show it: JSON quoting makes newlines and quotes visible. */
export function shown(value: string): string {
  return JSON.stringify(value);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Refuses control characters (newlines above all: they would start a new line of the submit file). */
export function checkOneLine(what: string, value: string): string {
  if (CONTROL.test(value)) {
    throw new MlprofError(
      `${what}: expected a single line without control characters (it goes into a submit file), found ${shown(value)}`,
    );
  }
  return value;
}

/** Checks a value against a pattern; `expected` says in words what is allowed. */
export function checkToken(what: string, value: string, pattern: RegExp, expected: string): string {
  checkOneLine(what, value);
  if (!pattern.test(value)) throw new MlprofError(`${what}: expected ${expected}, found ${shown(value)}`);
  return value;
}

/**
 * A ClassAd string literal: the value in double quotes with `\` and `"` escaped by a backslash (the ClassAd
 * rule; doubling quotes is the rule of the submit file's `arguments` only). Control characters are refused.
 */
export function classAdString(what: string, value: string): string {
  checkOneLine(what, value);
  return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/**
 * A path in an HTCondor submit file (executable, log, initialdir, transfer lists, queue ... from): one line,
 * absolute or an xrootd URL, without the characters HTCondor gives a meaning there: whitespace and ','
 * (list separators), '"', '$' (macros), '#' (comments), ';'.
 */
export function condorPath(what: string, value: string): string {
  checkOneLine(what, value);
  if (/[\s,"$#;']/.test(value)) {
    throw new MlprofError(
      `${what}: HTCondor submit files cannot hold this path (whitespace, ',', quotes, '$', '#' or ';' in it), found ${shown(value)}`,
      "choose a folder whose path has none of them (e.g. --remote-dir /afs/cern.ch/work/u/user/mlprof-jobs)",
    );
  }
  return value;
}

/**
 * A path on an #SBATCH line: as is when it holds only safe characters, else in double quotes (sbatch reads
 * #SBATCH arguments with shell-like quoting). Newlines, '"' and '\' are refused, they cannot be quoted there.
 */
export function sbatchPath(what: string, value: string): string {
  checkOneLine(what, value);
  if (/["\\`$]/.test(value)) {
    throw new MlprofError(
      `${what}: an #SBATCH line cannot hold a path with '"', '\\', '\`' or '$', found ${shown(value)}`,
    );
  }
  return /^[A-Za-z0-9_\-.,/:=@+%]+$/.test(value) ? value : `"${value}"`;
}

/** One extra line of an HTCondor submit file: `command = value` (also +Attr and MY.Attr), never `queue`. */
export function condorExtraLine(line: string): string {
  const what = "--batch-extra (htcondor)";
  checkOneLine(what, line);
  const m = /^\s*([+A-Za-z_][A-Za-z0-9_.]*)\s*=/.exec(line);
  if (!m) {
    throw new MlprofError(
      `${what}: expected a submit command 'name = value' (e.g. 'requirements = (OpSysAndVer == "AlmaLinux9")'), found ${shown(line)}`,
    );
  }
  if (/^queue$/i.test(m[1]!))
    throw new MlprofError(`${what}: 'queue' is written by MLProf, found ${shown(line)}`);
  return line;
}

/** One extra #SBATCH option: '--name[=value]' or '-x [value]' on one line. */
export function sbatchExtraLine(line: string): string {
  const what = "--batch-extra (slurm)";
  checkOneLine(what, line);
  if (!/^-{1,2}[A-Za-z]/.test(line.trim())) {
    throw new MlprofError(`${what}: expected an sbatch option such as '--account=cms', found ${shown(line)}`);
  }
  return line.trim();
}
