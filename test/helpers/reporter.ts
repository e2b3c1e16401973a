/**
 * The reporter of `npm test`: Node's spec reporter, then the list of what was skipped, one line per
 * skipped suite or test with its file and the reason, so that nothing that did not run goes unnoticed
 * below a run that passed. Used via `--test-reporter=./test/helpers/reporter.ts`.
 */
import { join, relative } from "node:path";
import { spec as Spec } from "node:test/reporters";

const HELPER = join("test", "helpers", "skip.ts");

/** The fields of the runner's events that the list needs. */
interface TestEventData {
  name: string;
  nesting: number;
  file?: string;
  skip?: string | boolean;
  details?: { type?: string };
}

/** One event of the runner (only the kinds the list reads are typed). */
export interface TestEvent {
  type: string;
  data: TestEventData;
}

/** A skipped suite or test: its path (file › suite › test) and the reason given to the runner. */
export interface Skipped {
  path: string;
  reason: string;
}

/** Collects the skipped tests from the runner's events, in the order they are reported. */
export class SkipCollector {
  readonly skipped: Skipped[] = [];
  private readonly names: string[] = [];

  /** Reads one event. */
  add(event: TestEvent): void {
    const { data } = event;
    if (event.type === "test:start") {
      this.names.length = data.nesting;
      this.names[data.nesting] = data.name;
    } else if (event.type === "test:pass" || event.type === "test:fail") {
      if (data.skip === undefined || data.skip === false) return;
      const parents = this.names.slice(0, data.nesting);
      let name = data.name;
      let file = data.file ? relative(process.cwd(), data.file) : undefined;
      // the runner locates the stand-in of a suite skipped by describeUnless() in the helper: its name has the file
      const named = data.file?.endsWith(HELPER) ? /^(.*) \(whole suite, (.+)\)$/.exec(name) : null;
      if (named) [name, file] = [`${named[1]} (whole suite)`, named[2]];
      if (data.details?.type === "suite") name += " (whole suite)";
      this.skipped.push({
        path: [...(file ? [file] : []), ...parents, name].join(" › "),
        reason: typeof data.skip === "string" && data.skip ? data.skip : "no reason given",
      });
    }
  }

  /** The list printed at the end of the run (empty when nothing was skipped). */
  summary(): string {
    if (!this.skipped.length) return "";
    const lines = this.skipped.map((s) => `skipped: ${s.path} — ${s.reason}\n`);
    return `\n${this.skipped.length} skipped:\n${lines.join("")}`;
  }
}

/** Node's spec reporter on the events, then the list of the skipped suites and tests. */
export default async function* reporter(source: AsyncIterable<TestEvent>): AsyncGenerator<string> {
  const spec = new Spec();
  const collector = new SkipCollector();
  const feeding = (async () => {
    try {
      for await (const event of source) {
        collector.add(event);
        spec.write(event);
      }
    } finally {
      spec.end();
    }
  })();
  for await (const chunk of spec) yield String(chunk);
  await feeding;
  yield collector.summary();
}
