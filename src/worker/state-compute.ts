/**
 * Event handlers for the compute side: compute-task, execute-success/failure, free-keys and
 * add-data, plus `ensureComputing`, which starts ready tasks while threads and resources allow.
 * They decide which transition to make; the transitions themselves live in state-transitions.
 */

import type { Key } from "../graph/spec.js";
import type { WorkerId } from "../protocol/ids.js";
import type {
  ExecuteFailure,
  ExecuteSuccess,
  WAddData,
  WComputeTask,
  WFreeKeys,
} from "./protocol.js";
import { addFailed, fits, nonEmpty, pushFetchTo, type WorkerCore } from "./state-core.js";
import type { TaskHeap } from "./state-heap.js";
import { link, maybeForget, reportMissing, transition } from "./state-transitions.js";
import {
  before,
  CANCELLED,
  ERROR,
  EXECUTING,
  FETCH,
  FLIGHT,
  MEMORY,
  MISSING,
  READY,
  RELEASED,
  WAITING,
  WorkerTask,
} from "./worker-task.js";

const NO_PRIORITY: readonly number[] = Object.freeze([]);

export function computeTask(w: WorkerCore, ev: WComputeTask): void {
  if (w.badPeers.size > 0) {
    // A compute-task that names a peer vouches for it again.
    for (const dep of ev.deps) for (const h of dep.holders) w.badPeers.delete(h);
  }
  let ts = w.tasks.get(ev.key);
  if (ts === undefined) {
    ts = new WorkerTask(ev.key, ev.priority, w.seq++);
    w.tasks.set(ev.key, ts);
    ts.requested = true;
    ts.runId = ev.runId ?? -1;
    startCompute(w, ts, ev);
    return;
  }
  ts.requested = true;
  ts.runId = ev.runId ?? -1;
  switch (ts.s) {
    case MEMORY: {
      const { key, nbytes, duration, runId } = ts;
      w.out.push({ type: "send-task-finished", key, nbytes, duration, runId, stimulusId: w.stim });
      return;
    }
    case WAITING:
    case READY:
    case EXECUTING:
      // A repeat: nothing changes but where inputs not yet here may be fetched from.
      for (const dep of ev.deps) {
        const d = w.tasks.get(dep.key);
        if (d !== undefined && d.s !== CANCELLED) updateInput(w, d, dep.holders);
      }
      return;
    case CANCELLED:
      transition(w, ts, EXECUTING);
      return;
    case FLIGHT:
      // Keep fetching; if the fetch fails the task is computed here from this spec.
      ts.spec = ev;
      return;
    default:
      startCompute(w, ts, ev);
  }
}

/** Link the inputs of `ts` (from released, fetch, missing, error or flight) and queue it. */
export function startCompute(w: WorkerCore, ts: WorkerTask, ev: WComputeTask): void {
  ts.spec = ev;
  ts.priority = ev.priority;
  ts.resources = nonEmpty(ev.resources);
  for (const dep of ev.deps) linkInput(w, ts, dep.key, dep.holders, dep.nbytes ?? 0);
  transition(w, ts, ts.waitingFor === 0 ? READY : WAITING);
}

function linkInput(
  w: WorkerCore,
  ts: WorkerTask,
  key: string,
  holders: readonly WorkerId[],
  nbytes: number,
): void {
  let d = w.tasks.get(key);
  // The scheduler's size bounds the fetch batch this input joins (fetch batches stop at
  // transferBatchBytes): without it a batch of large inputs is bounded only by its key count,
  // and its holder reads them all back from disk at once to answer.
  if (d !== undefined && d.nbytes === 0) d.nbytes = nbytes;
  if (d === undefined) {
    d = new WorkerTask(key, ts.priority, w.seq++);
    w.tasks.set(key, d);
    d.nbytes = nbytes;
    d.holders = usable(w, holders);
    if (d.holders.length < holders.length) {
      for (const h of holders) if (w.badPeers.has(h)) addFailed(d, h);
    }
    link(ts, d);
    transition(w, d, d.holders.length > 0 ? FETCH : MISSING);
    return;
  }
  link(ts, d);
  if (d.s === CANCELLED) transition(w, d, EXECUTING);
  else updateInput(w, d, holders);
}

/**
 * The scheduler says `holders` have input `d`: fetch it from them if it is not here. A holder
 * naming this worker means `d` is computed here (speculative assignment): the dependent waits
 * for that computation (or for the compute-task of it, later in the batch) and `d` is never
 * fetched for it; if `d` erred here, it waits for the retry's compute-task or a free-keys.
 */
