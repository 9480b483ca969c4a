/**
 * Peer-to-peer data for a worker process. The worker thread speaks to each peer through a
 * MessagePort, exactly as in the thread cluster; this bridge carries those port messages over
 * network connections to the peer processes (dialled on first use, or accepted from them), so
 * inputs move worker to worker and never through the scheduler. When a link fails with fetches
 * outstanding, the bridge answers them "missing", and the worker state machine tries another
 * holder or tells the scheduler. A fetch not answered within `fetchTimeoutMs` (a reply lost
 * on a link that still looks open) does the same, after closing the links to that peer: a
 * worker never waits for a peer for ever.
 */
import { MessageChannel, type MessagePort, type Worker } from "node:worker_threads";
import type { Logger } from "../diagnostics/log.js";
import type { WorkerId } from "../protocol/ids.js";
import { splitKeys } from "../protocol/ops-codec.js";
import type { PeerEnvelope } from "../protocol/wire.js";
import type { PeerMessage, ToWorker } from "../protocol/worker-messages.js";
import { connect } from "../transport/index.js";
import type { Connection, SecurityOptions } from "../transport/types.js";
import { bytesOf, largeBytes, MainGarbage, transferList } from "./main-buffers.js";

interface Peer {
  readonly id: WorkerId;
  address: string | undefined;
  readonly port: MessagePort;
  /** Open connections to this peer (dialled or accepted); any of them carries messages. */
  readonly conns: Set<Connection>;
  dialling: Promise<Connection> | undefined;
  /** Our fetches from this peer not answered yet: request id -> joined keys and deadline timer. */
  readonly pending: Map<number, PendingGet>;
  /** Our P2P shuffle reads from this peer not answered yet (the thread times them out). */
  readonly shuffleReads: Set<number>;
}

interface PendingGet {
  readonly keys: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** Default bound on one fetch from a peer (a batch is at most 50 MB: 1 MB/s still fits). */
export const FETCH_TIMEOUT_MS = 60_000;

export class PeerBridge {
  readonly #self: WorkerId;
  readonly #thread: Pick<Worker, "postMessage">;
  readonly #security: SecurityOptions;
  readonly #log: Logger;
  readonly #fetchTimeoutMs: number;
  readonly #peers = new Map<WorkerId, Peer>();
  readonly #garbage = new MainGarbage();
  #closed = false;

  constructor(
    self: WorkerId,
    thread: Pick<Worker, "postMessage">,
    security: SecurityOptions,
    log: Logger,
    fetchTimeoutMs = FETCH_TIMEOUT_MS,
  ) {
    this.#self = self;
    this.#thread = thread;
    this.#security = security;
    this.#log = log;
    this.#fetchTimeoutMs = fetchTimeoutMs;
  }

  /** A peer joined (or is known from the welcome): give the thread a port for it. */
  add(id: WorkerId, address: string | undefined): Peer {
    const known = this.#peers.get(id);
    if (known !== undefined) {
      if (address !== undefined) known.address = address;
      return known;
    }
    const { port1, port2 } = new MessageChannel();
    const peer: Peer = {
      id,
      address,
      port: port2,
      conns: new Set(),
      dialling: undefined,
      pending: new Map(),
      shuffleReads: new Set(),
    };
    this.#peers.set(id, peer);
    this.#thread.postMessage({ t: "peer", peer: id, port: port1 } satisfies ToWorker, [port1]);
    port2.on("message", (m: PeerMessage) => this.#fromThread(peer, m));
    return peer;
  }

  /** A peer left the cluster: close its links and tell the thread. */
  remove(id: WorkerId): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    this.#peers.delete(id);
    for (const c of peer.conns) c.close("peer gone");
    stopTimers(peer); // the thread fails its fetches from the peer on peer-gone
    peer.port.close();
    this.#thread.postMessage({ t: "peer-gone", peer: id } satisfies ToWorker);
  }

  /** A connection a peer dialled to us (role "peer", named by its worker id). */
  accept(conn: Connection): void {
    const peer = this.add(conn.peer.name, undefined);
    this.#attach(peer, conn);
  }

  close(): void {
    this.#closed = true;
    for (const p of this.#peers.values()) {
      for (const c of p.conns) c.close("worker closing");
      stopTimers(p);
      p.port.close();
    }
    this.#peers.clear();
  }

