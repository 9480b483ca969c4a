/** A worker as the scheduler sees it. */
import type { Key } from "../graph/spec.js";
import type { Resources, WorkerId } from "./protocol.js";
import type { TaskState } from "./task-state.js";

export class WorkerState {
  readonly id: WorkerId;
  /** Restrictions may name a worker by id or by name. */
  readonly name: string;
  readonly nthreads: number;
  /** Declared totals; placement only checks that a task's needs fit in them. */
  readonly resources: Resources;
  /** Tasks assigned here; `ts.slot` is the index (swap-remove keeps it O(1)). */
  readonly processing: TaskState[] = [];
  /** Results held here. Invariant: `ts.whoHas` includes this worker exactly when this has ts. */
  readonly hasWhat = new Set<TaskState>();
  /** Sum of `nbytes` of `hasWhat`. */
  nbytes = 0;
  /** Set when the worker is removed: no instruction is sent to it any more. */
  removed = false;
  /** Keys to free here, sent as one free-keys at the end of the event (or before a compute). */
  pendingFree: Key[] = [];
  /** Scratch for decide-worker: bytes of the task's deps held here, valid when mark === epoch. */
  acc = 0;
  mark = 0;
  /** `[id]`, shared by every report of a key held here only (saves an array per report). */
  readonly ids: readonly WorkerId[];
  /** `[this]`: the who-has list of every task held here only (see withOne). */
  readonly only: WorkerState[];

  constructor(id: WorkerId, name: string, nthreads: number, resources: Resources) {
    this.id = id;
    this.name = name;
    this.nthreads = nthreads;
    this.resources = resources;
    this.ids = Object.freeze([id]);
    this.only = Object.freeze([this as WorkerState]) as WorkerState[];
  }
}

/** Can `ws` run `ts`: restrictions (id or name) and resource totals. */
export function canRun(ws: WorkerState, ts: TaskState): boolean {
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