function updateInput(w: WorkerCore, d: WorkerTask, holders: readonly WorkerId[]): void {
  const s = d.s;
  if (s !== FETCH && s !== FLIGHT && s !== MISSING && s !== ERROR) return;
  for (const h of holders) {
    if (h === w.id || d.holders.includes(h)) continue;
    if (w.badPeers.has(h)) {
      addFailed(d, h);
      continue;
    }
    d.holders = [...d.holders, h];
    if (d.failed.includes(h)) d.failed = d.failed.filter((f) => f !== h);
    if (s === FETCH) pushFetchTo(w, h, d);
  }
  if (s === MISSING) {
    if (d.holders.length > 0) transition(w, d, FETCH);
    else reportMissing(w, d);
  } else if (s === ERROR) {
    if (d.holders.length > 0) transition(w, d, FETCH);
    else if (!holders.includes(w.id)) transition(w, d, MISSING);
  }
}

/**
 * `holders` without this worker and without bad peers. (A compute-task re-admits the peers it
 * names before this runs; bad peers remain only when a spec is reused after a failed fetch.)
 */
function usable(w: WorkerCore, holders: readonly WorkerId[]): readonly WorkerId[] {
  const bad = w.badPeers;
  if (!holders.includes(w.id) && (bad.size === 0 || !holders.some((h) => bad.has(h)))) {
    return holders;
  }
  return holders.filter((h) => h !== w.id && !bad.has(h));
}

export function executeSuccess(w: WorkerCore, ev: ExecuteSuccess): void {
  const ts = w.tasks.get(ev.key);
  if (ts?.s === EXECUTING) {
    ts.nbytes = ev.nbytes;
    ts.duration = ev.duration;
    transition(w, ts, MEMORY);
  } else if (ts === undefined || ts.s === CANCELLED) {
    // Freed while it ran (or never known): the result the shell stored is not wanted.
    w.out.push({ type: "release-data", key: ev.key, stimulusId: w.stim });
    if (ts !== undefined) transition(w, ts, RELEASED);
  }
}

export function executeFailure(w: WorkerCore, ev: ExecuteFailure): void {
  const ts = w.tasks.get(ev.key);
  if (ts?.s === EXECUTING) {
    ts.error = ev.error;
    transition(w, ts, ERROR);
  } else if (ts?.s === CANCELLED) {
    transition(w, ts, RELEASED);
  }
}

/**
 * The scheduler no longer wants these keys here. Each one that was not done (not in memory) is
 * answered with send-task-stopped once it no longer runs: at once, or when the function of a
 * cancelled task returns. Checked after every key of the event, since freeing a later key may
 * release an earlier one (an input of it).
 */
export function freeKeys(w: WorkerCore, ev: WFreeKeys): void {
  let unfinished: Key[] | undefined;
  for (const key of ev.keys) {
    const ts = w.tasks.get(key);
    if (ts?.s === MEMORY) {
      ts.requested = false;
      maybeForget(w, ts);
      continue;
    }
    (unfinished ??= []).push(key);
    if (ts === undefined) continue;
    ts.requested = false;
    maybeForget(w, ts);
  }
  if (unfinished === undefined) return;
  for (const key of unfinished) {
    const ts = w.tasks.get(key);
    if (ts?.s === CANCELLED) ts.ackStop = true;
    else w.out.push({ type: "send-task-stopped", key, stimulusId: w.stim });
  }
}

export function addData(w: WorkerCore, ev: WAddData): void {
  // The shell stored these values before queueing the event, so a release-data emitted earlier
  // in this batch (run after it) would delete them: drop those.
  const out = w.out;
  for (let i = out.length - 1; i >= 0; i--) {
    const ins = out[i]!;
    if (ins.type === "release-data" && ev.keys.some((k) => k.key === ins.key)) out.splice(i, 1);
  }
  for (const { key, nbytes } of ev.keys) {
    let ts = w.tasks.get(key);
    if (ts === undefined) {
      ts = new WorkerTask(key, NO_PRIORITY, w.seq++);
      w.tasks.set(key, ts);
    }
    ts.requested = true;
    ts.nbytes = nbytes;
    // A running task keeps going (its result lands on the same key); a fetch in flight is
    // overtaken: its batch skips the key when it returns.
    if (ts.s === CANCELLED) transition(w, ts, EXECUTING);
    else if (ts.s !== MEMORY && ts.s !== EXECUTING) transition(w, ts, MEMORY);
  }
}

/** Start ready tasks in priority order while threads (and their resources) are free. */
export function ensureComputing(w: WorkerCore): void {
  if (w.paused) return;
  const nthreads = w.config.nthreads;
  while (w.executing < nthreads) {
    const r = liveTop(w.ready);
    const c = liveTop(w.constrained);
    if (c !== undefined && fits(w, c.resources!) && (r === undefined || before(c, r))) {
      w.constrained.pop();
      transition(w, c, EXECUTING);
    } else if (r !== undefined) {
      w.ready.pop();
      transition(w, r, EXECUTING);
    } else {
      return;
    }
  }
}

function liveTop(heap: TaskHeap): WorkerTask | undefined {
  let ts = heap.peek();
  while (ts !== undefined && ts.s !== READY) {
    heap.pop();
    ts = heap.peek();
  }
  return ts;
}
