import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, posix } from "node:path";
import { Client, type ConnectConfig, type SFTPWrapper } from "ssh2";
import { MlprofError, errorMessage } from "../util/errors.js";
import { checkHostKey, knownHostsName, type HostKeyCheck } from "./known-hosts.js";
import { shellLine, shq } from "../util/quote.js";
import type { SshTarget } from "./ssh-target.js";
import { DEFAULT_EXEC_TIMEOUT_MS, type ExecOptions, type ExecResult, type Shell } from "./shell.js";

function hostKeyMessage(check: HostKeyCheck, t: SshTarget, files: string[]): string {
  const name = knownHostsName(t.host, t.port);
  const where = files.length ? files.join(", ") : "(no known_hosts file found)";
  if (check === "unknown") {
    return (
      `host key of ${name} is not in ${where}; refusing to connect to an unverified host. ` +
      `Add it after checking its fingerprint, e.g. ssh-keyscan -p ${t.port} ${t.host} >> ~/.ssh/known_hosts ` +
      `(or log in once with ssh)`
    );
  }
  if (check === "revoked") return `host key of ${name} is marked @revoked in ${where}`;
  return `host key of ${name} does not match the key recorded in ${where} (possible man-in-the-middle); refusing to connect`;
}

/** Reads a known_hosts file, with a clear error naming it when it is a folder or unreadable. */
function readKnownHosts(file: string): string {
  if (statSync(file).isDirectory()) {
    throw new MlprofError(
      `--ssh-known-hosts: ${file} is a folder, expected a known_hosts file (OpenSSH format, e.g. ~/.ssh/known_hosts)`,
    );
  }
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new MlprofError(`--ssh-known-hosts: cannot read ${file}: ${errorMessage(err)}`);
  }
}

/**
 * A login node over SSH (ssh2): commands through exec channels (each with its own environment
 * prefix and working directory), files through one SFTP session. The host key must be in
 * known_hosts; authentication is by agent or key file.
 */
export class SshShell implements Shell {
  readonly label: string;
  private sftpSession?: Promise<SFTPWrapper>;

  private constructor(
    private readonly client: Client,
    target: SshTarget,
  ) {
    this.label = `ssh ${target.user}@${target.host}:${target.port}`;
  }

