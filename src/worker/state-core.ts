/**
 * The worker state machine's data and the helpers that touch it without changing any task's
 * state. The engine behind the `WorkerState` facade: transition functions, event handlers and
 * validate() are free functions over this object. Pure: no I/O, no timers; the clock is injected.
 */
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "../protocol/ids.js";
import type { WorkerConfig, WorkerInstruction } from "./protocol.js";
import { TaskHeap } from "./state-heap.js";
import { TransitionLog } from "./state-log.js";
import { NO_PEERS, NSTATES, type WorkerTask } from "./worker-task.js";

export class WorkerCore {
  /** Every task not released, by key. A key maps to one WorkerTask object for its whole life. */
  readonly tasks = new Map<Key, WorkerTask>();
  /** Ready tasks that need no resources (lazy deletion: skip entries not in state ready). */
  readonly ready = new TaskHeap();
  /** Ready tasks that hold resources while they run (lazy deletion, as `ready`). */
  readonly constrained = new TaskHeap();
  /**
   * Per peer, the fetch tasks that list it as a holder, in priority order. Every fetch task is in
   * the heap of each of its holders; entries whose task left fetch or dropped the peer are stale.
   */
  readonly dataNeeded = new Map<WorkerId, TaskHeap>();
  /** The one gather in flight per peer: the tasks it fetches (all in state flight from that peer). */
  readonly inFlight = new Map<WorkerId, WorkerTask[]>();
  /** Peers whose gather failed; skipped until a compute-task lists them again. */
  readonly badPeers = new Set<WorkerId>();
  /** Live tasks per state code (the RELEASED slot is minus the number of live tasks). */
  readonly stateCounts = new Int32Array(NSTATES);
  /** Declared resources minus those held by executing and cancelled tasks; never negative. */
  readonly freeResources: Record<string, number>;
  /** Tasks holding a thread: executing plus cancelled (still running). At most nthreads. */
  executing = 0;
  /** Memory above the pause fraction: no task starts and no input is fetched while set. */
  paused = false;
  /** Instructions of the handle() call in progress. */
  out: WorkerInstruction[] = [];
  /** Stimulus id of the event being handled; recorded with every transition. */
  stim = "";
  /** Clock reading at the start of the handle() call in progress. */
  now = 0;
  /** Next task creation number (priority tie-breaker). */
  seq = 0;
  readonly log: TransitionLog;

  constructor(
    readonly id: WorkerId,
    readonly config: WorkerConfig,
    readonly clock: () => number,
  ) {
    this.freeResources = { ...config.resources };
    this.log = new TransitionLog(config.transitionLogLength);
  }
}

/** Whether `r` fits in what is free now. */
export function fits(w: WorkerCore, r: Resources): boolean {
  const free = w.freeResources;
  for (const name in r) if ((free[name] ?? 0) < r[name]!) return false;
  return true;
}

/** Take a thread (and the task's resources) for `ts`. */
export function holdThread(w: WorkerCore, ts: WorkerTask): void {
  w.executing++;
  const r = ts.resources;
  if (r === undefined) return;
  const free = w.freeResources;
  for (const name in r) free[name] = (free[name] ?? 0) - r[name]!;
}

/** Give back the thread (and resources) `ts` held while its function ran. */
export function releaseThread(w: WorkerCore, ts: WorkerTask): void {
  w.executing--;
  const r = ts.resources;
  if (r === undefined) return;
  const free = w.freeResources;
  for (const name in r) free[name] = (free[name] ?? 0) + r[name]!;
}

/** Queue a task that just became ready. */
export function pushReady(w: WorkerCore, ts: WorkerTask): void {
  if (ts.resources === undefined) w.ready.push(ts);
  else w.constrained.push(ts);
}

/** Queue a task that just became fetch on the heap of each of its holders. */
export function pushFetch(w: WorkerCore, ts: WorkerTask): void {
  for (const peer of ts.holders) pushFetchTo(w, peer, ts);
}

/** Queue fetch task `ts` on `peer`'s heap. */
export function pushFetchTo(w: WorkerCore, peer: WorkerId, ts: WorkerTask): void {
  let heap = w.dataNeeded.get(peer);
  if (heap === undefined) {
    heap = new TaskHeap();
    w.dataNeeded.set(peer, heap);
  }
  heap.push(ts);
}

/** `resources` if it names anything, else undefined. */
export function nonEmpty(resources: Resources | undefined): Resources | undefined {
  if (resources === undefined) return undefined;
  for (const _ in resources) return resources;
  return undefined;
}

/** Remember that `peer` did not deliver `ts` (reported with send-missing-data later). */
export function addFailed(ts: WorkerTask, peer: WorkerId): void {
  if (!ts.failed.includes(peer)) ts.failed = append(ts.failed, peer, NO_PEERS);
}

/** Add `x` to a copy-on-write array shared with NO_TASKS / NO_PEERS. */
export function append<T>(arr: T[], x: T, empty: readonly T[]): T[] {
  if (arr === empty) return [x];
  arr.push(x);
  return arr;
}
