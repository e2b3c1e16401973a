import { statSync } from "node:fs";
import { homedir, userInfo } from "node:os";
import { MlprofError } from "../util/errors.js";

/** Where and how to log in. Passwords are never used: the key comes from the agent or a key file. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Private key file; when absent, only the agent ($SSH_AUTH_SOCK) is used. */
  keyFile?: string;
  /** known_hosts files to check the host key against (the first existing ones are read). */
  knownHosts: string[];
  /** Upper bound of the connection set-up, in ms. */
  connectTimeoutMs?: number;
}

/** Checks a TCP port number (1 to 65535), at once rather than after a connection timeout. */
export function checkPort(what: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MlprofError(`${what}: expected a port from 1 to 65535, found ${port}`);
  }
  return port;
}

/** Parses "user@host:port" (user and port optional) with defaults from the current user and port 22. */
export function parseSshHost(
  spec: string,
  port?: number,
  user?: string,
): Pick<SshTarget, "host" | "port" | "user"> {
  const m = /^(?:([A-Za-z0-9_.-]+)@)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9_.-]*)(?::(\d+))?$/.exec(
    spec.trim(),
  );
  if (!m) throw new MlprofError(`--ssh-host: expected [user@]host[:port], found '${spec}'`);
  const host = m[2]!.replace(/^\[|\]$/g, "");
  return {
    host,
    port: port ?? (m[3] ? checkPort(`--ssh-host ${spec}`, Number(m[3])) : 22),
    user: user ?? m[1] ?? userInfo().username,
  };
}

/**
 * Checks the known_hosts files given with --ssh-known-hosts at once: a folder is an error naming it (a file
 * that does not exist is skipped when connecting, as OpenSSH skips it). Returns the files.
 */
export function checkKnownHostsFiles(files: string[]): string[] {
  for (const file of files) {
    let isDir = false;
    try {
      isDir = statSync(file).isDirectory();
    } catch {
      // absent or unreadable: reported (or skipped) when connecting
    }
    if (isDir) {
      throw new MlprofError(
        `--ssh-known-hosts: ${file} is a folder, expected a known_hosts file (OpenSSH format, e.g. ~/.ssh/known_hosts)`,
      );
    }
  }
  return files;
}

/** Default known_hosts files: the user's, then the system's. */
export function defaultKnownHosts(): string[] {
  return [`${homedir()}/.ssh/known_hosts`, "/etc/ssh/ssh_known_hosts"];
}
