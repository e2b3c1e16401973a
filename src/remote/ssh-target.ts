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

/** Parses "user@host:port" (user and port optional) with defaults from the current user and port 22. */
export function parseSshHost(
  spec: string,
  port?: number,
  user?: string,
): Pick<SshTarget, "host" | "port" | "user"> {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new MlprofError(`--ssh-host: expected [user@]host[:port], found '${spec}'`);
  const host = m[2]!.replace(/^\[|\]$/g, "");
  return {
    host,
    port: port ?? (m[3] ? Number(m[3]) : 22),
    user: user ?? m[1] ?? userInfo().username,
  };
}

/** Default known_hosts files: the user's, then the system's. */
export function defaultKnownHosts(): string[] {
  return [`${homedir()}/.ssh/known_hosts`, "/etc/ssh/ssh_known_hosts"];
}
