/** Parameters as yargs options: declared from their definitions, converted later with their kinds. */
import { relative } from "node:path";
import type { Argv } from "yargs";
import type { Param } from "../framework/parameters.js";
import { MLP_BASE } from "../paths.js";

/** The default shown in help texts (paths inside MLProf relative to it; nothing for empty defaults). */
function shownDefault(def: Param<unknown>): string | undefined {
  const d = def.default;
  if (d === undefined || d === "" || (Array.isArray(d) && d.length === 0)) return undefined;
  if (typeof d === "string" && d.startsWith(MLP_BASE)) return relative(MLP_BASE, d);
  return Array.isArray(d) ? d.join(",") : String(d);
}

/**
 * Declares parameters as yargs string options of a help group (values are converted with the
 * definitions' kinds afterwards); with `demand`, required ones must be given.
 */
export function declareParams(
  y: Argv,
  params: readonly Param<unknown>[],
  group: string,
  demand = false,
): Argv {
  for (const def of params) {
    y.option(def.flag, {
      type: "string",
      group,
      description: def.description,
      defaultDescription: shownDefault(def),
      demandOption: demand && def.required ? `--${def.flag} is required` : undefined,
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
