/** The progress lines measurement processes write on stdout, as their parent reads them. */

/** A progress line of a measurement process ({"type":"progress","done":k,"total":n,"phase":...}), else undefined. */
export function progressReport(line: string): { done: number; total: number; phase: string } | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const msg = JSON.parse(line) as { type?: unknown; done?: unknown; total?: unknown; phase?: unknown };
    if (msg.type !== "progress" || typeof msg.done !== "number") return undefined;
    return {
      done: msg.done,
      total: typeof msg.total === "number" ? msg.total : 0,
      phase: typeof msg.phase === "string" ? msg.phase : "",
    };
  } catch {
    return undefined;
  }
}
