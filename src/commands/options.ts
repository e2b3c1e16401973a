/** Parameters as yargs options: declared from their definitions, converted later with their kinds. */
import { relative } from "node:path";
import type { Argv } from "yargs";
import type { Param, ParamKind } from "../framework/parameters.js";
import { MLP_BASE } from "../paths.js";

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
