/** `mlprof setup <engine>`: install what an engine needs, for the engines of the registry that have a setup. */
import type { Argv, CommandModule } from "yargs";
import { ENGINES } from "../engines/registry.js";

/** The engines `mlprof setup` can prepare. */
const SETUP_ENGINES = ENGINES.filter((e) => e.setup);

export const setupCommand: CommandModule = {
  command: "setup <engine>",
  describe: `install what an engine needs: ${SETUP_ENGINES.map((e) => `'${e.name}' ${e.setup!.summary}`).join("; ")}`,
  builder: (y: Argv) =>
    y.positional("engine", {
      type: "string",
      choices: SETUP_ENGINES.map((e) => e.name),
      describe: "the engine to set up",
    }),
  handler: async (args) => {
    const engine = SETUP_ENGINES.find((e) => e.name === args.engine)!;
    await engine.setup!.run((line) => console.log(line));
  },
};
