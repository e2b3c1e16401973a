/** Parameters as yargs options: declared from their definitions, converted later with their kinds. */
import { relative } from "node:path";
import chalk from "chalk";
import type { Argv } from "yargs";
import type { Param, ParamKind } from "../framework/parameters.js";
import { MLP_BASE } from "../paths.js";
import { MlprofError } from "../util/errors.js";
import { closestName, shownValue } from "../util/names.js";

/** What a kind's values look like, in the help text (yargs' own labels, where it has one). */
const KIND_LABEL: Record<ParamKind, string> = {
  string: "string",
  int: "integer",
  float: "number",
  bool: "boolean",
  ints: "integers",
  strings: "list",
};

/** The default shown in help texts (paths inside MLProf relative to it; nothing for empty defaults). */
function shownDefault(def: Param<unknown>): string | undefined {
  const d = def.default;
  if (d === undefined || d === "" || (Array.isArray(d) && d.length === 0)) return undefined;
  if (typeof d === "string" && d.startsWith(MLP_BASE)) return relative(MLP_BASE, d);
  if (def.kind === "bool") return d ? "True" : "False";
  return Array.isArray(d) ? d.join(",") : String(d);
}

/** The help text of a parameter: its description, kind, choices and whether it is required. */
export function optionHelp(def: Param<unknown>): { description: string; shownDefault?: string } {
  const labels = [`[${KIND_LABEL[def.kind]}]`];
  const choices = def.choices ?? def.helpChoices;
  if (choices) labels.push(`[choices: ${choices.join(", ")}]`);
  if (def.required) labels.push("[required]");
  return {
    description: `${def.description} ${labels.join(" ")}`,
    shownDefault: def.defaultText ?? shownDefault(def),
  };
}

/**
 * Declares parameters as yargs options of a help group. They stay untyped for yargs (numbers are not
 * parsed, see buildCli): values are converted and checked with the definitions' kinds afterwards, so a
 * law-style boolean (`--y-log True`) and a strict number check keep working; the help shows the kind, the
 * choices and the real default. A missing required parameter is reported once, by the conversion.
 */
export function declareParams(y: Argv, params: readonly Param<unknown>[], group: string): Argv {
  checkGivenOptions(y);
  for (const def of params) {
    const help = optionHelp(def);
    y.option(def.flag, {
      group,
      description: help.description,
      defaultDescription: help.shownDefault,
      requiresArg: def.kind !== "bool",
    });
  }
  return y;
}

/** The values of the given parameters that were set on the command line (keyed by flag). */
export function givenOptions(
  params: readonly Param<unknown>[],
  args: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of params) if (args[def.flag] !== undefined) out[def.flag] = args[def.flag];
  return out;
}

/** What yargs' getOptions() returns of the declared options. */
interface YargsOptions {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]> };
}

/** The commands whose given options are already checked (checkGivenOptions registers once per command). */
const checked = new WeakSet<object>();

/**
 * Checks the options given to a command before yargs validates them: an unknown option is reported with
 * the declared one closest to it ("did you mean --threads?", as yargs recommends commands), and an option
 * given more than once (`--threads 4 --threads 8`) is warned about: the last one counts, as with law's
 * argparse, but no longer silently.
 */
function checkGivenOptions(y: Argv): void {
  if (checked.has(y)) return;
  checked.add(y);
  /** The warnings of options given more than once printed for this command (each is printed once). */
  const repeatWarnings = new Set<string>();
  y.middleware((argv) => {
    // yargs' own record of the declared options (flags and aliases), not in its type declarations
    const options = (y as unknown as YargsOptions).getOptions();
    const declared = [...new Set([...Object.keys(options.key), ...Object.values(options.alias).flat()])];
    const unknown = Object.keys(argv).filter((k) => k !== "_" && k !== "$0" && !declared.includes(k));
    if (unknown.length > 0) {
      const suggestions = unknown
        .map((k) => [k, closestName(k, declared)] as const)
        .filter((pair): pair is readonly [string, string] => pair[1] !== undefined)
        .map(([k, close]) => `--${close} (for ${k})`);
      throw new MlprofError(
        `Unknown argument${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
        suggestions.length > 0
          ? `did you mean ${suggestions.join(", ")}? See --help for every option`
          : "see mlprof --help, or mlprof run <Task> --help",
      );
    }
    for (const key of declared) {
      const value: unknown = (argv as Record<string, unknown>)[key];
      if (!Array.isArray(value)) continue;
      // law's argparse lets the last one win, and scripts rely on it: said (once; yargs may apply the
      // middleware at more than one level of a command), not refused
      const warning =
        `${chalk.yellow("warning:")} --${key} is given ${value.length} times ` +
        `(${value.map((v) => shownValue(String(v))).join(", ")}): the last one counts`;
      if (!repeatWarnings.has(warning)) console.error(warning);
      repeatWarnings.add(warning);
    }
  }, true);
}
