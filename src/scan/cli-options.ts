import type { Argv } from "yargs";
import type { ParamDef } from "../tasks/params.js";

/** Declares parameters as yargs string options (converted later with the definitions' types). */
export function declareOptions(y: Argv, params: ParamDef[], group: string): Argv {
  for (const def of params) {
    const d = def.default;
    y.option(def.name, {
      type: "string",
      group,
      description: def.description,
      defaultDescription:
        d === undefined || d === "" || (Array.isArray(d) && d.length === 0)
          ? undefined
          : Array.isArray(d)
            ? d.join(",")
            : String(d),
      requiresArg: def.type !== "bool",
    });
  }
  return y;
}

/** The values of the given parameters that were set on the command line (dashed names). */
export function givenOptions(params: ParamDef[], args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of params) if (args[def.name] !== undefined) out[def.name] = args[def.name];
  return out;
}
