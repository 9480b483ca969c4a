/**
 * Where tasks run. Tasks with dependencies go to the worker holding the most bytes of their
 * inputs (ties: least occupied, then id). Root tasks wait in the queue and are handed to the
 * least occupied worker that is not saturated, highest priority first, so a map of 100,000
 * tasks never floods the workers and the scheduler can still reorder, steal or cancel.
 *
 * One exception to locality (`fanOutByLoad`, on by default): the tasks of a fan-out (one input
 * read by more than FAN_OUT tasks, such as a small table broadcast to every partition of a
 * join) go where they would start soonest, counting the time to move the input (its bytes over
 * `bandwidth`) against the work queued on each worker, as dask's worker objective does.
 * Otherwise the holder of a broadcast table would run every task that reads it while the other
 * workers idle, until work stealing moved some.
 */

import type { SchedulerCore } from "./core.js";
import type { SchedulerConfig } from "./protocol.js";
import type { TaskState } from "./task-state.js";
import { canRun, lessOccupied, type WorkerState } from "./worker-state.js";

/** An input read by more tasks than this is a fan-out (see the top of this file). */
export const FAN_OUT = 2;

/**
 * How many tasks `ws` may hold of a group whose tasks take `duration` seconds:
 * max(ceil(nthreads * workerSaturation), floor(nthreads * targetQueueSeconds / duration)),
 * capped at nthreads * maxTasksPerThread.
 */
export function saturation(c: SchedulerConfig, ws: WorkerState, duration: number): number {
  const n = ws.nthreads;
  const bySaturation = Math.ceil(n * c.workerSaturation);
  const byDuration = duration > 0 ? Math.floor((n * c.targetQueueSeconds) / duration) : Infinity;
  return Math.min(n * c.maxTasksPerThread, Math.max(bySaturation, byDuration));
}

export function estimate(s: SchedulerCore, ts: TaskState): number {
  return ts.group.estimate(s.config.unknownTaskDuration);
}

/** The worker for a task with deps (or a restricted one), or null when none can run it. */
export function decideWorker(s: SchedulerCore, ts: TaskState): WorkerState | null {
  const deps = ts.deps;
  if (deps.length === 1 && ts.placement === null) {
    // The chain case: one input; its holders are the only candidates (the common path).
    const dep = deps[0]!;
    let best: WorkerState | null = null;
    for (const ws of dep.whoHas) {
      if (!ws.retiring && !ws.paused && (best === null || lessOccupied(ws, best))) best = ws;
    }
    if (best !== null && dep.fanOut && s.config.fanOutByLoad) return soonestStart(s, ts, dep, best);
    if (best !== null) return best;
  } else if (deps.length > 0) {
    const best = byLocality(s, ts);
    if (best !== null) return best;
  }
  return leastOccupied(s, ts, false) ?? leastOccupied(s, ts, true);
}

/**
 * The least occupied worker that can run `ts`, among running ones (`orPaused` false) or all.
 * Every worker paused: the task still gets one (it starts when that worker resumes) rather
 * than waiting in no-worker, which would warn that no worker can ever run it.
 */
function leastOccupied(s: SchedulerCore, ts: TaskState, orPaused: boolean): WorkerState | null {
  let best: WorkerState | null = null;
  for (const ws of s.workerList) {
    if ((orPaused || !ws.paused) && canRun(ws, ts) && (best === null || lessOccupied(ws, best))) {
      best = ws;
    }
  }
  return best;
}

/**
 * The worker where `ts` (one input, `dep`, held by `holder` among others) would start soonest:
 * the expected work queued there per thread, plus moving `dep` there unless it holds a copy.
 * Ties keep the holder.
 */
function soonestStart(
  s: SchedulerCore,
  ts: TaskState,
  dep: TaskState,
  holder: WorkerState,
): WorkerState {
  const duration = estimate(s, ts);
  const move = dep.nbytes / s.config.bandwidth;
  const start = (ws: WorkerState) =>
    (ws.processing.length * duration) / ws.nthreads + (dep.whoHas.includes(ws) ? 0 : move);
  let best = holder;
  let bestStart = start(holder);
  for (const ws of s.workerList) {
    if (ws === best || ws.paused || !canRun(ws, ts)) continue;
    const t = start(ws);
    if (t < bestStart) {
      best = ws;
      bestStart = t;
    }
  }
  return best;
}

/** Among the holders of the deps that can run `ts`: most bytes, then least occupied, then id. */
function byLocality(s: SchedulerCore, ts: TaskState): WorkerState | null {
  const epoch = ++s.epoch;
  for (const dep of ts.deps) {
    for (const ws of dep.whoHas) {
      if (ws.mark !== epoch) {
        ws.mark = epoch;
        ws.acc = 0;
      }
      ws.acc += dep.nbytes;
    }
  }
  let best: WorkerState | null = null;
  for (const dep of ts.deps) {
    for (const ws of dep.whoHas) {
      if (ws === best || ws.paused || !canRun(ws, ts)) continue;
      if (best === null || ws.acc > best.acc || (ws.acc === best.acc && lessOccupied(ws, best))) {
        best = ws;
      }
    }
  }
  return best;
}

/**
 * Hand queued root tasks to workers with open slots, highest priority first, each to the least
 * occupied worker not saturated for the task's group. Ends when the queue is empty or every
 * worker is saturated for the task at its head (the invariant validate() checks). O(workers)
 * per call plus O(log workers) per task handed out.
 */
export function fillQueue(s: SchedulerCore): void {
  const q = s.queue;
  const heap = new WorkerHeap();
  while (q.size > 0) {
    const est = estimate(s, q.peek()!);
    heap.clear();
    for (const ws of s.workerList) {
      if (!ws.retiring && !ws.paused && ws.processing.length < saturation(s.config, ws, est))
        heap.push(ws);
    }
    if (heap.size === 0) return;
    for (;;) {
      const ts = q.peek();
      if (ts === undefined) return;
      if (estimate(s, ts) !== est) break; // another group at the head: recount the slots
      const ws = heap.pop();
      if (ws === undefined) return;
      s.transition(ts, "processing", ws);
      if (ws.processing.length < saturation(s.config, ws, est)) heap.push(ws);
    }
  }
}

/** A min-heap of workers by occupancy (then id). */
class WorkerHeap {
  readonly #h: WorkerState[] = [];

  get size(): number {
    return this.#h.length;
  }

  clear(): void {
    this.#h.length = 0;
  }

  push(ws: WorkerState): void {
    const h = this.#h;
    let i = h.length;
    h.push(ws);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!lessOccupied(ws, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = ws;
  }

  pop(): WorkerState | undefined {
    const h = this.#h;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && lessOccupied(h[r]!, h[l]!) ? r : l;
      if (!lessOccupied(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}
