import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

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

/**
 * SHA-256 (hex) of a folder tree: every file's path relative to `root` and content, in sorted order, so
 * that the same tree anywhere gives the same hash and any change of a name or byte another.
 */
export function treeHash(root: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        hash
          .update(`${relative(root, path)}\0`)
          .update(readFileSync(path))
          .update("\0");
    }
  };
  walk(root);
  return hash.digest("hex");
}
