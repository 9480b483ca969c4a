/**
 * A client's keys: one KeyRecord per key it holds futures to, reference counting of those
 * futures (by hand with release(), or by garbage collection through a FinalizationRegistry),
 * and the batched releases that tell the scheduler when nobody holds a key any more.
 *
 * Two choices keep a map of 100,000 tiny tasks cheap: records of fresh keys are indexed by key
 * only when something looks a key up, and futures are registered with the FinalizationRegistry
 * on the next turn of the event loop, so a map that is gathered and released in one go pays
 * for neither.
 */
import type { Key } from "../graph/spec.js";
import { Future, type FutureOwner, recordOf, releasedError } from "./future.js";
import { KeyRecord } from "./key-record.js";

/** Most futures held strongly while waiting for registration, when the event loop does not turn. */
const MAX_UNREGISTERED = 1 << 18;

export class KeyRegistry {
  readonly #owner: FutureOwner;
  /** Called (in a microtask, batched) with keys no future holds any more. */
  readonly #onRelease: (keys: Key[]) => void;
  /** Every live record by key, except those still in #unindexed. */
  readonly #records = new Map<Key, KeyRecord>();
  /** Records of fresh keys not yet in #records (indexed on the first lookup). */
  #unindexed: KeyRecord[] = [];
  /**
   * Releases the key of a Future that was garbage-collected without release(). It holds the
   * record: a collected future that had been released by hand consumes a `releasedByHand`
   * count instead (cheaper than unregister tokens on the hot path). Which of a key's futures a
   * callback stands for does not matter; every future is counted down exactly once.
   */
  readonly #gc = new FinalizationRegistry<KeyRecord>((r) => {
    if (r.releasedByHand > 0) r.releasedByHand--;
    else this.#unref(r);
  });
  /** Futures made since the last #registerPending (held strongly until then). */
  #unregistered: Future[] = [];
  #releases: Key[] = [];
  #releaseScheduled = false;
  /** Records created so far; tells the release flush whether a key may have been re-acquired. */
  #made = 0;
  #madeAtRelease = 0;
  #closed = false;

  constructor(owner: FutureOwner, onRelease: (keys: Key[]) => void) {
    this.#owner = owner;
    this.#onRelease = onRelease;
  }

  /** The live record of `key`, if a future holds it. */
  lookup(key: Key): KeyRecord | undefined {
    if (this.#unindexed.length > 0) this.#index();
    return this.#records.get(key);
  }

  /** Every live record. */
  records(): IterableIterator<KeyRecord> {
    this.#index();
    return this.#records.values();
  }

  /** A new future of `key`, sharing the key's record if there is one. */
  future(key: Key): Future {
    const r = this.lookup(key);
    if (r === undefined) return this.freshFuture(key);
    const f = new Future(r);
    this.#track(f);
    return f;
  }

  /** The first future of a key known to have no record (a map's fresh keys): no lookup. */
  freshFuture(key: Key): Future {
    const r = new KeyRecord(key, this.#owner);
    this.#unindexed.push(r);
    this.#made++;
    const f = new Future(r);
    this.#track(f);
    return f;
  }

  /** A future of `record` was released by hand. */
  releaseByHand(record: KeyRecord): void {
    record.releasedByHand++;
    this.#unref(record);
  }

  /** Stop sending releases (the client is closing); forget every record. */
  close(): void {
    this.#closed = true;
    this.#index();
    this.#records.clear();
  }

  #index(): void {
    const list = this.#unindexed;
    this.#unindexed = [];
    for (const r of list) {
      if (!r.live) continue;
      r.indexed = true;
      this.#records.set(r.key, r);
    }
  }

  /** Queues `f` for FinalizationRegistry registration on the next turn of the event loop. */
  #track(f: Future): void {
    const n = this.#unregistered.push(f);
    if (n === 1) setImmediate(this.#registerPending);
    else if (n >= MAX_UNREGISTERED) this.#registerPending();
  }

  readonly #registerPending = (): void => {
    const list = this.#unregistered;
    this.#unregistered = [];
    for (const f of list) if (!f.released) this.#gc.register(f, recordOf(f));
  };

  #unref(record: KeyRecord): void {
    if (--record.refs > 0) return;
    if (!record.live) return; // a late callback for a record already gone
    // At zero the record leaves the index at once, so the index never holds a dead record.
    record.live = false;
    if (record.indexed) this.#records.delete(record.key);
    // No report reaches a record that left the index: whoever still waits on it (an await
    // that began before release()) gets a settled answer instead of waiting forever.
    if (!record.done) record.settle("cancelled", releasedError(record.key));
    if (this.#closed) return;
    this.#releases.push(record.key);
    if (this.#releaseScheduled) return;
    this.#releaseScheduled = true;
    this.#madeAtRelease = this.#made;
    queueMicrotask(this.#flushReleases);
  }

  readonly #flushReleases = (): void => {
    this.#releaseScheduled = false;
    // A key re-acquired since its release was queued (a new future of the same key) must not
    // be released: the scheduler would drop it under the new future.
    const reacquired = this.#made !== this.#madeAtRelease;
    const keys = reacquired
      ? this.#releases.filter((k) => this.lookup(k) === undefined)
      : this.#releases;
    this.#releases = [];
    if (!this.#closed && keys.length > 0) this.#onRelease(keys);
  };
}
