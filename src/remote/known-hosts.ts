import { createHmac } from "node:crypto";

/** Outcome of checking a server's host key against known_hosts. */
export type HostKeyCheck = "ok" | "unknown" | "mismatch" | "revoked";

/** One usable line of a known_hosts file. */
interface KnownHostEntry {
  marker?: "@revoked" | "@cert-authority";
  patterns: string[];
  keyType: string;
  key: Buffer;
}

/** The name a host has in known_hosts: "host" on port 22, "[host]:port" otherwise (as OpenSSH writes it). */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Parses known_hosts text (OpenSSH format: markers, comma-separated patterns, hashed names, comments). */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry["marker"];
    if (fields[0] === "@revoked" || fields[0] === "@cert-authority") marker = fields.shift() as typeof marker;
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) continue;
    entries.push({ marker, patterns: hosts.split(","), keyType, key: Buffer.from(key, "base64") });
  }
  return entries;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(name);
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    const [, , salt, hash] = pattern.split("|");
    if (!salt || !hash) return false;
    const digest = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
    return digest === hash;
  }
  return globMatch(pattern, name);
}

/** Whether an entry's host patterns select `name` (a negated pattern that matches excludes it). */
function hostMatches(entry: KnownHostEntry, name: string): boolean {
  let matched = false;
  for (const p of entry.patterns) {
    if (p.startsWith("!")) {
      if (patternMatches(p.slice(1), name)) return false;
    } else if (patternMatches(p, name)) matched = true;
  }
  return matched;
}

/**
 * Checks the host key a server presented (the SSH wire-format key blob) against known_hosts text:
 * "ok" when a line for the host holds this key, "revoked" when the key is marked @revoked,
 * "mismatch" when the host is known with other keys only, "unknown" when the host has no line.
 */
export function checkHostKey(knownHosts: string, host: string, port: number, key: Buffer): HostKeyCheck {
  const name = knownHostsName(host, port);
  const entries = parseKnownHosts(knownHosts);
  if (entries.some((e) => e.marker === "@revoked" && e.key.equals(key))) return "revoked";
  const forHost = entries.filter((e) => e.marker === undefined && hostMatches(e, name));
  if (forHost.length === 0) return "unknown";
  return forHost.some((e) => e.key.equals(key)) ? "ok" : "mismatch";
}
