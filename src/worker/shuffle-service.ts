/**
 * A worker's P2P shuffle service (docs/memory.md): transfer tasks write their pieces through it
 * (shuffle-files.ts), output tasks read piece j of every manifest through it (from this
 * worker's disk, or from the holder over the peer link: `shuffle-get` / `shuffle-data`), and
 * it serves other workers' reads, one at a time, from disk. Tasks reach it through
 * shuffle-context.ts; the shell routes peer messages, departures and releases to it.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "../protocol/ids.js";
import {
  isShuffleManifest,
  type PieceRead,
  readsByWorker,
  type ShuffleManifest,
} from "../protocol/shuffle.js";
import type { MessagePortLike, PeerMessage } from "../protocol/worker-messages.js";
import type { ShuffleAccess } from "./shuffle-context.js";
import { decodePiece, type ShuffleFiles } from "./shuffle-files.js";

/** Longest wait for a holder's answer, ms (a piece is at most one output partition's share). */
const READ_TIMEOUT_MS = 120_000;
/**
 * After a holder is gone, ms before the read fails: the scheduler, which drops the holder's
 * manifests when it removes the worker, cancels or reruns the task meanwhile (see
 * SHUFFLE_INPUT_LOST), so the failure never reaches it first.
 */
export const LOST_GRACE_MS = 3_000;

interface PendingRead {
  readonly peer: WorkerId;
  readonly resolve: (chunks: Uint8Array[]) => void;
  readonly reject: (err: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class ShuffleService implements ShuffleAccess {
  readonly worker: WorkerId;
  readonly #files: ShuffleFiles;
  readonly #portOf: (peer: WorkerId) => MessagePortLike | undefined;
  readonly #pending = new Map<number, PendingRead>();
  /** This worker's manifests by task key, so a release deletes the file. */
  readonly #mine = new Map<Key, string>();
  #nextId = 1;
  /** Outside a worker nothing releases manifests: a file goes once each piece was read. */
  readonly #deleteWhenRead: boolean;
  readonly #reads = new Map<string, number>();
  /** Reads served to peers, one after another (each holds its bytes until sent). */
  #serving: Promise<void> = Promise.resolve();

  constructor(
    worker: WorkerId,
    files: ShuffleFiles,
    portOf: (peer: WorkerId) => MessagePortLike | undefined,
    deleteWhenRead = false,
  ) {
    this.worker = worker;
    this.#deleteWhenRead = deleteWhenRead;
    this.#files = files;
    this.#portOf = portOf;
  }

  write(shuffle: string, part: number, pieces: readonly unknown[]): Promise<ShuffleManifest> {
    return this.#files.write(shuffle, part, pieces);
  }

  /** Piece `j` of every manifest, decoded, in manifest order. */
  async read(manifests: readonly ShuffleManifest[], j: number): Promise<unknown[]> {
    const out = new Array<unknown>(manifests.length);
    const groups = [...readsByWorker(manifests, j)];
    await Promise.all(
      groups.map(async ([holder, list]) => {
        const reads = list.map((l) => l.read);
        const chunks =
          holder === this.worker ? await this.#files.read(reads) : await this.#fetch(holder, reads);
        for (let i = 0; i < list.length; i++) {
          out[list[i]!.index] = decodePiece(chunks[i]!);
          chunks[i] = new Uint8Array(0); // the bytes go as soon as their piece is decoded
        }
      }),
    );
    if (this.#deleteWhenRead) for (const m of manifests) this.#countRead(m);
    return out;
  }

  #countRead(m: ShuffleManifest): void {
    const n = (this.#reads.get(m.file) ?? 0) + 1;
    if (n < m.offsets.length - 1) {
      this.#reads.set(m.file, n);
      return;
    }
    this.#reads.delete(m.file);
    void this.#files.remove(m.file);
  }

  /** A task's result: if it is a manifest of this worker, remember its file for the release. */
  track(key: Key, value: unknown): void {
    if (isShuffleManifest(value) && value.worker === this.worker) this.#mine.set(key, value.file);
  }

  /** The key is released here: its file (if it named one of ours) is deleted. */
  release(key: Key): void {
    const file = this.#mine.get(key);
    if (file === undefined) return;
    this.#mine.delete(key);
    void this.#files.remove(file);
  }

  /** A shuffle message from `peer` over `port`. */
  onPeerMessage(port: MessagePortLike, m: PeerMessage): void {
    if (m.t === "shuffle-get") this.#serve(port, m.id, m.reads);
    else if (m.t === "shuffle-data") this.#answered(m);
  }

  /** The peer left: its reads fail (after the grace period: see LOST_GRACE_MS). */
  peerGone(peer: WorkerId): void {
    for (const [id, p] of this.#pending) {
      if (p.peer !== peer) continue;
      this.#pending.delete(id);
      clearTimeout(p.timer);
      const err = lost(peer, "it left the cluster");
      setTimeout(() => p.reject(err), LOST_GRACE_MS).unref();
    }
  }

  #fetch(peer: WorkerId, reads: readonly PieceRead[]): Promise<Uint8Array[]> {
    const port = this.#portOf(peer);
    if (port === undefined) {
      const err = lost(peer, "no link to it (it left the cluster)");
      return new Promise((_, reject) => setTimeout(() => reject(err), LOST_GRACE_MS).unref());
    }
    const id = this.#nextId++;
    return new Promise<Uint8Array[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(lost(peer, `no answer in ${READ_TIMEOUT_MS / 1000} s`));
      }, READ_TIMEOUT_MS);
      timer.unref();
      this.#pending.set(id, { peer, resolve, reject, timer });
      port.postMessage({ t: "shuffle-get", id, reads } satisfies PeerMessage);
    });
  }

  #answered(m: Extract<PeerMessage, { t: "shuffle-data" }>): void {
    const p = this.#pending.get(m.id);
    if (p === undefined) return;
    this.#pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.error === undefined) p.resolve([...m.chunks]);
    else {
      // A link that failed with the holder, or a file gone with its restart: as peerGone.
      const err = lost(p.peer, m.error);
      setTimeout(() => p.reject(err), LOST_GRACE_MS).unref();
    }
  }

  #serve(port: MessagePortLike, id: number, reads: readonly PieceRead[]): void {
    // One reply after another; a failure of one is reported and never stalls the next.
    this.#serving = this.#serving
      .then(() => this.#reply(port, id, reads))
      .catch((err: unknown) =>
        process.emitWarning(
          `a P2P shuffle reply to request ${id} failed: ${(err as Error).message}`,
          "BarnWarning",
        ),
      );
  }

  async #reply(port: MessagePortLike, id: number, reads: readonly PieceRead[]): Promise<void> {
    let reply: PeerMessage;
    let transfer: ArrayBuffer[] = [];
    try {
      const chunks = await this.#files.read(reads);
      reply = { t: "shuffle-data", id, chunks };
      transfer = chunks.map((c) => c.buffer as ArrayBuffer);
    } catch (err) {
      reply = { t: "shuffle-data", id, chunks: [], error: (err as Error).message };
    }
    try {
      port.postMessage(reply, transfer);
    } catch (err) {
      // Bytes that cannot be moved (DataCloneError): the reader gets why instead of waiting.
      if (!(err instanceof Error && err.name === "DataCloneError")) throw err;
      port.postMessage({ t: "shuffle-data", id, chunks: [], error: err.message });
    }
  }
}

function lost(peer: WorkerId, why: string): BarnError {
  return new BarnError(
    ErrorCodes.SHUFFLE_INPUT_LOST,
    `a P2P shuffle could not read its pieces from worker ${peer}: ${why}; they are recomputed`,
  );
}
