/**
 * One SSH connection to a host (the `ssh2` package) and the `barn` commands run over it. The
 * token travels as the first line of the command's stdin (`--token-stdin`), never on its
 * command line; the rest of stdin is the lifeline (`--exit-with-parent`): when the channel
 * closes, for whatever reason, the remote process exits. Failures name the host.
 */
import type { ClientChannel, ConnectConfig, Client as SSHClient } from "ssh2";
import { BarnError, ErrorCodes } from "../errors.js";

export interface SSHHostOptions {
  /** Host name or address. */
  readonly host: string;
  /** Default 22. */
  readonly port?: number | undefined;
  /** Default: the USER environment variable. */
  readonly username?: string | undefined;
  /** A private key (PEM/OpenSSH text). Without one, the agent (SSH_AUTH_SOCK) is used. */
  readonly privateKey?: string | Buffer | undefined;
  readonly passphrase?: string | undefined;
  /** An agent socket path. Default: SSH_AUTH_SOCK when no privateKey is given. */
  readonly agent?: string | undefined;
  /** Give up connecting after this long, ms. Default 10 s. */
  readonly connectTimeoutMs?: number | undefined;
  /** The host key's SHA-256 fingerprint (base64, as `ssh-keygen -lf` prints); unchecked if absent. */
  readonly hostKeySha256?: string | undefined;
}

export interface RemoteProcess {
  /** Settles with the exit code (null when the channel closed without one). */
  readonly exited: Promise<number | null>;
  /** Close the channel: the process's stdin ends and it exits (`--exit-with-parent`). */
  stop(): Promise<void>;
}

export class SSHConnection {
  readonly host: string;
  readonly #client: SSHClient;
  #closed = false;

  private constructor(host: string, client: SSHClient) {
    this.host = host;
    this.#client = client;
  }

  static async connect(o: SSHHostOptions): Promise<SSHConnection> {
    const client = new (await loadSsh2()).Client();
    const cfg: ConnectConfig = {
      host: o.host,
      port: o.port ?? 22,
      username: o.username ?? process.env.USER ?? "root",
      readyTimeout: o.connectTimeoutMs ?? 10_000,
      keepaliveInterval: 5_000,
      ...(o.privateKey !== undefined ? { privateKey: o.privateKey } : {}),
      ...(o.passphrase !== undefined ? { passphrase: o.passphrase } : {}),
      ...(o.privateKey === undefined && (o.agent ?? process.env.SSH_AUTH_SOCK) !== undefined
        ? { agent: (o.agent ?? process.env.SSH_AUTH_SOCK)! }
        : {}),
      ...(o.hostKeySha256 !== undefined
        ? { hostHash: "sha256", hostVerifier: (h: string) => sameFingerprint(h, o.hostKeySha256!) }
        : {}),
    };
    const where = `${cfg.username}@${o.host}:${cfg.port}`;
    return new Promise((resolve, reject) => {
      const onError = (err: Error & { level?: string }) => {
        client.end();
        reject(sshError(where, err));
      };
      client.once("error", onError);
      client.once("ready", () => {
        client.off("error", onError);
        // Later errors close the connection; its channels' processes exit (lifeline).
        client.on("error", () => {});
        resolve(new SSHConnection(o.host, client));
      });
      try {
        client.connect(cfg);
      } catch (err) {
        reject(sshError(where, err as Error));
      }
    });
  }

  /** Called once, when the connection dropped (host down, sshd gone, network cut). */
  onClose(fn: () => void): void {
    this.#client.once("close", fn);
  }

  /**
   * Run `command` (already quoted: see shellQuote) with `token` as stdin's first line; its
   * output lines go to `onOutput`.
   */
  exec(command: string, token: string, onOutput: (text: string) => void): Promise<RemoteProcess> {
    return new Promise((resolve, reject) => {
      this.#client.exec(command, (err, channel: ClientChannel) => {
        if (err) {
          reject(
            new BarnError(
              ErrorCodes.CONNECT_FAILED,
              `ssh ${this.host}: could not run barn: ${err.message}`,
            ),
          );
          return;
        }
        channel.on("data", (b: Buffer) => onOutput(b.toString("utf8")));
        channel.stderr.on("data", (b: Buffer) => onOutput(b.toString("utf8")));
        let code: number | null = null;
        channel.on("exit", (c: number | null) => {
          code = typeof c === "number" ? c : null;
        });
        const exited = new Promise<number | null>((r) => channel.once("close", () => r(code)));
        channel.write(`${token}\n`);
        resolve({
          exited,
          stop: async () => {
            channel.end();
            const done = await Promise.race([exited.then(() => true), sleep(5_000)]);
            if (!done) channel.close();
          },
        });
      });
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.end();
  }
}

/**
 * ssh2, loaded on first use. The specifier is not a literal on purpose: a task module that
 * imports barn is bundled for remote workers (shipping/bundle.ts), and esbuild follows literal
 * imports, dynamic ones too, into ssh2's optional native addon, which it cannot bundle.
 */
async function loadSsh2(): Promise<typeof import("ssh2")> {
  const name = "ssh2";
  return (await import(name)) as typeof import("ssh2");
}

/** A POSIX shell word for `s`. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function sshError(where: string, err: Error & { level?: string; code?: string }): BarnError {
  const m = err.message;
  let why: string;
  if (err.level === "client-authentication" || /authentication methods failed/i.test(m)) {
    why =
      "authentication failed: the key (or agent) was not accepted; check privateKey/agent and the user's authorized_keys";
  } else if (/timed out/i.test(m) || err.code === "ETIMEDOUT") {
    why = "no answer in time: is the host up and port open?";
  } else if (err.code === "ECONNREFUSED") {
    why = "connection refused: is sshd running there?";
  } else if (
    err.code === "EHOSTUNREACH" ||
    err.code === "ENETUNREACH" ||
    err.code === "ENOTFOUND"
  ) {
    why = `host unreachable (${err.code})`;
  } else if (/host key|verification/i.test(m)) {
    why = "the host key does not match hostKeySha256";
  } else {
    why = m;
  }
  return new BarnError(ErrorCodes.CONNECT_FAILED, `ssh ${where}: ${why} (${m})`, { cause: err });
}

function sameFingerprint(seen: string, want: string): boolean {
  const norm = (s: string) => s.replace(/^SHA256:/, "").replace(/=+$/, "");
  return norm(seen) === norm(want);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
