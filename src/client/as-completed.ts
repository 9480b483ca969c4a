/**
 * Waiting on many futures: `asCompleted` yields their values (or `[future, value]` pairs) in the
 * order they finish, `wait` resolves when all (or the first) are done, with an optional timeout.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import { type Future, recordOf } from "./future.js";

/**
 * Yields each future's value as soon as it is done, in completion order, and throws the error
 * of one that failed. With `withResults`, yields `[future, value]` pairs, so the caller holds
 * the Future too (Dask's `as_completed(with_results=True)`).
 *
 * Why values and not bare Futures: a Future is a thenable, and TypeScript types the variable of
 * `for await (const x of it)` as the awaited element, so an iterator of bare Futures would be
 * typed `T` while holding a Future. A pair is not a thenable, so its type and its value agree.
 * (A hand-written iterator, not an async generator: `yield` in an async generator would await
 * the Future, and a pair's Future must stay a Future.)
 */
export function asCompleted<T>(futures: Iterable<Future<T>>): AsyncIterableIterator<T>;
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  options: { withResults: true },
): AsyncIterableIterator<[Future<T>, T]>;
export function asCompleted<T>(
  futures: Iterable<Future<T>>,
  options: { withResults?: boolean } = {},
): AsyncIterableIterator<T | [Future<T>, T]> {
  const list = [...futures];
  const ready: Future<T>[] = [];
  let wake: (() => void) | undefined;
  for (const f of list) {
    recordOf(f).onDone(() => {
      ready.push(f);
      wake?.();
    });
  }
  let yielded = 0;
  const next = async (): Promise<IteratorResult<T | [Future<T>, T]>> => {
    if (yielded >= list.length) return { value: undefined, done: true };
    while (ready.length === 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    const f = ready.shift()!;
    yielded++;
    const value = (await f.result()) as T;
    return { value: options.withResults ? [f, value] : value, done: false };
  };
  const it: AsyncIterableIterator<T | [Future<T>, T]> = {
    next,
    [Symbol.asyncIterator]: () => it,
  };
  return it;
}

export interface WaitResult<T> {
  readonly done: Future<T>[];
  readonly notDone: Future<T>[];
}

/**
 * Resolves when every future is done ("ALL_COMPLETED", the default), when any is
 * ("FIRST_COMPLETED"), or when one fails ("FIRST_EXCEPTION"). With `timeout` (seconds), rejects
 * with a BarnError TIMEOUT if that takes longer.
 */
export function wait<T>(
  futures: Iterable<Future<T>>,
  options: {
    timeout?: number;
    returnWhen?: "ALL_COMPLETED" | "FIRST_COMPLETED" | "FIRST_EXCEPTION";
  } = {},
): Promise<WaitResult<T>> {
  const list = [...futures];
  const when = options.returnWhen ?? "ALL_COMPLETED";
  const split = (): WaitResult<T> => ({
    done: list.filter((f) => f.done()),
    notDone: list.filter((f) => !f.done()),
  });
  return new Promise((resolve, reject) => {
    let left = list.filter((f) => !f.done()).length;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve(split());
    };
    const anyDone = list.length - left > 0;
    const anyFailed = list.some((f) => f.status === "error");
    if (
      left === 0 ||
      (when === "FIRST_COMPLETED" && anyDone) ||
      (when === "FIRST_EXCEPTION" && anyFailed)
    ) {
      finish();
      return;
    }
    for (const f of list) {
      if (f.done()) continue;
      recordOf(f).onDone(() => {
        left--;
        if (
          left === 0 ||
          when === "FIRST_COMPLETED" ||
          (when === "FIRST_EXCEPTION" && f.status === "error")
        ) {
          finish();
        }
      });
    }
    if (options.timeout !== undefined) {
      timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        const { notDone } = split();
        reject(
          new BarnError(
            ErrorCodes.TIMEOUT,
            `wait timed out after ${options.timeout} s with ${notDone.length} of ${list.length} futures not done; raise timeout or check the cluster's progress`,
          ),
        );
      }, options.timeout * 1000);
    }
  });
}
