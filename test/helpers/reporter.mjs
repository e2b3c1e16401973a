// The entry of `--test-reporter`: Node 20 loads reporters before `--import tsx` can hook in, so this
// plain module loads the TypeScript reporter through tsx's API.
import { tsImport } from "tsx/esm/api";

const { default: reporter } = await tsImport("./reporter.ts", import.meta.url);
export default reporter;
