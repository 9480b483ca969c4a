/**
 * What a client knows about one key it holds futures to. Shared by every Future of that key.
 * Waiters are kept as a single function or an array, so the common case (one gather waiting on
 * many keys) allocates nothing per key beyond this record.
 */
import type { BarnError } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { FutureOwner } from "./future.js";

export type FutureStatus = "pending" | "finished" | "error" | "cancelled";

type Waiter = () => void;

export class KeyRecord {
  /** pending until the scheduler reports the key in memory, erred or cancelled. */
  status: FutureStatus = "pending";
  /** The error when status is error or cancelled. */
  error: BarnError | undefined = undefined;
  /** Futures alive for this key in this client; at 0 the client releases the key. */
  refs = 0;
  /**
   * Futures released by hand and not yet garbage-collected. The client's FinalizationRegistry
   * holds the record (not the future), so when such a future is collected its callback finds
   * a count here to consume instead of releasing a second time.
   */
  releasedByHand = 0;
  /** True while this record is the client's record of its key. */
  live = true;
  /** True once the record is in the client's key index (it may be added lazily). */
  indexed = false;
  #waiters: Waiter | Waiter[] | undefined = undefined;

  /**
   * @param key the key
   * @param owner the client the record belongs to (futures of other clients are refused)
   */
  constructor(
    readonly key: Key,
    readonly owner: FutureOwner,
  ) {}

  get done(): boolean {
    return this.status !== "pending";
  }

  /** Call `w` once, when the key is no longer pending (or now, if it already is not). */
  onDone(w: Waiter): void {
    if (this.status !== "pending") {
      w();
      return;
    }
    this.addWaiter(w);
  }

  /** Call `w` at the next status report for this key, whatever the status is now. */
  addWaiter(w: Waiter): void {
    const cur = this.#waiters;
    if (cur === undefined) {
      this.owner.waiting(1);
      this.#waiters = w;
    } else if (typeof cur === "function") this.#waiters = [cur, w];
    else cur.push(w);
  }

  settle(status: FutureStatus, error?: BarnError): void {
    this.status = status;
    this.error = error;
    const w = this.#waiters;
    if (w === undefined) return;
    this.#waiters = undefined;
    this.owner.waiting(-1);
    if (typeof w === "function") w();
    else for (const f of w) f();
  }
}
