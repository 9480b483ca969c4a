/**
 * One task as the worker state machine sees it, plus the small-integer state codes that index
 * the transition table and the per-state counters. The class is monomorphic on purpose: every
 * field is set in the same order at construction, and shared frozen empty arrays stand for "no
 * links" so an independent task allocates nothing but itself.
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "../protocol/ids.js";
import type { WComputeTask, WorkerTaskState } from "./protocol.js";

export const FETCH = 0;
export const FLIGHT = 1;
export const MISSING = 2;
export const WAITING = 3;
export const READY = 4;
export const EXECUTING = 5;
export const CANCELLED = 6;
export const MEMORY = 7;
export const ERROR = 8;
export const RELEASED = 9;
export const NSTATES = 10;

/** Code -> protocol name. Index with a state code. */
export const STATE_NAMES: readonly WorkerTaskState[] = [
  "fetch",
  "flight",
  "missing",
  "waiting",
  "ready",
  "executing",
  "cancelled",
  "memory",
  "error",
  "released",
];

/** Shared "no tasks" value. Frozen: code must replace it, never push into it. */
export const NO_TASKS = Object.freeze([]) as unknown as WorkerTask[];
/** Shared "no peers" value. Frozen, like NO_TASKS. */
export const NO_PEERS = Object.freeze([]) as unknown as WorkerId[];

export class WorkerTask {
  /** State code (FETCH..RELEASED). Written only by transition(); RELEASED means forgotten. */
  s = RELEASED;
  /**
   * The compute-task that asked for this key here, kept until it is in memory or erred (then
   * dropped so the run payload can be collected); undefined for inputs fetched or scattered.
   */
  spec: WComputeTask | undefined = undefined;
  /** Resources held while executing; undefined when none (then it is never "constrained"). */
  resources: Resources | undefined = undefined;
  /**
   * The scheduler wants this key here (compute-task or add-data, not yet freed). A task that is
   * neither requested nor an input of a live local task is forgotten (see maybeForget).
   */
  requested = false;
  /** Inputs, linked while this task is waiting/ready/executing/cancelled; NO_TASKS otherwise. */
  dependencies: WorkerTask[] = NO_TASKS;
  /** Local tasks waiting for this key to reach memory; cleared when it does. May hold stale entries. */
  waiters: WorkerTask[] = NO_TASKS;
  /** How many live local tasks list this key in `dependencies` (a reference count). */
  nDependents = 0;
  /** How many of `dependencies` are not in memory yet (meaningful while waiting). */
  waitingFor = 0;
  /** Peers still believed to hold this key (fetch/flight/missing); never includes a bad peer in fetch. */
  holders: readonly WorkerId[] = NO_PEERS;
  /** Peers that did not deliver this key; reported with send-missing-data when none remain. */
  failed: WorkerId[] = NO_PEERS;
  /** The peer this key is in flight from; "" unless state is flight. */
  peer: WorkerId = "";
  /** Size in bytes once in memory (0 while unknown). */
  nbytes = 0;
  /** Seconds the function ran (0 for fetched or scattered data). */
  duration = 0;
  /** What the function threw (state error). */
  error: ErrorData | undefined = undefined;
  /** Cancelled by free-keys: say send-task-stopped when its function returns (state-compute.ts). */
  ackStop = false;
  /**
   * The runId of the latest compute-task for this key handled here (-1: none), echoed in the
   * report of its result. Set as each compute-task is handled, so a result handled before it
   * is reported with the attempt it belongs to.
   */
  runId = -1;

  constructor(
    readonly key: Key,
    /** Lower runs (or is fetched) first, compared lexicographically; fetched inputs inherit it. */
    public priority: readonly number[],
    /** Creation order: breaks priority ties first-come first-served. */
    readonly seq: number,
  ) {}

  get state(): WorkerTaskState {
    return STATE_NAMES[this.s]!;
  }
}

/** Whether `a` runs before `b`: lower priority tuple first, then older first. */
export function before(a: WorkerTask, b: WorkerTask): boolean {
  const pa = a.priority;
  const pb = b.priority;
  if (pa !== pb) {
    const n = Math.min(pa.length, pb.length);
    for (let i = 0; i < n; i++) {
      const x = pa[i]!;
      const y = pb[i]!;
      if (x !== y) return x < y;
    }
    if (pa.length !== pb.length) return pa.length < pb.length;
  }
  return a.seq < b.seq;
}
