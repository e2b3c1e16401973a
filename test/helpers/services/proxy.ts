/**
 * Grid-proxy-like files for the tests of --x509-proxy: a certificate made with openssl whose validity
 * ends at a chosen time, followed by its key, as a proxy file (x509up_u<uid>) holds them.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** openssl's date form YYYYMMDDHHMMSSZ of a time `minutes` from now (negative: in the past). */
function opensslDate(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000)
    .toISOString()
    .replace(/[-:T]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

/** Writes a proxy-like file valid from 2 hours ago until `minutes` from now; returns its path. */
export function makeProxy(minutes: number, dir = mkdtempSync(join(tmpdir(), "mlprof-proxy-"))): string {
  const ca = mkdtempSync(join(dir, "ca-"));
  writeFileSync(join(ca, "index.txt"), "");
  writeFileSync(join(ca, "serial"), "01\n");
  writeFileSync(
    join(ca, "ca.cnf"),
    [
      "[ ca ]",
      "default_ca = d",
      "[ d ]",
      `dir = ${ca}`,
      `database = ${ca}/index.txt`,
      `serial = ${ca}/serial`,
      `new_certs_dir = ${ca}`,
      "default_md = sha256",
      "policy = p",
      "unique_subject = no",
      "[ p ]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: ca, stdio: "pipe" });
  run([
    "req",
    "-new",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "key.pem",
    "-out",
    "req.pem",
    "-subj",
    "/CN=mlprof test proxy",
  ]);
  run([
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-selfsign",
    "-keyfile",
    "key.pem",
    "-in",
    "req.pem",
    "-out",
    "cert.pem",
    "-notext",
    "-startdate",
    opensslDate(-120),
    "-enddate",
    opensslDate(minutes),
  ]);
  const file = join(dir, `x509up_${minutes < 0 ? "expired" : minutes}`);
  writeFileSync(
    file,
    readFileSync(join(ca, "cert.pem"), "utf8") + readFileSync(join(ca, "key.pem"), "utf8"),
    {
      mode: 0o600,
    },
  );
  return file;
}
