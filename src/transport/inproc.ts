/**
 * inproc://name: connections inside one process, for tests and local clusters. Messages are
 * passed by reference (no encoding: do not mutate a message after sending it), delivered
 * asynchronously and in order, one batch per event-loop turn like the other transports. The
 * handshake still runs, so tokens and roles behave as on a real wire.
 */
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import { Handshake, type HandshakeStep, type Side } from "./handshake.js";
import { handshakeCrypto } from "./token.js";
import type {
  Connection,
  ConnectionStats,
  ConnectOptions,
  Hello,
  Listener,
  ListenOptions,
  Transport,
} from "./types.js";
import { barnVersion, PROTOCOL_VERSION } from "./version.js";

/** The listeners of this process, by name. */
const listeners = new Map<string, ListenOptions>();
let nextClient = 0;

/** Marks the end of a stream: the sender closed. */
const CLOSE = Symbol("inproc-close");

/** In-process transport. */
export const inprocTransport: Transport = {
  schemes: ["inproc"],
  async listen(url: URL, options: ListenOptions): Promise<Listener> {
    const name = url.hostname;
    if (listeners.has(name)) {
      throw new OptionError(
        `inproc://${name} is already listening in this process: pick another name or close the other listener`,
      );
    }
    listeners.set(name, options);
    return {
      address: `inproc://${name}`,
      close: async () => {
        if (listeners.get(name) === options) listeners.delete(name);
      },
    };
  },
  connect(url: URL, options: ConnectOptions): Promise<Connection> {
    const name = url.hostname;
    const server = listeners.get(name);
    if (server === undefined) {
      return Promise.reject(
        new BarnError(
          ErrorCodes.CONNECT_FAILED,
          `nothing listens at inproc://${name} in this process: start the listener first or check the name`,
        ),
      );
    }
    const address = `inproc://${name}`;
    const clientAddress = `inproc://${name}/client-${++nextClient}`;
    return new Promise((resolve, reject) => {
      const serverEnd = new InprocEnd(
        "server",
        address,
        clientAddress,
        server.hello,
        server.token,
        {
          resolve: (c) => server.onConnection(c),
          reject: (e) => server.onRefused?.(clientAddress, e),
        },
      );
      const clientEnd = new InprocEnd(
        "client",
        clientAddress,
        address,
        options.hello,
        options.token,
        {
          resolve,
          reject,
        },
      );
      serverEnd.link(clientEnd);
      clientEnd.link(serverEnd);
      serverEnd.start();
      clientEnd.start();
    });
  },
};

/** One end of an in-process connection. */
class InprocEnd implements Connection {
  readonly stats: ConnectionStats = {
    writes: 0,
    messagesSent: 0,
    messagesReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  readonly bufferedBytes = 0;
  #other: InprocEnd | undefined;
  #handshake: Handshake | undefined;
  #settle: { resolve: (c: Connection) => void; reject: (e: Error) => void } | undefined;
  #peer: Hello | undefined;
  #outbox: unknown[] = [];
  #inbox: unknown[] = [];
  #onMessage: ((msg: unknown) => void) | undefined;
  #onClose: ((error: Error | undefined) => void) | undefined;
  #closed = false;
  #closeError: Error | undefined;
  #closeReported = false;

  constructor(
    side: Side,
    readonly local: string,
    readonly remote: string,
    hello: Hello,
    token: string | undefined,
    settle: { resolve: (c: Connection) => void; reject: (e: Error) => void },
  ) {
    this.#settle = settle;
    this.#handshake = new Handshake({
      side,
      hello,
      protocol: PROTOCOL_VERSION,
      version: barnVersion(),
      remote,
      ...handshakeCrypto(token),
    });
  }

  link(other: InprocEnd): void {
    this.#other = other;
  }

  start(): void {
    this.#apply(this.#handshake!.start());
  }

  get peer(): Hello {
    if (this.#peer === undefined) throw new BarnError(ErrorCodes.INTERNAL, "no handshake yet");
    return this.#peer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(msg: unknown): void {
    if (this.#closed) return;
    this.stats.messagesSent++;
    this.#post(msg);
  }

  drained(): Promise<void> {
    return Promise.resolve();
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
    this.#post(CLOSE);
    this.#finish(undefined);
  }

  /** Queue for the other end; the whole turn's queue is delivered in one later microtask. */
  #post(msg: unknown): void {
    if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
    this.#outbox.push(msg);
  }

  #flush(): void {
    const batch = this.#outbox;
    this.#outbox = [];
    this.stats.writes++;
    this.#other?.receive(batch);
  }

  /** Called by the other end with one batch. */
  receive(batch: readonly unknown[]): void {
    for (const msg of batch) {
      if (this.#closed) return;
      if (msg === CLOSE) {
        this.#finish(lost(this.remote));
      } else if (this.#handshake !== undefined) {
        this.#apply(this.#handshake.receive(msg));
      } else {
        this.stats.messagesReceived++;
        this.#deliver(msg);
      }
    }
  }

  #apply(step: HandshakeStep): void {
    for (const m of step.send) this.#post(m);
    const outcome = step.outcome;
    if (outcome === undefined) return;
    this.#handshake = undefined;
    if (!outcome.ok) {
      this.#post(CLOSE);
      this.#finish(outcome.error);
      return;
    }
    this.#peer = outcome.peer;
    const settle = this.#settle!;
    this.#settle = undefined;
    settle.resolve(this);
  }

  #deliver(msg: unknown): void {
    const handler = this.#onMessage;
    if (handler === undefined || this.#inbox.length > 0) this.#inbox.push(msg);
    else callUser(() => handler(msg));
  }

  #deliverInbox(): void {
    const handler = this.#onMessage;
    if (handler === undefined) return;
    const inbox = this.#inbox;
    this.#inbox = [];
    for (const msg of inbox) callUser(() => handler(msg));
  }

  #finish(error: Error | undefined): void {
    this.#closed = true;
    this.#closeError = error;
    const settle = this.#settle;
    if (settle !== undefined) {
      this.#settle = undefined;
      this.#closeReported = true;
      settle.reject(error ?? lost(this.remote));
      return;
    }
    this.#reportClose();
  }

  #reportClose(): void {
    if (this.#closeReported || this.#onClose === undefined) return;
    this.#closeReported = true;
    const handler = this.#onClose;
    const error = this.#closeError;
    callUser(() => handler(error));
  }
}

/** A throwing user handler must not break delivery: rethrow it on its own. */
function callUser(work: () => void): void {
  try {
    work();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

function lost(remote: string): BarnError {
  return new BarnError(
    ErrorCodes.CONNECTION_LOST,
    `connection to ${remote} lost: closed by the other end`,
  );
}
