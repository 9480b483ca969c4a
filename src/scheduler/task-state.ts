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

export class TaskState {
  /** The task's key; unique among live tasks (the key of `SchedulerCore.tasks`). */
  readonly key: Key;
  /** Current state. Changed only by the transition functions (transitions.ts). */
  state: SchedulerTaskState = "released";
  /** Opaque run spec from the client, handed back in compute-task. null for scattered data. */
  readonly run: unknown;
  /** Tasks whose values this task needs. Fixed after update-graph; never holds a forgotten task. */
  deps: TaskState[] = [];
  /**
   * Tasks that need this one. May hold forgotten tasks: they are dropped lazily (see
   * deadDependents), so forgetting a dependent of a task with 100,000 dependents is O(1).
   */
  dependents: TaskState[] = [];
  /** How many entries of `dependents` are forgotten. Compacted when they are half the array. */
  deadDependents = 0;
  /** Dependents in an active state (waiting, queued, no-worker, processing): they still need us. */
  waiters = 0;
  /** While waiting: how many deps are not in memory. 0 in every other state. */
  waitingOn = 0;
  /** Clients holding a future to this key (each at most once: set semantics). */
  wanters: ClientState[] = [];
  /** Workers holding the result. Non-empty exactly when state is memory. */
  whoHas: WorkerState[] = [];
  /** The worker running it. Non-null exactly when state is processing. */
  processingOn: WorkerState | null = null;
  /** Index in `processingOn.processing` (swap-remove). -1 when not processing. */
  procIndex = -1;
  /** Index in the root-task queue heap. -1 when not queued. */
  queueIndex = -1;
  /** Size of the result in bytes, as reported by the worker that computed it. */
  nbytes = 0;
  /** Priority, lower first: [prioUser, generation, order], then seq to break ties FIFO. */
  readonly prioUser: number;
  readonly generation: number;
  readonly order: number;
  readonly seq: number;
  /** Re-runs left after the task throws. */
  retries: number;
  /** Workers that died while running it (Dask's "suspicious"). */
  deaths = 0;
  readonly resources: Resources | null;
  /** Worker ids or names it may run on; null when unrestricted. */
  readonly restrictions: readonly string[] | null;
  /** No deps, resources or restrictions: goes through the root-task queue. */
  readonly rootish: boolean;
  /** Data placed by a client (scatter): it has no run spec and cannot be recomputed. */
  readonly scattered: boolean;
  /** Duration statistics shared by the tasks of one group. */
  readonly group: TaskGroup;
  /** The error, when erred. */
  error: ErrorData | null = null;
  /** Scratch mark for traversals (compared with SchedulerCore.epoch); no meaning between calls. */
  mark = 0;

  constructor(
    key: Key,
    run: unknown,
    prioUser: number,
    generation: number,
    order: number,
    seq: number,
    retries: number,
    resources: Resources | null,
    restrictions: readonly string[] | null,
    group: TaskGroup,
    scattered: boolean,
    rootish: boolean,
  ) {
    this.key = key;
    this.run = run;
    this.prioUser = prioUser;
    this.generation = generation;
    this.order = order;
    this.seq = seq;
    this.retries = retries;
    this.resources = resources;
    this.restrictions = restrictions;
    this.group = group;
    this.scattered = scattered;
    this.rootish = rootish;
  }
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

/** Lower runs first. */
export function higherPriority(a: TaskState, b: TaskState): boolean {
  if (a.prioUser !== b.prioUser) return a.prioUser < b.prioUser;
  if (a.generation !== b.generation) return a.generation < b.generation;
  if (a.order !== b.order) return a.order < b.order;
  return a.seq < b.seq;
}

/** Record that one dependent was forgotten; compact when half the array is dead. */
export function dropDeadDependent(ts: TaskState): void {
  ts.deadDependents++;
  if (ts.deadDependents * 2 < ts.dependents.length) return;
  const live: TaskState[] = [];
  for (const d of ts.dependents) if (d.state !== "forgotten") live.push(d);
  ts.dependents = live;
  ts.deadDependents = 0;
}
