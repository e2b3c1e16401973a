/**
 * An XRootD server on loopback standing in for EOS: exports /eos from a folder, on its own port
 * (MLPROF_TEST_XROOTD_PORT). xrootd refuses to run as root, so as root it runs as nobody:nogroup
 * through setpriv.
 */
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exitedEarly, freePort, isRoot, portOpen, serviceDir, startDaemon, waitFor } from "./common.js";

/** A running test XRootD server. */
export interface TestXrootd {
  /** root://127.0.0.1:<port> */
  server: string;
  /** The local folder behind /eos. */
  eosDir: string;
  stop(): Promise<void>;
}

/** The binaries the test XRootD needs. */
export const XROOTD_COMMANDS = ["xrootd", "xrdcp", "xrdfs", "setpriv"];

/** Starts xrootd in the foreground and waits (at most 20 s) until it accepts connections. */
export async function startXrootd(): Promise<TestXrootd> {
  const dir = serviceDir("xrootd");
  const port = await freePort("MLPROF_TEST_XROOTD_PORT");
  const data = join(dir, "data");
  mkdirSync(join(data, "eos"), { recursive: true });
  mkdirSync(join(dir, "admin"));
  const conf = join(dir, "xrootd.cfg");
  writeFileSync(
    conf,
    [
      `all.export /eos`,
      `oss.localroot ${data}`,
      `xrd.port ${port}`,
      "xrd.network nodnr",
      `all.adminpath ${dir}/admin`,
      `all.pidpath ${dir}/admin`,
      "",
    ].join("\n"),
  );
  if (isRoot()) {
    for (const p of [dir, data, join(data, "eos"), join(dir, "admin")]) chownSync(p, 65534, 65534);
  }
  const args = ["-c", conf, "-n", "mlproftest"];
  const daemon = isRoot()
    ? startDaemon(
        "xrootd",
        "setpriv",
        ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "xrootd", ...args],
        join(dir, "xrootd.out"),
      )
    : startDaemon("xrootd", "xrootd", args, join(dir, "xrootd.out"));
  const stop = async () => {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      "xrootd to listen",
      async () => {
        if (exitedEarly(daemon))
          throw new Error(`xrootd exited: ${readFileSync(join(dir, "xrootd.out"), "utf8")}`);
        return portOpen(port);
      },
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { server: `root://127.0.0.1:${port}`, eosDir: join(data, "eos"), stop };
}
