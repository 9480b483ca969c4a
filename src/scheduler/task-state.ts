/**
 * One task as the scheduler sees it. A plain class whose fields are all set in the constructor,
 * so every TaskState shares one hidden class (monomorphic property access on the hot path).
 * Collections are arrays, counters are numbers: a graph of 1,000,000 tasks must fit in well
 * under 1 KiB per task.
 */
import type { ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ClientState } from "./client-state.js";
import type { Resources, SchedulerTaskState } from "./protocol.js";
import type { TaskGroup } from "./task-group.js";
import type { WorkerState } from "./worker-state.js";

/** Every state, in code order: the code is the index (used by the log and the counters). */
export const STATES: readonly SchedulerTaskState[] = [
  "released",
  "waiting",
  "queued",
  "no-worker",
  "processing",
  "memory",
  "erred",
  "forgotten",
];

export const NSTATES = 8;

/** The code of a state (its index in STATES). */
export function stateCode(s: SchedulerTaskState): number {
  switch (s) {
    case "released":
      return 0;
    case "waiting":
      return 1;
    case "queued":
      return 2;
    case "no-worker":
      return 3;
    case "processing":
      return 4;
    case "memory":
      return 5;
    case "erred":
      return 6;
    case "forgotten":
      return 7;
    default:
      return s satisfies never;
  }
}

/**
 * Shared empty lists. Most tasks have no deps, no dependents, no wanters or no holders at any
 * moment, and an empty array per field would cost 32 bytes each. They are never mutated: a
 * list is replaced (see `append`, `withOne`) when it gets its first element; validate() checks
 * they stay empty. (Not frozen: frozen arrays have their own elements kind, which makes every
 * loop over a task's lists polymorphic and iteration allocate.)
 */
export const NO_TASKS: TaskState[] = [];
export const NO_WORKERS: WorkerState[] = [];
export const NO_CLIENTS: ClientState[] = [];

/**
 * `list` with `x` added. Short lists are reallocated at their exact size (a push would reserve
 * 17 slots); longer ones grow in place.
 */
export function append<T>(list: T[], x: T): T[] {
  switch (list.length) {
    case 0:
      return [x];
    case 1:
      return [list[0]!, x];
    case 2:
      return [list[0]!, list[1]!, x];
    default:
      list.push(x);
      return list;
  }
}

/** Remove `x` from `list` (order not kept). The list must be owned (3 or more entries). */
export function removeFrom<T>(list: T[], x: T): void {
  const i = list.indexOf(x);
  if (i < 0) return;
  const last = list.pop()!;
  if (i < list.length) list[i] = last;
}

/** A worker or client: it owns the one-element list `[itself]`, never mutated. */
interface Single<T> {
  readonly only: T[];
}

/**
 * Lists of workers (who-has) and clients (wanters) share storage by size: empty is the shared
 * empty list, one element is that element's own `only` list, two or more an owned array. So a
 * task held by one worker and wanted by one client (nearly all of them) allocates no list.
 */
export function withOne<T extends Single<T>>(list: T[], x: T): T[] {
  return list.length === 0 ? x.only : append(list, x);
}

/** `list` without `x` (see withOne). */
export function withoutOne<T extends Single<T>>(list: T[], x: T, empty: T[]): T[] {
  switch (list.length) {
    case 0:
      return list;
    case 1:
      return list[0] === x ? empty : list;
    case 2:
      if (list[0] === x) return list[1]!.only;
      return list[1] === x ? list[0]!.only : list;
    default:
      removeFrom(list, x);
      return list;
  }
}

/** Where a task may run: resources it needs and workers (ids or names) it is restricted to. */
export interface Placement {
  readonly resources: Resources | null;
  readonly restrictions: readonly string[] | null;
}

/** The run spec of scattered data: it has none, and cannot be recomputed. */
export const SCATTERED: unique symbol = Symbol("scattered");

