/**
 * A Connection over a node Duplex (a TCP or TLS socket, or a WebSocket stream): framing, the
 * codec, write batching and back-pressure, driven by the pure handshake. Invariants: no socket
 * event handler throws (every failure closes this one connection with a BarnError), `onClose`
 * fires exactly once, and all messages sent in one turn of the event loop leave in one write.
 */
import type { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { BarnError, ErrorCodes } from "../errors.js";
import { PRE_AUTH_MAX_BYTES } from "./admission.js";
import { encodeMessage, MAX_BUFFERS, MessageReader } from "./codec.js";
import { FrameParser, frameHeader } from "./framing.js";
import { Handshake, type HandshakeStep, type Side } from "./handshake.js";
import { handshakeCrypto } from "./token.js";
import type { Connection, ConnectionStats, Hello } from "./types.js";
import { barnVersion, PROTOCOL_VERSION } from "./version.js";

/** `drained()` resolves once fewer bytes than this are queued. */
export const LOW_WATER_BYTES = 1024 * 1024;

/**
 * Frames are limited to this during the handshake, whatever maxFrameBytes says: a handshake
 * message is a few hundred bytes (the registry refuses a hello that would not fit), and a
 * stranger must not make this end allocate more before it proved who it is.
 */
export const HANDSHAKE_MAX_FRAME_BYTES = 8 * 1024;

/** How a stream carries a batch of byte chunks. */
export type WriteMode =
  /** cork, write each chunk, uncork: one writev (sockets). */
  | "writev"
  /** concatenate into messages of at most this many bytes (WebSockets: one message per write). */
  | { readonly messageBytes: number };

/** How to run one stream connection (filled in by the transports from Listen/ConnectOptions). */
export interface StreamConnectionOptions {
  readonly side: Side;
  readonly hello: Hello;
  readonly token: string | undefined;
  readonly maxFrameBytes: number;
  /** Fail the handshake after this long (the server's guard against silent strangers). */
  readonly handshakeTimeoutMs: number;
  readonly local: string;
  readonly remote: string;
  readonly writeMode?: WriteMode | undefined;
  /**
   * Server: refuse in the handshake with this error, whatever the other end says (a peer whose
   * TLS certificate does not let it in), so the other end learns why.
   */
  readonly refuse?: BarnError | undefined;
  /**
   * Server: what the bytes arrive on, counted against PRE_AUTH_MAX_BYTES until the handshake
   * completes:
   * the socket under a WebSocket (whose library buffers a whole message before the stream sees
   * it). Default: the stream itself.
   */
  readonly carrier?: EventEmitter | undefined;
}

/**
 * Run the handshake over `stream`; resolves with the open connection, or rejects with the
 * handshake's BarnError (after sending the refusal, when this end refused).
 */
export function openStreamConnection(
  stream: Duplex,
  options: StreamConnectionOptions,
): Promise<StreamConnection> {
  return new Promise((resolve, reject) => {
    new StreamConnection(stream, options, resolve, reject);
  });
}

/** See the module comment. Construct through `openStreamConnection`. */
export class StreamConnection implements Connection {
  readonly local: string;
  readonly remote: string;
  readonly stats: ConnectionStats = {
    writes: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  #peer: Hello | undefined;
  readonly #stream: Duplex;
  readonly #options: StreamConnectionOptions;
  readonly #parser: FrameParser;
  readonly #reader = new MessageReader();
  #handshake: Handshake | undefined;
  #settle: { resolve: (c: StreamConnection) => void; reject: (e: Error) => void } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #flushScheduled = false;
  #onMessage: ((msg: unknown) => void) | undefined;
  #inbox: unknown[] = [];
  #onClose: ((error: Error | undefined) => void) | undefined;
  #closed = false;
  /** Why it closed (undefined for a clean close by this end); meaningful once #closed. */
  #closeError: Error | undefined;
  #closeReported = false;
  #drainWaiters: (() => void)[] = [];
  /** Bytes received before the handshake completed. */
  #preAuthBytes = 0;
  #stopCounting: (() => void) | undefined;

  constructor(
    stream: Duplex,
    options: StreamConnectionOptions,
    resolve: (c: StreamConnection) => void,
    reject: (e: Error) => void,
  ) {
    this.#stream = stream;
    this.#options = options;
    this.local = options.local;
    this.remote = options.remote;
    this.#settle = { resolve, reject };
    this.#parser = new FrameParser(Math.min(HANDSHAKE_MAX_FRAME_BYTES, options.maxFrameBytes));
    this.#parser.limitFix = "frames are this small until the handshake completes";
    this.#reader.maxBuffers = 0;
    // Only the listener counts: a client sends nothing past its proof before the welcome, while
    // a server may send its first messages in the same chunk as the welcome.
    if (options.side === "server") this.#countPreAuthBytes(options.carrier ?? stream);
    stream.on("data", (chunk: Buffer) => this.#guard(() => this.#onData(chunk)));
    stream.on("drain", () => this.#checkDrained());
    stream.on("error", (err) => this.#fail(streamError(this.remote, err)));
    stream.on("end", () => this.#fail(lost(this.remote, "closed by the other end")));
    stream.on("close", () => this.#fail(lost(this.remote, "closed by the other end")));
    this.#timer = setTimeout(() => this.#fail(timedOut(options)), options.handshakeTimeoutMs);
    this.#timer.unref?.();
    const crypto = handshakeCrypto(options.token);
    this.#handshake = new Handshake({
      side: options.side,
      hello: options.hello,
      protocol: PROTOCOL_VERSION,
      version: barnVersion(),
      remote: options.remote,
      ...crypto,
    });
    const refuse = options.refuse;
    if (refuse === undefined) this.#guard(() => this.#applyStep(this.#handshake!.start()));
    else {
      const send = [{ t: "barn-refuse", code: refuse.code, message: refuse.message } as const];
      this.#applyStep({ send, outcome: { ok: false, error: refuse, refusedByPeer: false } });
    }
  }

  get peer(): Hello {
    if (this.#peer === undefined) throw new BarnError(ErrorCodes.INTERNAL, "no handshake yet");
    return this.#peer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get bufferedBytes(): number {
    return this.#pendingBytes + this.#stream.writableLength;
  }

  send(msg: unknown): void {
    if (this.#closed) return;
    this.#enqueue(msg);
    this.stats.messagesSent++;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  drained(): Promise<void> {
    if (this.#closed || this.bufferedBytes < LOW_WATER_BYTES) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  onMessage(handler: (msg: unknown) => void): void {
    this.#onMessage = handler;
    if (this.#inbox.length > 0) queueMicrotask(() => this.#deliverInbox());
  }

  onClose(handler: (error: Error | undefined) => void): void {
    this.#onClose = handler;
    if (this.#closed) queueMicrotask(() => this.#reportClose());
  }

  close(_reason?: string): void {
    if (this.#closed) return;
    this.#flush();
    this.#finish(undefined);
    this.#stream.end();
  }

  #enqueue(msg: unknown): void {
    const enc = encodeMessage(msg);
    this.#pending.push(enc.head, enc.body);
    for (const b of enc.buffers) this.#pending.push(frameHeader(b.byteLength), b);
    this.#pendingBytes += enc.bytes;
    this.stats.bytesSent += enc.bytes;
  }

  #flush(): void {
    this.#flushScheduled = false;
    if (this.#pending.length === 0 || this.#stream.destroyed) return;
    const chunks = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.stats.writes++;
    const mode = this.#options.writeMode ?? "writev";
    if (mode === "writev") {
      const parts = coalesce(chunks);
      if (parts.length === 1) this.#stream.write(parts[0]!);
      else {
        this.#stream.cork();
        for (const c of parts) this.#stream.write(c);
        this.#stream.uncork();
      }
    } else {
      for (const m of groupChunks(chunks, mode.messageBytes)) this.#stream.write(m);
    }
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.stats.bytesReceived += chunk.length;
    this.#parser.each(chunk, (frame) => this.#onFrame(frame));
  }

  #onFrame(frame: Uint8Array): void {
    if (this.#closed) return;
    const done = this.#reader.push(frame);
    if (done === undefined) return;
    if (this.#handshake !== undefined) {
      this.#applyStep(this.#handshake.receive(done.message));
    } else {
      this.stats.messagesReceived++;
      this.#deliver(done.message);
    }
  }

  #applyStep(step: HandshakeStep): void {
    for (const m of step.send) this.#enqueue(m);
    this.#flush();
    const outcome = step.outcome;
    if (outcome === undefined) return;
    clearTimeout(this.#timer);
    this.#handshake = undefined;
    this.#stopCounting?.();
    if (!outcome.ok) {
      this.#fail(outcome.error);
      return;
    }
    this.#peer = outcome.peer;
    this.#parser.maxFrameBytes = this.#options.maxFrameBytes;
    this.#parser.limitFix = new FrameParser().limitFix;
    this.#reader.maxBuffers = MAX_BUFFERS;
    const settle = this.#settle!;
    this.#settle = undefined;
    settle.resolve(this);
  }

  #deliver(msg: unknown): void {
    const handler = this.#onMessage;
    if (handler === undefined || this.#inbox.length > 0) {
      this.#inbox.push(msg);
      return;
    }
    this.#guardHandler(() => handler(msg));
  }

  #deliverInbox(): void {
    const handler = this.#onMessage;
    if (handler === undefined) return;
    const inbox = this.#inbox;
    this.#inbox = [];
    for (const msg of inbox) this.#guardHandler(() => handler(msg));
  }

  /**
   * Close the connection once the other end sent more than PRE_AUTH_MAX_BYTES before
   * completing the handshake. Counts on its own listener, so it sees bytes that a WebSocket
   * library is still assembling into a message.
   */
  #countPreAuthBytes(carrier: EventEmitter): void {
    const onData = (chunk: Uint8Array) => {
      this.#preAuthBytes += chunk.byteLength;
      if (this.#preAuthBytes <= PRE_AUTH_MAX_BYTES || this.#closed) return;
      this.#abort(
        new BarnError(
          ErrorCodes.FRAME_INVALID,
          `${this.remote} sent more than ${PRE_AUTH_MAX_BYTES} bytes without completing the handshake; closed the connection (not a Barn endpoint, or an attack)`,
        ),
      );
    };
    carrier.on("data", onData);
    this.#stopCounting = () => carrier.off("data", onData);
  }

  /** Run socket-event work; a failure closes this connection and never escapes. */
  #guard(work: () => void): void {
    try {
      work();
    } catch (err) {
      const error = asBarnError(err, this.remote);
      // Before the handshake, the other end is a stranger: waste no more reads on it.
      if (this.#handshake !== undefined) this.#abort(error);
      else this.#fail(error);
    }
  }

  /** Close at once, without waiting for queued bytes to leave (nothing is owed to a stranger). */
  #abort(error: Error): void {
    if (this.#closed) return;
    this.#fail(error);
    this.#stream.destroy();
  }

  /** A user handler that throws must not corrupt the stream: report it asynchronously. */
  #guardHandler(work: () => void): void {
    try {
      work();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  #fail(error: Error): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#stopCounting?.();
    this.#finish(error);
    // Give a refusal just written a chance to leave before the socket goes away.
    this.#stream.end();
    setTimeout(() => this.#stream.destroy(), 1000).unref?.();
  }

  #finish(error: Error | undefined): void {
    this.#closed = true;
    this.#closeError = error;
    this.#pending = [];
    this.#pendingBytes = 0;
    for (const w of this.#drainWaiters.splice(0)) w();
    const settle = this.#settle;
    if (settle !== undefined) {
      this.#settle = undefined;
      this.#closeReported = true;
      settle.reject(error ?? lost(this.remote, "closed during the handshake"));
      return;
    }
    this.#reportClose();
  }

  #reportClose(): void {
    if (this.#closeReported || this.#onClose === undefined) return;
    this.#closeReported = true;
    const handler = this.#onClose;
    const error = this.#closeError;
    this.#guardHandler(() => handler(error));
  }

  #checkDrained(): void {
    if (this.bufferedBytes >= LOW_WATER_BYTES) return;
    for (const w of this.#drainWaiters.splice(0)) w();
  }
}

/** Below this, chunks are copied together rather than written as iovecs of their own. */
const COALESCE_BYTES = 64 * 1024;

/**
 * Join each run of small chunks into one buffer; large chunks (the caller's binary data) stay
 * as they are. Thousands of tiny iovecs in one writev cost more than copying them once.
 */
export function coalesce(chunks: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  let size = 0;
  const flushRun = () => {
    if (run.length > 0) out.push(run.length === 1 ? run[0]! : Buffer.concat(run, size));
    run = [];
    size = 0;
  };
  for (const c of chunks) {
    if (c.byteLength >= COALESCE_BYTES) {
      flushRun();
      out.push(c);
    } else {
      run.push(c);
      size += c.byteLength;
    }
  }
  flushRun();
  return out;
}

/** Concatenate chunks into messages of at most `max` bytes (splitting large chunks). */
export function groupChunks(chunks: readonly Uint8Array[], max: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let size = 0;
  const close = () => {
    if (group.length > 0) out.push(group.length === 1 ? group[0]! : Buffer.concat(group, size));
    group = [];
    size = 0;
  };
  for (let c of chunks) {
    while (c.length > 0) {
      const n = Math.min(max - size, c.length);
      group.push(c.subarray(0, n));
      size += n;
      c = c.subarray(n);
      if (size === max) close();
    }
  }
  close();
  return out;
}

/** True for certificate and TLS alert errors. */
export function isTlsError(err: Error): boolean {
  const code = String((err as { code?: unknown }).code ?? "");
  return /CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|ERR_SSL|ERR_TLS|EPROTO/.test(code);
}

function streamError(remote: string, err: Error): BarnError {
  if (!isTlsError(err)) return lost(remote, err.message, err);
  return new BarnError(
    ErrorCodes.AUTH_FAILED,
    `TLS with ${remote} failed (${err.message}): give this end the CA that signed the other end's certificate (tls.ca), and a certificate of its own (tls.cert, tls.key) if the other end requires one`,
    { cause: err },
  );
}

function lost(remote: string, what: string, cause?: unknown): BarnError {
  return new BarnError(
    ErrorCodes.CONNECTION_LOST,
    `connection to ${remote} lost: ${what}; check that the other end is running and reachable`,
    cause === undefined ? {} : { cause },
  );
}

function timedOut(o: StreamConnectionOptions): BarnError {
  const what = `no Barn handshake from ${o.remote} within ${o.handshakeTimeoutMs} ms`;
  return o.side === "server"
    ? new BarnError(ErrorCodes.TIMEOUT, `${what}; closed the connection (not a Barn client?)`)
    : new BarnError(
        ErrorCodes.CONNECT_FAILED,
        `${what}: check that the address is a Barn scheduler or worker, or raise timeoutMs`,
      );
}

function asBarnError(err: unknown, remote: string): BarnError {
  if (err instanceof BarnError) return err;
  return new BarnError(
    ErrorCodes.FRAME_INVALID,
    `invalid data from ${remote}: ${(err as Error)?.message ?? String(err)}`,
    { cause: err },
  );
}
