/** A worker as the scheduler sees it. */
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "./protocol.js";
import { NO_WORKERS, type TaskState, withOne, withoutOne } from "./task-state.js";

export class WorkerState {
  readonly id: WorkerId;
  /** Restrictions may name a worker by id or by name. */
  readonly name: string;
  readonly nthreads: number;
  /** Declared totals; placement only checks that a task's needs fit in them. */
  readonly resources: Resources;
  /** Tasks assigned here; `ts.slot` is the index (swap-remove keeps it O(1)). */
  readonly processing: TaskState[] = [];
  /**
   * Results held here, in two parts: `held` lists the tasks whose first (primary) copy is here,
   * `ts.slot` being the index (swap-remove: adding and dropping the usual single copy is O(1)
   * and allocation-free); `replicas` the tasks that have another copy somewhere first.
   * Invariant: ts.whoHas includes this worker exactly when one of the two has ts.
   */
  readonly held: TaskState[] = [];
  readonly replicas = new Set<TaskState>();
  /**
   * Tasks in `processing` assigned speculatively and still waiting here for an input (their
   * `waitingOn > 0`); bounded by config speculativeDepth when they are assigned (speculate.ts).
   */
  speculative = 0;
  /** Sum of `nbytes` of the results held here. */
  nbytes = 0;
  /**
   * Memory above the worker's pause fraction (worker-paused): it gets no queued root task, and
   * no placement while a running worker can take the task.
   */
  paused = false;
  /** Set when the worker is removed: no instruction is sent to it any more. */
  removed = false;
  /**
   * Being retired gracefully (retire.ts): no new task is placed here; its unique results are
   * copied elsewhere before it is removed. Tasks already processing here finish here.
   */
  retiring = false;
  /**
   * Keys freed while processing here, with the time they were freed (seconds), until the
   * worker confirms they stopped (task-stopped, or a late report of the attempt). One older
   * than config cancelGracePeriod gets the worker restarted (stuck.ts).
   */
  readonly stopping = new Map<Key, number>();
  /** Keys to free here, sent as one free-keys at the end of the event (or before a compute). */
  pendingFree: Key[] = [];
  /** Scratch for decide-worker: bytes of the task's deps held here, valid when mark === epoch. */
  acc = 0;
  mark = 0;
  /** `[id]`, shared by every report of a key held here only (saves an array per report). */
  readonly ids: readonly WorkerId[];
  /** `[this]`: the who-has list of every task held here only (see withOne). Never mutated. */
  readonly only: WorkerState[];

  constructor(id: WorkerId, name: string, nthreads: number, resources: Resources) {
    this.id = id;
    this.name = name;
    this.nthreads = nthreads;
    this.resources = resources;
    this.ids = Object.freeze([id]);
    this.only = [this];
  }
}

/** Can `ws` run `ts`: restrictions (id or name) and resource totals. */
export function canRun(ws: WorkerState, ts: TaskState): boolean {
  if (ws.retiring) return false;
  const p = ts.placement;
  if (p === null) return true;
  const r = p.restrictions;
  if (r !== null && !r.includes(ws.id) && !r.includes(ws.name)) return false;
  const need = p.resources;
  if (need !== null) {
    for (const k in need) if ((ws.resources[k] ?? 0) < (need[k] ?? 0)) return false;
  }
  return true;
}

/** Is a occupied less than b (processing per thread), ties broken by id. */
export function lessOccupied(a: WorkerState, b: WorkerState): boolean {
  const x = a.processing.length * b.nthreads;
  const y = b.processing.length * a.nthreads;
  if (x !== y) return x < y;
  return a.id < b.id;
}

/** Results held on `ws`, primary copies and replicas. */
export function heldCount(ws: WorkerState): number {
  return ws.held.length + ws.replicas.size;
}

/** Does `ws` hold the primary copy of `ts` (a task in memory)? */
export function isPrimary(ws: WorkerState, ts: TaskState): boolean {
  return ts.slot >= 0 && ws.held[ts.slot] === ts;
}

/** `ws` now holds a copy of `ts`: the primary one if it is the first. */
export function addHolder(ts: TaskState, ws: WorkerState): void {
  if (ts.whoHas.length === 0) {
    ts.slot = ws.held.length;
    ws.held.push(ts);
  } else {
    ws.replicas.add(ts);
  }
  ts.whoHas = withOne(ts.whoHas, ws);
  ws.nbytes += ts.nbytes;
}

/** `ws` no longer holds `ts` (it must hold it). A replica elsewhere becomes the primary. */
export function removeHolder(ts: TaskState, ws: WorkerState): void {
  ts.whoHas = withoutOne(ts.whoHas, ws, NO_WORKERS);
  ws.nbytes -= ts.nbytes;
  if (!isPrimary(ws, ts)) {
    ws.replicas.delete(ts);
    return;
  }
  const list = ws.held;
  const last = list.pop()!;
  if (last !== ts) {
    list[ts.slot] = last;
    last.slot = ts.slot;
  }
  ts.slot = -1;
  const next = ts.whoHas[0];
  if (next !== undefined) {
    next.replicas.delete(ts);
    ts.slot = next.held.length;
    next.held.push(ts);
  }
}
