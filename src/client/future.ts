/**
 * A Future is a handle to a task's result on the cluster. It is awaitable (a thenable: no
 * promise is made until someone awaits it), has a key and a status, and keeps the result alive
 * on the cluster while it is referenced. Dropping every Future of a key (release(), or garbage
 * collection) lets the scheduler forget the result.
 *
 * Because it is a thenable, a promise can never hand one out (resolving a promise with a
 * Future awaits it). So every API that gives Futures gives them synchronously (submit, map,
 * submitGraph, scatter, persist) or inside an array or iterator result (asCompleted, wait).
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { FutureStatus, KeyRecord } from "./key-record.js";

/** What a Future needs from the client that made it. */
export interface FutureOwner {
  resultOf(record: KeyRecord): Promise<unknown>;
  cancelKeys(keys: readonly Key[]): Promise<void>;
  releaseRecord(record: KeyRecord): void;
  /** One more (1) or one fewer (-1) record that someone waits on: the process stays alive. */
  waiting(delta: number): void;
}

const kRecord = Symbol("barn.record");

export class Future<T = unknown> implements PromiseLike<T> {
  /** @internal The key's shared state; it also knows the client (its owner). */
  readonly [kRecord]: KeyRecord;
  #released = false;

  /** @internal Futures are made by a Client. Two fields only: clients make them by the 100,000. */
  constructor(record: KeyRecord) {
    this[kRecord] = record;
    record.refs++;
  }

  /** The key of the task whose result this future stands for. */
  get key(): Key {
    return this[kRecord].key;
  }

  /** pending, finished, error or cancelled. */
  get status(): FutureStatus {
    return this[kRecord].status;
  }

  /** True once the task finished, failed or was cancelled. */
  done(): boolean {
    return this[kRecord].done;
  }

  /** The result, fetched from the worker that holds it. Rejects with the task's error. */
  async result(): Promise<T> {
    if (this.#released) throw releasedError(this.key);
    const value = await this[kRecord].owner.resultOf(this[kRecord]);
    // Referenced after the await, so this future stays reachable while its result is awaited:
    // `await client.submit(f, x)` holds no other reference, and a collected future would
    // release the very key being awaited.
    keepAlive(this);
    return value as T;
  }

  /** The error the task failed with, or undefined once it finished well. Waits until done. */
  async exception(): Promise<Error | undefined> {
    if (this.#released) throw releasedError(this.key);
    const r = this[kRecord];
    await new Promise<void>((resolve) => r.onDone(resolve));
    keepAlive(this);
    return r.error;
  }

  // biome-ignore lint/suspicious/noThenProperty: Futures are awaitable by design
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result().then(onfulfilled, onrejected);
  }

  /** Like a promise's catch: the result, or what `onrejected` makes of the task's error. */
  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.result().catch(onrejected);
  }

  /** Like a promise's finally: runs `onfinally` once the result or the error is in. */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.result().finally(onfinally);
  }

  /** Cancel the task (and everything that depends on it) if it has not finished. */
  cancel(): Promise<void> {
    return this[kRecord].owner.cancelKeys([this.key]);
  }

  /** True once release() was called on this handle. */
  get released(): boolean {
    return this.#released;
  }

  /** Drop this handle. When no Future of the key remains, the cluster may forget the result. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this[kRecord].owner.releaseRecord(this[kRecord]);
  }

  toString(): string {
    return `<Future ${this.status} key=${this.key}>`;
  }
}

/** @internal */
export function recordOf(f: Future): KeyRecord {
  return f[kRecord];
}

export function isFuture(v: unknown): v is Future {
  return v instanceof Future;
}

/** The error of a Future used after release(). */
export function releasedError(key: Key): BarnError {
  return new BarnError(
    ErrorCodes.FUTURE_RELEASED,
    `future ${key} was released, so the cluster may have forgotten its result; keep a future (or another future of the same key) until you have its value`,
    { key },
  );
}

/**
 * Does nothing; a reference to `value` after an await keeps it in the async function's context,
 * so it cannot be garbage-collected (and its key released) before that point.
 */
export function keepAlive(_value: unknown): void {}