  /** Connects and authenticates; every failure (unreachable host, host key, authentication) is a clear error. */
  static async connect(target: SshTarget): Promise<SshShell> {
    const files = target.knownHosts.filter((f) => existsSync(f));
    const known = files.map((f) => readKnownHosts(f)).join("\n");
    let keyProblem: string | undefined;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: target.connectTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        const check = checkHostKey(known, target.host, target.port, key);
        if (check !== "ok") keyProblem = hostKeyMessage(check, target, files);
        return check === "ok";
      },
    };
    if (process.env.SSH_AUTH_SOCK) config.agent = process.env.SSH_AUTH_SOCK;
    if (target.keyFile) {
      try {
        config.privateKey = readFileSync(target.keyFile);
      } catch (err) {
        throw new MlprofError(`cannot read the SSH key file ${target.keyFile}: ${errorMessage(err)}`);
      }
    }
    if (!config.agent && !config.privateKey) {
      throw new MlprofError(
        `no SSH credentials for ${target.user}@${target.host}: no agent ($SSH_AUTH_SOCK unset) and no --ssh-key`,
        "start ssh-agent and ssh-add your key, or pass --ssh-key <file> (passwords and Kerberos are not supported)",
      );
    }
    const client = new Client();
    const where = `${target.user}@${target.host}:${target.port}`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => {
          client.destroy();
          reject(
            new MlprofError(
              `cannot reach ssh host ${where}: no answer within ${(config.readyTimeout ?? 0) / 1000} s`,
            ),
          );
        },
        (config.readyTimeout ?? 20_000) + 2_000,
      );
      client.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
      client.once("error", (err: Error & { level?: string }) => {
        clearTimeout(timer);
        client.destroy();
        if (keyProblem) reject(new MlprofError(keyProblem));
        else if (err.level === "client-authentication") {
          reject(
            new MlprofError(
              `SSH authentication as ${target.user} on ${target.host}:${target.port} failed (agent${target.keyFile ? ` and key ${target.keyFile}` : ""})`,
              "check the key with ssh -i <key> -p <port> user@host; encrypted keys must be loaded into ssh-agent",
            ),
          );
        } else {
          reject(new MlprofError(`cannot reach ssh host ${where}: ${err.message}`));
        }
      });
      try {
        client.connect(config);
      } catch (err) {
        clearTimeout(timer);
        reject(new MlprofError(`cannot connect to ${where}: ${errorMessage(err)}`));
      }
    });
    return new SshShell(client, target);
  }

  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
    let line = env.length ? shellLine(["env", ...env, ...argv]) : shellLine(argv);
    if (opts.cwd) line = `cd ${shq(opts.cwd)} && ${line}`;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      this.client.exec(line, (err, stream) => {
        if (err) return reject(new MlprofError(`${this.label}: cannot run ${line}: ${err.message}`));
        let stdout = "";
        let stderr = "";
        const timer = setTimeout(() => {
          stream.close();
          reject(new MlprofError(`${this.label}: ${line} did not finish within ${timeoutMs / 1000} s`));
        }, timeoutMs);
        stream.on("data", (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        stream.on("close", (code: number | null, signal?: string) => {
          clearTimeout(timer);
          resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr });
        });
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise((resolve, reject) =>
      this.client.sftp((err, sftp) =>
        err ? reject(new MlprofError(`${this.label}: cannot open SFTP: ${err.message}`)) : resolve(sftp),
      ),
    );
    return this.sftpSession;
  }

  private async mkdirp(dir: string): Promise<void> {
    const res = await this.exec(["mkdir", "-p", dir]);
    if (res.exitCode !== 0)
      throw new MlprofError(`${this.label}: cannot create ${dir}: ${res.stderr.trim()}`);
  }

  async putFile(path: string, content: string | Buffer, mode?: number): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    const sftp = await this.sftp();
    const tmp = `${path}.tmp-${process.pid}`;
    await new Promise<void>((resolve, reject) =>
      sftp.writeFile(tmp, content, { mode: mode ?? 0o644 }, (err) =>
        err ? reject(new MlprofError(`${this.label}: cannot write ${path}: ${err.message}`)) : resolve(),
      ),
    );
    await this.rename(sftp, tmp, path);
  }

  async putLocalFile(localPath: string, path: string): Promise<void> {
    await this.mkdirp(posix.dirname(path));
    const sftp = await this.sftp();
    const tmp = `${path}.tmp-${process.pid}`;
    await new Promise<void>((resolve, reject) =>
      sftp.fastPut(localPath, tmp, (err) =>
        err
          ? reject(new MlprofError(`${this.label}: cannot upload ${localPath}: ${err.message}`))
          : resolve(),
      ),
    );
    await this.rename(sftp, tmp, path);
  }

  private rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    // the POSIX rename of OpenSSH replaces an existing target, as a local rename does
    return new Promise((resolve, reject) =>
      sftp.ext_openssh_rename(from, to, (err) =>
        err ? reject(new MlprofError(`${this.label}: cannot rename ${from}: ${err.message}`)) : resolve(),
      ),
    );
  }

  async getFile(path: string, localPath: string): Promise<void> {
    await mkdir(dirname(localPath), { recursive: true });
    const sftp = await this.sftp();
    await new Promise<void>((resolve, reject) =>
      sftp.fastGet(path, localPath, (err) =>
        err ? reject(new MlprofError(`${this.label}: cannot download ${path}: ${err.message}`)) : resolve(),
      ),
    );
  }

  async close(): Promise<void> {
    this.client.end();
  }
}