export class TaskState {
  /** The task's key; unique among live tasks (the key of `SchedulerCore.tasks`). */
  readonly key: Key;
  /** Current state. Changed only by the transition functions (transitions.ts). */
  state: SchedulerTaskState = "released";
  /** Opaque run spec from the client, handed back in compute-task. SCATTERED for scattered data. */
  readonly run: unknown;
  /** Tasks whose values this task needs. Fixed after update-graph; never holds a forgotten task. */
  deps: TaskState[] = NO_TASKS;
  /**
   * Tasks that need this one. May hold forgotten tasks: they are dropped lazily (see
   * deadDependents), so forgetting a dependent of a task with 100,000 dependents is O(1).
   */
  dependents: TaskState[] = NO_TASKS;
  /** How many entries of `dependents` are forgotten. Compacted when they are half the array. */
  deadDependents = 0;
  /**
   * Once more than FAN_OUT tasks were submitted that read this one (a broadcast input), and
   * for good: its dependents are then placed by load, not speculated onto its worker
   * (decide-worker.ts). Never unset, so a task left waiting stays unspeculatable.
   */
  fanOut = false;
  /** Dependents in an active state (waiting, queued, no-worker, processing): they still need us. */
  waiters = 0;
  /**
   * While waiting: how many deps are not in memory. While processing: how many deps are still
   * processing on the same worker (speculative assignment, speculate.ts); usually 0. 0 in
   * every other state.
   */
  waitingOn = 0;
  /** Clients holding a future to this key (each at most once: set semantics). */
  wanters: ClientState[] = NO_CLIENTS;
  /** Workers holding the result. Non-empty exactly when state is memory. */
  whoHas: WorkerState[] = NO_WORKERS;
  /** The worker running it. Non-null exactly when state is processing. */
  processingOn: WorkerState | null = null;
  /**
   * Position in a container: the index in `processingOn.processing` while processing, the
   * position in the queue while queued (queue.ts), the index in the primary holder's `held`
   * list while in memory (worker-state.ts); else -1. Swap-remove keeps each removal O(1).
   */
  slot = -1;
  /** The runId of the current (or last) compute-task: reports of older attempts are ignored. */
  runId = 0;
  /** Size of the result in bytes, as reported by the worker that computed it. */
  nbytes = 0;
  /** Priority, lower first: [prioUser, generation, order] (prioUser is -TaskSubmission.priority). */
  readonly prioUser: number;
  readonly generation: number;
  readonly order: number;
  /** Re-runs left after the task throws. */
  retries: number;
  /** Workers that died while running it (Dask's "suspicious"). */
  deaths = 0;
  /** Resources and worker restrictions; null (the common case) when it may run anywhere. */
  readonly placement: Placement | null;
  /** Duration statistics shared by the tasks of one group. */
  readonly group: TaskGroup;
  /** The error, when erred. */
  error: ErrorData | null = null;

  constructor(
    key: Key,
    run: unknown,
    prioUser: number,
    generation: number,
    order: number,
    retries: number,
    placement: Placement | null,
    group: TaskGroup,
  ) {
    this.key = key;
    this.run = run;
    this.prioUser = prioUser;
    this.generation = generation;
    this.order = order;
    this.retries = retries;
    this.placement = placement;
    this.group = group;
  }
}

/**
 * A root task: no deps, no resources, no restrictions. Ready roots go through the queue
 * (root-task queuing); everything else is placed at once.
 */
export function isRootish(ts: TaskState): boolean {
  return ts.deps.length === 0 && ts.placement === null && ts.run !== SCATTERED;
}

/** Someone still needs the value: a client wants it or an active dependent waits for it. */
export function needed(ts: TaskState): boolean {
  return ts.waiters > 0 || ts.wanters.length > 0;
}

/** Dependents that are not forgotten. */
export function liveDependents(ts: TaskState): number {
  return ts.dependents.length - ts.deadDependents;
}

/** Is the dependent in a state where it still needs its deps? */
export function isActive(s: SchedulerTaskState): boolean {
  return s === "waiting" || s === "processing" || s === "queued" || s === "no-worker";
}

/** Does a run before b? (Lower tuple first; equal priorities are not ordered.) */
export function higherPriority(a: TaskState, b: TaskState): boolean {
  if (a.prioUser !== b.prioUser) return a.prioUser < b.prioUser;
  if (a.generation !== b.generation) return a.generation < b.generation;
  return a.order < b.order;
}

/** Record that one dependent was forgotten; compact when half the array is dead. */
export function dropDeadDependent(ts: TaskState): void {
  ts.deadDependents++;
  if (ts.deadDependents * 2 < ts.dependents.length) return;
  const live: TaskState[] = [];
  for (const d of ts.dependents) if (d.state !== "forgotten") live.push(d);
  ts.dependents = live.length === 0 ? NO_TASKS : live;
  ts.deadDependents = 0;
}
