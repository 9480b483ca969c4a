/**
 * The transport seam: connections that carry Barn's messages between a scheduler, its workers,
 * their peers and clients, whatever the wire. A transport is chosen by the URL scheme of an
 * address (`inproc://`, `tcp://`, `tls://`, `ws://`, `wss://`; see registry.ts). Every
 * connection starts with the handshake (handshake.ts): protocol and package versions, then an
 * HMAC challenge proving both ends hold the same token without sending it. After that both ends
 * see only whole messages: plain JS values (objects, arrays, strings, numbers, bigint, Map, Set,
 * Date, typed arrays, ArrayBuffers, undefined), encoded with msgpackr, with large binary buffers
 * sent as frames of their own rather than copied into the encoder.
 */

/** Who is on the other end of a connection, as they said in the handshake. */
export type Role = "scheduler" | "worker" | "client" | "peer";

/** What each end says about itself in the handshake, besides versions and the token proof. */
export interface Hello {
  readonly role: Role;
  /** A name for logs (a worker's name, a client id). */
  readonly name: string;
  /** Anything else the role needs to say when it joins (a worker's nthreads, resources...). */
  readonly info?: Readonly<Record<string, unknown>> | undefined;
}

/** A connected, authenticated, message-oriented link. */
export interface Connection {
  /** This end's address, e.g. "tcp://127.0.0.1:40123". */
  readonly local: string;
  /** The other end's address, e.g. "tcp://127.0.0.1:8786". */
  readonly remote: string;
  /** What the other end said about itself in the handshake. */
  readonly peer: Hello;
  /**
   * Queue a message. Messages sent in one turn of the event loop leave in one write. Never
   * throws for a closed connection (the message is dropped; `onClose` has fired or will).
   */
  send(msg: unknown): void;
  /** Bytes queued but not yet handed to the OS: back-pressure for producers. */
  readonly bufferedBytes: number;
  /** Resolves once `bufferedBytes` is below the low-water mark (at once if it already is). */
  drained(): Promise<void>;
  /** Set the handler for incoming messages (one per connection; replaces the previous one). */
  onMessage(handler: (msg: unknown) => void): void;
  /**
   * Set the handler called once when the connection ends, with the reason when it was not a
   * clean close by this end (a BarnError with code CONNECTION_LOST, FRAME_INVALID, ...).
   */
  onClose(handler: (error: Error | undefined) => void): void;
  /** Close it (idempotent). Messages already queued are flushed first when possible. */
  close(reason?: string): void;
  readonly closed: boolean;
  /** Counters for tests and diagnostics (absent on connections that keep none). */
  readonly stats?: Readonly<ConnectionStats> | undefined;
}

/** Counters of one connection since it opened (handshake included). */
export interface ConnectionStats {
  /** Batches handed to the wire: one per event-loop turn that sent something. */
  writes: number;
  messagesSent: number;
  messagesReceived: number;
  /** Payload and frame-header bytes queued for sending. */
  bytesSent: number;
  /** Bytes read from the wire. */
  bytesReceived: number;
}

/** Security settings for both ends. */
export interface SecurityOptions {
  /** Shared secret; both ends prove they hold it by HMAC. Undefined: no token required. */
  readonly token?: string | undefined;
  /**
   * PEM strings for tls:// and wss://. `ca` on a server asks for client certificates; with
   * `requireClientCert` it refuses connections without one signed by `ca` (mutual TLS).
   */
  readonly tls?:
    | {
        readonly cert?: string | undefined;
        readonly key?: string | undefined;
        readonly ca?: string | undefined;
        /**
         * Server: refuse clients without a certificate signed by `ca` (mutual TLS); needs `ca`.
         * On a non-loopback address, this or a token is required (see bind-policy.ts).
         */
        readonly requireClientCert?: boolean | undefined;
      }
    | undefined;
}

/** Options of `listen()`: who this end is, what to do with connections, limits. */
export interface ListenOptions extends SecurityOptions {
  /** What this end says about itself in handshakes. */
  readonly hello: Hello;
  /** Called for every connection that completed the handshake. */
  readonly onConnection: (conn: Connection) => void;
  /**
   * Largest frame accepted once the handshake completed, bytes (before it, a few KiB). A bigger
   * frame closes that connection with FRAME_TOO_LARGE. Default 1 GiB.
   */
  readonly maxFrameBytes?: number | undefined;
  /**
   * Most connections that may be waiting to complete the handshake (TLS included) at once;
   * more are dropped on accept, so a flood of strangers cannot exhaust memory. Default 256.
   */
  readonly maxPendingConnections?: number | undefined;
  /** Called when a connection failed its handshake (wrong token, version...): for logs. */
  readonly onRefused?: ((remote: string, error: Error) => void) | undefined;
  /**
   * Drop a connection that has not completed the handshake after this long, so silent
   * strangers do not hold sockets. Default 10 s.
   */
  readonly handshakeTimeoutMs?: number | undefined;
  /**
   * Allow binding a non-loopback address without a token or mutual TLS. Default false: such a
   * bind is refused with INSECURE_BIND, since a worker runs whatever code its scheduler sends
   * (see bind-policy.ts).
   */
  readonly allowInsecure?: boolean | undefined;
  /**
   * Neither the listener nor the connections it accepts keep the process alive (Node's
   * `unref`), for a scheduler embedded in a script (`Client.connect({ processes: true })`),
   * which must exit after its last line as one on threads does. Default false: a standalone
   * scheduler or worker keeps serving. inproc:// holds nothing open either way.
   */
  readonly unref?: boolean | undefined;
}

/** Options of `connect()`: who this end is, the time allowed, limits. */
export interface ConnectOptions extends SecurityOptions {
  /** What this end says about itself in the handshake. */
  readonly hello: Hello;
  /** Give up connecting (and handshaking) after this long. Default 10 s. */
  readonly timeoutMs?: number | undefined;
  /** Largest frame accepted from the server, bytes. Default 1 GiB. */
  readonly maxFrameBytes?: number | undefined;
}

/** A listening endpoint, from `listen()`. */
export interface Listener {
  /** The address others connect to, with the real port when 0 was asked for. */
  readonly address: string;
  /** Stop accepting; existing connections stay open. */
  close(): Promise<void>;
}

/** One kind of wire, registered under its URL schemes. */
export interface Transport {
  readonly schemes: readonly string[];
  listen(url: URL, options: ListenOptions): Promise<Listener>;
  connect(url: URL, options: ConnectOptions): Promise<Connection>;
}
