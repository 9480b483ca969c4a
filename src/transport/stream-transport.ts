/**
 * What tcp://, tls:// and ws:// share around a StreamConnection: accepting with the handshake
 * timeout, connecting within `timeoutMs`, turning socket errors into BarnErrors, and a Listener
 * over a node server.
 */
import type { EventEmitter } from "node:events";
import type { Server, Socket } from "node:net";
import type { Duplex } from "node:stream";
import { BarnError, ErrorCodes } from "../errors.js";
import { formatAddress } from "./address.js";
import { type Admission, keyOf } from "./admission.js";
import { DEFAULT_MAX_FRAME_BYTES } from "./framing.js";
import { isTlsError, openStreamConnection, type WriteMode } from "./stream-connection.js";
import type { Connection, ConnectOptions, Listener, ListenOptions } from "./types.js";

/** A server drops a connection that has not finished its handshake after this long. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** A client gives up connecting and handshaking after this long by default. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** A freshly accepted stream, as a transport hands it to `acceptStream`. */
export interface Accepted {
  readonly stream: Duplex;
  /** The TCP or TLS socket under it: its address keys the Admission count. */
  readonly socket: Socket;
  readonly remote: string;
  readonly local: string;
  readonly writeMode?: WriteMode | undefined;
  /** Refuse it in the handshake with this error (its TLS certificate does not let it in). */
  readonly refuse?: BarnError | undefined;
  /** Count pre-handshake bytes on this rather than on the stream (see StreamConnectionOptions). */
  readonly carrier?: EventEmitter | undefined;
}

/**
 * Run the server side of a freshly accepted stream; reports to onConnection or onRefused, and
 * to `admission` once the handshake is over either way.
 */
export function acceptStream(a: Accepted, options: ListenOptions, admission: Admission): void {
  const key = keyOf(a.socket);
  openStreamConnection(a.stream, {
    side: "server",
    hello: options.hello,
    token: options.token,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    local: a.local,
    remote: a.remote,
    writeMode: a.writeMode,
    refuse: a.refuse,
    carrier: a.carrier,
  }).then(
    (conn) => {
      admission.settled(key);
      options.onConnection(conn);
    },
    (err: Error) => {
      admission.settled(key);
      options.onRefused?.(a.remote, err);
    },
  );
}

/** How a transport opens its stream: what emits `ready` (or "error"), then the stream. */
export interface Opened {
  readonly emitter: EventEmitter;
  readonly ready: string;
  readonly stream: () => Duplex;
  readonly local: () => string;
  readonly writeMode?: WriteMode;
  /** Tear down on a failed connect. */
  readonly destroy: () => void;
}

/** Open a stream with `open`, wait until it is ready, then run the client side of the handshake. */
export async function connectStream(
  remote: string,
  options: ConnectOptions,
  open: () => Opened,
): Promise<Connection> {
  const timeoutMs = options.timeoutMs ?? CONNECT_TIMEOUT_MS;
  const started = Date.now();
  const opened = open();
  await whenReady(opened, remote, timeoutMs);
  return openStreamConnection(opened.stream(), {
    side: "client",
    hello: options.hello,
    token: options.token,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    handshakeTimeoutMs: Math.max(1, timeoutMs - (Date.now() - started)),
    local: opened.local(),
    remote,
    writeMode: opened.writeMode,
  });
}

function whenReady(opened: Opened, remote: string, timeoutMs: number): Promise<void> {
  const { emitter, ready } = opened;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      opened.destroy();
      reject(
        new BarnError(
          ErrorCodes.CONNECT_FAILED,
          `could not connect to ${remote} within ${timeoutMs} ms: check the address and that a Barn scheduler or worker listens there, or raise timeoutMs`,
        ),
      );
    }, timeoutMs);
    const onError = (err: Error) => {
      clearTimeout(timer);
      opened.destroy();
      reject(connectError(remote, err));
    };
    emitter.once("error", onError);
    emitter.once(ready, () => {
      clearTimeout(timer);
      emitter.off("error", onError);
      resolve();
    });
  });
}

/** A socket error while connecting: AUTH_FAILED for TLS verification, else CONNECT_FAILED. */
export function connectError(remote: string, err: Error): BarnError {
  if (isTlsError(err)) {
    return new BarnError(
      ErrorCodes.AUTH_FAILED,
      `TLS with ${remote} failed (${err.message}): give this end the CA that signed the other end's certificate (tls.ca), and a certificate of its own (tls.cert, tls.key) if the other end requires one`,
      { cause: err },
    );
  }
  return new BarnError(
    ErrorCodes.CONNECT_FAILED,
    `could not connect to ${remote} (${err.message}): check the address and that a Barn scheduler or worker listens there`,
    { cause: err },
  );
}

/**
 * Listen with a node server; the Listener's address carries the real port. Every raw socket
 * the server accepts goes through `admission` first. With `unref` (ListenOptions.unref), neither
 * the server nor the sockets it accepts keep the process alive.
 */
export function listenerOf(
  server: Server,
  admission: Admission,
  unref: boolean | undefined,
  scheme: string,
  host: string,
  port: number,
  path = "",
  onClose: () => void = () => {},
): Promise<Listener> {
  server.prependListener("connection", admission.onSocket);
  if (unref === true) {
    server.unref();
    // The raw TCP socket, before TLS or WebSocket wrap it: its handle is the one that counts.
    server.prependListener("connection", (socket: Socket) => socket.unref());
  }
  return new Promise((resolve, reject) => {
    server.once("error", (err) => {
      reject(
        new BarnError(
          ErrorCodes.LISTEN_FAILED,
          `cannot listen on ${formatAddress({ scheme, host, port, path })} (${err.message}): choose a free port (0 picks one) or an address of this machine`,
          { cause: err },
        ),
      );
    });
    server.listen(port, host, () => {
      const a = server.address();
      const real = typeof a === "object" && a !== null ? a.port : port;
      const address = formatAddress({ scheme, host, port: real, path });
      server.on("error", () => {});
      resolve({
        address,
        close: () =>
          new Promise<void>((done) => {
            onClose();
            server.close();
            setImmediate(done);
          }),
      });
    });
  });
}
