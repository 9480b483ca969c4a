/**
 * Bringing bytes into a worker within its memory limit: spilled results read back from disk
 * (for a task's inputs, or for one reply to a peer or a client) and inputs fetched from peers.
 * Each read first gets room from the memory monitor (MemoryMonitor.room: it spills and collects
 * while it waits) and holds it until its bytes are counted in the store or dropped, so two
 * reads that each measured room for themselves do not both go ahead.
 */
import type { Key } from "../graph/spec.js";
import type { MemoryMonitor } from "./memory-monitor.js";
import type { ResultStore } from "./store.js";

/**
 * Longest a reply that reads spilled results waits for room under the memory limit, ms: past
 * it the reply goes anyway (a peer waiting for ever is worse than a worker briefly over).
 */
const SERVE_WAIT_MS = 10_000;
/**
 * Longest a task's inputs (on disk, or at a peer) wait for room, ms: past it they are read
 * anyway (a task that cannot fit is better run over the limit than never).
 */
const LOAD_WAIT_MS = 2_000;
/**
 * Fetches smaller than this go at once, without measuring the worker: the many small fetches
 * of a shuffle or a tree reduction are not what takes a worker over, and a measurement each
 * would cost them. (Bytes in flight are bounded by transferConcurrency x transferBatchBytes.)
 */
const ROOM_CHECK_BYTES = 2 ** 20;

export type Release = () => void;

export function noRelease(): void {}

export class ReadBack {
  readonly #store: ResultStore;
  readonly #monitor: MemoryMonitor | undefined;
  readonly #stopped: () => boolean;
  /** Replies that read spilled results, one after another (see serve). */
  #serving: Promise<void> = Promise.resolve();

  constructor(store: ResultStore, monitor: MemoryMonitor | undefined, stopped: () => boolean) {
    this.#store = store;
    this.#monitor = monitor;
    this.#stopped = stopped;
  }

  /**
   * Run `then` with the values of `keys` to send: results in memory as they are, spilled ones
   * read from disk for this reply only (store.readSpilled: serving a peer or a client does not
   * grow this worker's memory past the reply itself). A result that cannot be read back is
   * left out of `read` (the reply reports it missing and the scheduler recomputes it), and
   * said in a warning.
   */
  serve(keys: readonly Key[], then: (read: ReadonlyMap<Key, unknown>) => void): void {
    const bytes = this.#store.spilledBytesOf(keys);
    if (bytes === 0) {
      then(new Map());
      return;
    }
    // One such reply at a time, each once the worker has room for what it reads (or after
    // SERVE_WAIT_MS): a holder serving several peers at once, or while full, would otherwise
    // hold every read-back value on top of its limit.
    this.#serving = this.#serving
      .then(async () => {
        const release = await this.#room(bytes, SERVE_WAIT_MS);
        try {
          then(await this.#readSpilled(keys));
        } finally {
          release();
        }
        this.#monitor?.check();
      })
      .catch((err: unknown) => {
        // Never leave the chain rejected: every later reply would wait on it.
        process.emitWarning(String((err as Error)?.message ?? err), "BarnWarning");
      });
  }

  /**
   * A task's inputs, pinned in memory (until the caller's `store.unpin(keys)`), those on disk
   * read back once there is room for them. Undefined when none is on disk (no promise on the
   * common path). Read back on top of a result the last task left in memory, a worker held
   * two such inputs at once, and on Node 24 one went past its nanny's restart line.
   */
  loadInputs(keys: readonly Key[]): Promise<void> | undefined {
    const bytes = this.#store.spilledBytesOf(keys);
    this.#store.pin(keys);
    if (bytes === 0) return undefined;
    const room = this.#room(bytes, LOAD_WAIT_MS);
    let release = noRelease;
    const load = (r: Release) => {
      release = r;
      return this.#store.load(keys);
    };
    const loading = typeof room === "function" ? load(room) : room.then(load);
    // Released either way: once loaded, the inputs are in the store's count.
    return Promise.resolve(loading).finally(() => release());
  }

  /** Room for a fetch of `nbytes` from a peer, to release once its values are stored. */
  forFetch(nbytes: number): Release | Promise<Release> {
    return nbytes < ROOM_CHECK_BYTES ? noRelease : this.#room(nbytes, LOAD_WAIT_MS);
  }

  #room(bytes: number, waitMs: number): Release | Promise<Release> {
    return this.#monitor?.room(bytes, waitMs, this.#stopped) ?? noRelease;
  }

  /** The spilled results among `keys`, read back for one reply (not kept in memory). */
  async #readSpilled(keys: readonly Key[]): Promise<Map<Key, unknown>> {
    const read = new Map<Key, unknown>();
    for (const k of keys) {
      const r = this.#store.readSpilled(k);
      if (r === undefined) continue;
      try {
        const got = await r;
        if (got !== undefined) read.set(k, got.value);
      } catch (err) {
        if (this.#store.has(k)) process.emitWarning(String((err as Error).message), "BarnWarning");
      }
    }
    return read;
  }
}
