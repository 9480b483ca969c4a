/**
 * The seam between a Client and whatever runs its tasks: inline in this thread (sync), a
 * scheduler in this process over threads or processes (deploy/local-backend.ts), and a remote
 * scheduler. A backend takes task submissions and reference changes, reports key status through
 * the callback given to `open`, and fetches values. It lives below client/ and deploy/ because
 * both implement it: the scheduler-side host of a client session is a deploy concern.
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ShippedFn } from "../shipping/ship.js";
import type { ClientId, Resources, TaskSubmission, WorkerId } from "./ids.js";
import type { WorkerMemory } from "./memory.js";

/** Tell `client` that `key` is in memory on `holders`. */
export interface KeyInMemory {
  readonly type: "key-in-memory";
  readonly client: ClientId;
  readonly key: Key;
  readonly holders: readonly WorkerId[];
  readonly nbytes: number;
  readonly stimulusId: string;
}
/** Tell `client` that `key` failed (its own error, a dependency's, or KilledWorker). */
export interface KeyErred {
  readonly type: "key-erred";
  readonly client: ClientId;
  readonly key: Key;
  readonly error: ErrorData;
  readonly stimulusId: string;
}
/** Tell `client` that `key` was cancelled or that it is no longer known. */
export interface KeyCancelled {
  readonly type: "key-cancelled";
  readonly client: ClientId;
  readonly key: Key;
  readonly stimulusId: string;
}

/** What a scheduler tells a client about its keys. */
export type ClientReport = KeyInMemory | KeyErred | KeyCancelled;

/** Per-task options, as in Dask: `client.with({ priority: 10, retries: 2 }).submit(...)`. */
export interface TaskOptions {
  /** The task's key. Default: the function's name and a unique suffix. */
  readonly key?: Key | undefined;
  /** Higher runs first. Default 0. */
  readonly priority?: number | undefined;
  /** Times to re-run the task after it throws. Default 0. */
  readonly retries?: number | undefined;
  /** Resources the task holds while it runs, e.g. { GPU: 1 }. */
  readonly resources?: Resources | undefined;
  /** Run only on these workers (ids or names). */
  readonly workers?: readonly string[] | undefined;
  /** Key by a hash of the function and arguments, so equal calls share one result. */
  readonly pure?: boolean | undefined;
}

/** Many keys in memory at once (the sync scheduler's map): one report instead of one per key. */
export interface KeysInMemory {
  readonly type: "keys-in-memory";
  readonly client: ClientId;
  readonly keys: readonly Key[];
}

/** The link to a remote scheduler dropped: every pending future fails with `error`. */
export interface ConnectionLost {
  readonly type: "connection-lost";
  readonly error: ErrorData;
}

/** What a backend tells a client about its keys. */
export type BackendReport = ClientReport | KeysInMemory | ConnectionLost;

export interface WorkerInfo {
  readonly id: WorkerId;
  readonly name: string;
  readonly nthreads: number;
}

export interface FetchResult {
  /** The value of `keys[i]` at `values[i]` (undefined where missing). */
  readonly values: unknown[];
  /**
   * Indexes into `keys` of values no holder had (lost with a worker): wait for the next report
   * and fetch them again.
   */
  readonly missing: readonly number[];
}

/** `keys[i]` is the call `fn(columns[0][i], columns[1][i], ...)`. */
export interface CallBatch {
  readonly fn: ShippedFn;
  readonly local: Function;
  readonly columns: readonly (readonly unknown[])[];
  readonly keys: readonly Key[];
  readonly options: TaskOptions;
  /** Function definitions not sent to the backend before. */
  readonly fresh: readonly ShippedFn[];
}

export interface Backend {
  readonly kind: "sync" | "local" | "processes" | "remote";
  open(client: ClientId, onReports: (reports: BackendReport[]) => void): void;
  /** Resolves once the backend knows its workers (a remote scheduler answers `open`). */
  ready?(): Promise<void>;
  /**
   * Submit tasks. `fns` are definitions of functions first used by these tasks; `local` maps a
   * function id to the function itself (the sync backend calls it directly).
   */
  submit(
    client: ClientId,
    tasks: readonly TaskSubmission[],
    wanted: readonly Key[],
    fns: readonly ShippedFn[],
    local: ReadonlyMap<string, Function>,
  ): void;
  /**
   * Many calls of one function on plain arguments (no futures inside them): map's fast path.
   * Equivalent to `submit` with one task per key, minus the per-task objects.
   */
  submitCalls(client: ClientId, batch: CallBatch): void;
  /** The client holds (more) futures to these already-known keys. */
  desire(client: ClientId, keys: readonly Key[]): void;
  release(client: ClientId, keys: readonly Key[]): void;
  cancel(client: ClientId, keys: readonly Key[]): void;
  fetch(keys: readonly Key[]): Promise<FetchResult>;
  /** Whether some worker holds `key` right now. */
  inMemory(key: Key): boolean;
  scatter(
    client: ClientId,
    keys: readonly Key[],
    values: readonly unknown[],
    workers?: readonly WorkerId[],
  ): Promise<void>;
  workers(): WorkerInfo[];
  /** A JSON dump of the scheduler's state (for debugging), and `story(key)`. */
  dump(): Promise<unknown>;
  story(key: Key): Promise<unknown[]>;
  /**
   * Retire workers gracefully: their unique results are copied to other workers first, so
   * nothing is lost or recomputed. Resolves with the ids retired. Absent on the sync backend.
   */
  retireWorkers?(ids: readonly WorkerId[]): Promise<WorkerId[]>;
  /** Outstanding work and each worker's occupancy (adaptive scaling reads it). */
  load?(): Promise<LoadInfo>;
  /** Every worker's memory: managed, unmanaged, spilled, paused, limit (protocol/memory.ts). */
  memoryReport(): Promise<WorkerMemory[]>;
  close(client: ClientId): Promise<void>;
}

/** What adaptive scaling observes of a scheduler (scheduler/load.ts computes it). */
export interface LoadInfo {
  /** Tasks waiting, queued, in no-worker or processing. */
  readonly tasks: number;
  /** Their expected run time in seconds of one thread (each at its group's mean duration). */
  readonly seconds: number;
  readonly workers: readonly {
    readonly id: WorkerId;
    readonly name: string;
    readonly nthreads: number;
    readonly processing: number;
    readonly keys: number;
    readonly nbytes: number;
    readonly retiring: boolean;
  }[];
}
