/** Shared helpers for the transport tests: listener/connection pairs, certificates, waiting. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, listen } from "../../../src/transport/index.js";
import type {
  Connection,
  ConnectOptions,
  Listener,
  ListenOptions,
} from "../../../src/transport/types.js";

export const serverHello = { role: "scheduler", name: "s" } as const;
export const clientHello = { role: "client", name: "c" } as const;

/** A listener, one client connection and the server's side of it. */
export interface Pair {
  readonly listener: Listener;
  readonly client: Connection;
  readonly server: Connection;
  close(): Promise<void>;
}

/** Listen on `address` (port 0), connect once, and wait for both sides. */
export async function pair(
  address: string,
  listenExtra: Partial<ListenOptions> = {},
  connectExtra: Partial<ConnectOptions> = {},
): Promise<Pair> {
  let gotServer!: (c: Connection) => void;
  const serverSide = new Promise<Connection>((r) => (gotServer = r));
  const listener = await listen(address, {
    hello: serverHello,
    onConnection: (c) => gotServer(c),
    ...listenExtra,
  });
  const client = await connect(listener.address, { hello: clientHello, ...connectExtra });
  const server = await serverSide;
  return {
    listener,
    client,
    server,
    async close() {
      client.close();
      server.close();
      await listener.close();
    },
  };
}

/** The next `n` messages a connection receives. */
export function receive(conn: Connection, n: number): Promise<unknown[]> {
  const got: unknown[] = [];
  return new Promise((resolve) => {
    if (n === 0) resolve(got);
    conn.onMessage((m) => {
      got.push(m);
      if (got.length === n) resolve(got);
    });
  });
}

/** Resolves with the error `onClose` reports. */
export function closed(conn: Connection): Promise<Error | undefined> {
  return new Promise((resolve) => conn.onClose(resolve));
}

/** PEM material for TLS tests, made with the openssl CLI; undefined when openssl is missing. */
export interface Certs {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Another CA, to provoke verification failures. */
  readonly otherCa: string;
  /** A client certificate (for 127.0.0.1) signed by `otherCa`, not by `ca`. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

let certs: Certs | undefined | null = null;

/** Make (once per process) a throwaway CA, a server cert for 127.0.0.1/localhost, a client cert. */
export function testCerts(): Certs | undefined {
  if (certs !== null) return certs;
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
  } catch {
    certs = undefined;
    return certs;
  }
  const dir = mkdtempSync(join(tmpdir(), "barn-tls-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    for (const ca of ["ca", "other"]) {
      run(
        "req",
        "-x509",
        ...ec,
        "-keyout",
        `${ca}.key`,
        "-out",
        `${ca}.pem`,
        "-days",
        "2",
        "-subj",
        `/CN=barn-test-${ca}`,
      );
    }
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    for (const [who, ca] of [
      ["server", "ca"],
      ["client", "ca"],
      ["stranger", "other"],
    ] as const) {
      run("req", ...ec, "-keyout", `${who}.key`, "-out", `${who}.csr`, "-subj", `/CN=barn-${who}`);
      run(
        "x509",
        "-req",
        "-in",
        `${who}.csr`,
        "-CA",
        `${ca}.pem`,
        "-CAkey",
        `${ca}.key`,
        "-CAcreateserial",
        "-out",
        `${who}.pem`,
        "-days",
        "2",
        "-extfile",
        "san.ext",
      );
    }
    const read = (f: string) => readFileSync(join(dir, f), "utf8");
    certs = {
      ca: read("ca.pem"),
      otherCa: read("other.pem"),
      serverCert: read("server.pem"),
      serverKey: read("server.key"),
      clientCert: read("client.pem"),
      clientKey: read("client.key"),
      strangerCert: read("stranger.pem"),
      strangerKey: read("stranger.key"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return certs;
}

/** Server TLS options from the test certs. */
export function serverTls(c: Certs, extra: object = {}) {
  return { tls: { cert: c.serverCert, key: c.serverKey, ...extra } };
}

/** Byte-for-byte equality of two binary views (fast for large arrays). */
export function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}
