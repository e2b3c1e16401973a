/**
 * An sshd on loopback for the batch tests: a throw-away host key and user key, its own port
 * (MLPROF_TEST_SSHD_PORT), key authentication only, internal SFTP; a known_hosts file that
 * holds its host key.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { exitedEarly, freePort, portOpen, serviceDir, startDaemon, waitFor } from "./common.js";

/** A running test sshd. */
export interface TestSshd {
  port: number;
  user: string;
  keyFile: string;
  knownHosts: string;
  stop(): Promise<void>;
}

/** The binaries the test sshd needs. */
export const SSHD_COMMANDS = ["/usr/sbin/sshd", "ssh-keygen"];

/** Starts sshd in the foreground and waits (at most 20 s) until it accepts connections. */
export async function startSshd(): Promise<TestSshd> {
  const dir = serviceDir("sshd");
  const port = await freePort("MLPROF_TEST_SSHD_PORT");
  for (const key of ["host_key", "user_key"]) {
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "mlprof-test", "-f", join(dir, key)]);
  }
  mkdirSync("/run/sshd", { recursive: true });
  const conf = join(dir, "sshd_config");
  writeFileSync(
    conf,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${dir}/host_key`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/user_key.pub`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin prohibit-password",
      "StrictModes no",
      "UsePAM no",
      "MaxSessions 50",
      "MaxStartups 50",
      "Subsystem sftp internal-sftp",
      "",
    ].join("\n"),
  );
  const hostKey = readFileSync(join(dir, "host_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
  const knownHosts = join(dir, "known_hosts");
  writeFileSync(knownHosts, `[127.0.0.1]:${port} ${hostKey}\n`);
  const daemon = startDaemon("sshd", "/usr/sbin/sshd", ["-D", "-e", "-f", conf], join(dir, "sshd.log"));
  const stop = async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "sshd to listen",
      async () => {
        if (exitedEarly(daemon))
          throw new Error(`sshd exited: ${readFileSync(join(dir, "sshd.log"), "utf8")}`);
        return portOpen(port);
      },
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, user: userInfo().username, keyFile: join(dir, "user_key"), knownHosts, stop };
}
