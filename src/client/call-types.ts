/** The types of a Client's calls: task arguments, map iterables and the options of its calls. */
import type { WorkerId } from "../protocol/ids.js";
import type { Future } from "./future.js";

/** Arguments of a task: each may be given as a value or as a Future of that value. */
export type TaskArgs<A extends readonly unknown[]> = { [K in keyof A]: A[K] | Future<A[K]> };

/** Iterables of arguments for `map`, one per parameter. */
export type MapIterables<A extends readonly unknown[]> = {
  [K in keyof A]: Iterable<A[K] | Future<A[K]>>;
};

export interface GatherOptions {
  /** Release the gathered futures once their values are here (or the gather failed). */
  readonly release?: boolean | undefined;
}

export interface ScatterOptions {
  /** Place the data on these workers (round robin), not on any. */
  readonly workers?: readonly WorkerId[] | undefined;
  /** Place every value on every worker. */
  readonly broadcast?: boolean | undefined;
}

/** The calls of a Client made with per-task options (see Client.with). */
export interface TaskSubmitter {
  submit<A extends readonly unknown[], R>(
    fn: (...args: A) => R,
    ...args: TaskArgs<A>
  ): Future<Awaited<R>>;
  map<A extends readonly unknown[], R>(
    fn: (...args: A) => R,
    ...iterables: MapIterables<A>
  ): Future<Awaited<R>>[];
}