  #attach(peer: Peer, conn: Connection): void {
    peer.conns.add(conn);
    conn.onMessage((raw) => {
      const env = raw as PeerEnvelope;
      if (env?.t !== "peer" || typeof env.m !== "object" || env.m === null) {
        conn.close("malformed peer message");
        return;
      }
      if (env.m.t === "data") {
        const get = peer.pending.get(env.m.id);
        if (get === undefined) return; // answered already (timed out): the thread moved on
        clearTimeout(get.timer);
        peer.pending.delete(env.m.id);
      } else if (env.m.t === "shuffle-data") {
        if (!peer.shuffleReads.delete(env.m.id)) return; // answered already (link failed)
      }
      // Values move to the task thread, not copied: a copy left here would be garbage this
      // thread may not collect for a long time (main-buffers.ts).
      const tl =
        env.m.t === "data"
          ? transferList(env.m.values)
          : env.m.t === "shuffle-data"
            ? transferList(env.m.chunks)
            : [];
      const n = bytesOf(tl); // read before the transfer empties them
      peer.port.postMessage(env.m, tl);
      this.#garbage.received(n);
    });
    conn.onClose((err) => {
      peer.conns.delete(conn);
      if (err !== undefined && !this.#closed) {
        this.#log.debug("peer link closed", { peer: peer.id, reason: err.message });
      }
      if (peer.conns.size === 0) this.#failPending(peer);
    });
  }

  #fromThread(peer: Peer, m: PeerMessage): void {
    if (m.t === "get") {
      const timer = setTimeout(() => this.#timedOut(peer, m.id), this.#fetchTimeoutMs);
      timer.unref();
      peer.pending.set(m.id, { keys: m.keys, timer });
    } else if (m.t === "shuffle-get") {
      peer.shuffleReads.add(m.id);
    }
    const open = first(peer.conns);
    if (open !== undefined) {
      this.#send(open, m);
      return;
    }
    this.#dial(peer).then(
      (conn) => this.#send(conn, m),
      (err: Error) => {
        this.#log.warn("cannot reach peer", { peer: peer.id, reason: err.message });
        this.#failPending(peer);
      },
    );
  }

  #send(conn: Connection, m: PeerMessage): void {
    conn.send({ t: "peer", m } satisfies PeerEnvelope);
    if (m.t === "data") this.#garbage.sent(largeBytes(m.values), conn);
    else if (m.t === "shuffle-data") this.#garbage.sent(largeBytes(m.chunks), conn);
  }

  #dial(peer: Peer): Promise<Connection> {
    if (peer.dialling !== undefined) return peer.dialling;
    if (peer.address === undefined) {
      return Promise.reject(new Error(`no address known for peer ${peer.id}`));
    }
    const p = connect(peer.address, {
      ...this.#security,
      hello: { role: "peer", name: this.#self },
      timeoutMs: 5_000,
    }).then((conn) => {
      this.#attach(peer, conn);
      return conn;
    });
    peer.dialling = p;
    const clear = () => {
      if (peer.dialling === p) peer.dialling = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  /**
   * Fetch `id` from `peer` got no answer in time: its request or reply was lost, so the links
   * to that peer are not to be trusted. Close them (a later fetch dials afresh) and answer
   * every outstanding fetch from it "missing".
   */
  #timedOut(peer: Peer, id: number): void {
    if (!peer.pending.has(id) || this.#closed) return;
    this.#log.warn("fetch from peer timed out; reconnecting", {
      peer: peer.id,
      timeoutMs: this.#fetchTimeoutMs,
    });
    for (const c of [...peer.conns]) c.close("fetch timed out");
    this.#failPending(peer);
  }

  /** Answer every outstanding fetch from `peer` with "all missing". */
  #failPending(peer: Peer): void {
    for (const [id, get] of peer.pending) {
      clearTimeout(get.timer);
      const reply: PeerMessage = { t: "data", id, values: [], missing: splitKeys(get.keys) };
      peer.port.postMessage(reply);
    }
    peer.pending.clear();
    for (const id of peer.shuffleReads) {
      const reply: PeerMessage = { t: "shuffle-data", id, chunks: [], error: "the link failed" };
      peer.port.postMessage(reply);
    }
    peer.shuffleReads.clear();
  }
}

function stopTimers(peer: Peer): void {
  for (const get of peer.pending.values()) clearTimeout(get.timer);
  peer.pending.clear();
}

function first<T>(set: Set<T>): T | undefined {
  for (const v of set) return v;
  return undefined;
}
