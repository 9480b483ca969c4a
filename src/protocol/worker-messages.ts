/**
 * Messages between the scheduler's thread and a worker thread, and between two worker threads
 * (peer links). Batched: one message carries every compute-task and free-key of one scheduler
 * step for that worker, and one report carries every result of one worker time slice.
 * Values travel by structured clone; large binary buffers are shared (see share.ts).
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ShippedFn } from "../shipping/ship.js";
import type { Resources, WorkerId } from "./ids.js";
import type { MemorySample, WorkerMemoryInit } from "./memory.js";
import type { PackedCompute } from "./ops-codec.js";
import type { ProfileChunk, ProfileSettings } from "./profile.js";
import type { PieceRead } from "./shuffle.js";

/** Data a worker thread is started with (`workerData`). */
export interface WorkerInit {
  readonly id: WorkerId;
  readonly name: string;
  readonly nthreads: number;
  readonly resources: Resources;
  /** Memory accounting and spilling; absent: no limit, nothing spills (the sync executor). */
  readonly memory?: WorkerMemoryInit | undefined;
  /** Profile task execution from the start (`barn worker --profile`); see protocol/profile.ts. */
  readonly profile?: ProfileSettings | undefined;
}

export type ToWorker =
  | {
      readonly t: "ops";
      readonly stim: string;
      /** Function definitions this worker has not been sent before. */
      readonly fns?: readonly ShippedFn[] | undefined;
      /** Bundled module code (by content hash) that `fns` need, sent once per worker. */
      readonly bundles?: readonly { readonly hash: string; readonly code: string }[] | undefined;
      readonly compute?: PackedCompute | undefined;
      /** Keys to free, joined by KEY_SEPARATOR (ops-codec.ts). */
      readonly free?: string | undefined;
      /**
       * Keys to give up if not started (work stealing), joined by KEY_SEPARATOR; handled after
       * `free` and `compute`. Each is answered in a report's `stolen`.
       */
      readonly steal?: string | undefined;
    }
  /** Keys joined by KEY_SEPARATOR (ops-codec.ts). */
  | { readonly t: "get-data"; readonly id: number; readonly keys: string }
  | {
      readonly t: "put-data";
      readonly id: number;
      readonly keys: readonly Key[];
      readonly values: readonly unknown[];
    }
  | { readonly t: "peer"; readonly peer: WorkerId; readonly port: MessagePortLike }
  | { readonly t: "peer-gone"; readonly peer: WorkerId }
  | { readonly t: "dump"; readonly id: number }
  /** Turn the task thread's CPU profiler on (settings) or off (null). */
  | { readonly t: "profile"; readonly settings: ProfileSettings | null }
  | { readonly t: "close" };

export type FromWorker =
  | {
      readonly t: "report";
      /** Flattened quadruples: key, nbytes, duration (seconds), runId of the compute-task. */
      readonly finished: readonly (Key | number)[];
      /** key, error, runId of the compute-task. */
      readonly erred: readonly (readonly [Key, ErrorData, number | undefined])[];
      /** Pairs: key, the holder that did not have it. */
      readonly missing: readonly (readonly [Key, WorkerId])[];
      /** Answers to steal requests: key, its state here when asked, whether it was given up. */
      readonly stolen?: readonly (readonly [Key, string, boolean])[];
      /** Freed keys that no longer run here (send-task-stopped), joined by KEY_SEPARATOR. */
      readonly stopped?: string | undefined;
      /**
       * When each `finished` task stopped, epoch ms on the worker's clock, one per quadruple
       * (the task stream: start = stop - duration).
       */
      readonly stops?: readonly number[] | undefined;
      /** Flattened quintuples of peer fetches: peer, keys, nbytes, start and stop (epoch ms). */
      readonly transfers?: readonly (WorkerId | number)[] | undefined;
      /** The task thread's resources, about twice a second (see report-codec.ts WorkerSample). */
      readonly sample?: WorkerSample | undefined;
      /** Per task group call trees of the last profiling period (profiling on only). */
      readonly profile?: ProfileChunk | undefined;
    }
  | {
      readonly t: "data";
      readonly id: number;
      readonly values: readonly unknown[];
      readonly missing: readonly Key[];
      /** Set when the values could not be sent at all (the request fails with it). */
      readonly error?: ErrorData;
    }
  | { readonly t: "put-ok"; readonly id: number; readonly nbytes: readonly number[] }
  | { readonly t: "dump"; readonly id: number; readonly state: unknown }
  | MemorySample
  | { readonly t: "ready" };

/** A worker's resources at one moment, sent with its reports (diagnostics). */
export interface WorkerSample {
  /** Epoch milliseconds, the worker's clock. */
  readonly time: number;
  /** JavaScript heap used by the task thread, bytes. */
  readonly heap: number;
  /** The worker process's resident set size, bytes; 0 for a worker thread in a shared process. */
  readonly rss: number;
  /** Event-loop utilization of the task thread since the last sample, 0..1. */
  readonly cpu: number;
}

/** Between two worker threads over their MessageChannel. */
export type PeerMessage =
  /** Keys joined by KEY_SEPARATOR (ops-codec.ts). */
  | { readonly t: "get"; readonly id: number; readonly keys: string }
  | {
      readonly t: "data";
      readonly id: number;
      readonly values: readonly unknown[];
      readonly missing: readonly Key[];
    }
  /** P2P shuffle: read these byte ranges of the holder's shuffle files (protocol/shuffle.ts). */
  | { readonly t: "shuffle-get"; readonly id: number; readonly reads: readonly PieceRead[] }
  /** The ranges' bytes in order, or why they cannot be read (a file gone, a disk error). */
  | {
      readonly t: "shuffle-data";
      readonly id: number;
      readonly chunks: readonly Uint8Array[];
      readonly error?: string | undefined;
    };

/** The part of node:worker_threads' MessagePort this module needs (keeps it free of node:*). */
export interface MessagePortLike {
  postMessage(value: unknown, transfer?: readonly unknown[]): void;
}
