import { createHash } from "node:crypto";

/** Short, stable hex digest of a string (the first `length` hex digits of its SHA-256). */
export function shortHash(text: string, length = 10): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** SHA-256 of a file's content, hex. */
export async function sha256File(path: string): Promise<string> {
  const { createReadStream } = await import("node:fs");
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
