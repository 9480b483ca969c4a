/**
 * Work stealing (after dask.distributed's stealing.py). A task assigned to a worker stays
 * there until it finishes, so a worker that got a burst of slow tasks, or that holds the one
 * input a whole map needs, runs them all while others idle. On a `balance` event the scheduler
 * moves queued work from saturated workers (victims) to idle ones (thieves):
 *
 * - occupancy of a worker = sum of the expected durations of its processing tasks / nthreads;
 * - a task moves when it would finish sooner on the thief, counting the time to move its
 *   inputs there (bytes not on the thief / bandwidth, plus a round trip), and when that cost is
 *   small next to its expected duration;
 * - never a task the thief may not run (restrictions, resources), one shorter than
 *   MIN_STEAL_DURATION (moving it costs more than it saves), one speculatively assigned and
 *   still waiting for inputs on the victim, or one whose speculated dependents wait for it
 *   there; the victim keeps its `nthreads` most urgent tasks (the ones likely running).
 *
 * The victim decides: it gives up the task only if it has not started it (steal-response).
 * Until then the task stays assigned to the victim and the move is recorded in `steals`; any
 * other way the task leaves the victim (finished, erred, released, cancelled) makes the record
 * stale, so the answer is ignored when it comes; a victim's death drops its records.
 */
import type { SchedulerCore } from "./core.js";
import { estimate } from "./decide-worker.js";
import type { Balance, StealResponse } from "./protocol.js";
import { hasSpeculatedDependents } from "./speculate.js";
import { higherPriority, type TaskState } from "./task-state.js";
import { canRun, type WorkerState } from "./worker-state.js";

/** Tasks expected to run shorter than this (seconds) are never stolen (dask's 5 ms). */
export const MIN_STEAL_DURATION = 0.005;
/** Seconds a steal costs besides moving bytes: the request and answer round trip. */
export const STEAL_LATENCY = 0.001;
/** A task is stolen only if moving it costs at most this fraction of its expected duration. */
export const MAX_STEAL_COST_RATIO = 0.5;

/** A steal requested from `victim` for `thief`, not answered yet. */
export interface InFlightSteal {
  readonly ts: TaskState;
  readonly victim: WorkerState;
  readonly thief: WorkerState;
  /** The attempt the request is about: an answer for another one is ignored. */
  readonly runId: number;
  /** Expected duration, moved from the victim's occupancy to the thief's while in flight. */
  readonly duration: number;
  /**
   * True while the task is still processing on the victim in that attempt. Once it left
   * (finished, erred, released, rescheduled) the record stays, not live, until the answer
   * comes: the key is not asked for again meanwhile, so an answer is never taken for a later
   * request's (the victim answers by key, and may not know the attempt any more).
   */
  live: boolean;
}

/** Some worker has fewer tasks than threads and some more (O(workers); see Balance). */
export function wantsBalance(s: SchedulerCore): boolean {
  if (!s.config.workStealing) return false;
  let idle = false;
  let busy = false;
  for (const ws of s.workerList) {
    const n = ws.processing.length;
    if (n < ws.nthreads && !ws.paused) idle = true;
    else if (n > ws.nthreads) busy = true;
  }
  return idle && busy;
}

/** Seconds to move the inputs of `ts` that `thief` does not hold, plus the round trip. */
export function stealCost(s: SchedulerCore, ts: TaskState, thief: WorkerState): number {
  let bytes = 0;
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    if (!dep.whoHas.includes(thief)) bytes += dep.nbytes;
  }
  return STEAL_LATENCY + bytes / s.config.bandwidth;
}

/** Expected seconds of work per thread on each worker, counting steals in flight as moved. */
function occupancies(s: SchedulerCore): Map<WorkerState, number> {
  const occ = new Map<WorkerState, number>();
  for (const ws of s.workerList) {
    let sum = 0;
    const list = ws.processing;
    for (let i = 0; i < list.length; i++) sum += estimate(s, list[i]!);
    occ.set(ws, sum / ws.nthreads);
  }
  for (const st of s.steals.values()) {
    if (!st.live) continue;
    occ.set(st.victim, occ.get(st.victim)! - st.duration / st.victim.nthreads);
    const t = occ.get(st.thief);
    if (t !== undefined) occ.set(st.thief, t + st.duration / st.thief.nthreads);
  }
  return occ;
}

/** Steals from `ws` in flight. */
function inFlightFrom(s: SchedulerCore, ws: WorkerState): number {
  let n = 0;
  for (const st of s.steals.values()) if (st.live && st.victim === ws) n++;
  return n;
}

/** `ts` left processing on its victim: an answer about it will find nothing to move. */
export function stealOutdated(s: SchedulerCore, ts: TaskState): void {
  const st = s.steals.get(ts.key);
  if (st !== undefined && st.ts === ts) st.live = false;
}

/** `ws` is gone: no answer will come from it. */
export function dropStealsFrom(s: SchedulerCore, ws: WorkerState): void {
  for (const [key, st] of s.steals) if (st.victim === ws) s.steals.delete(key);
}

/** Tasks of `victim` that may be stolen, least urgent first (the victim runs them last). */
function candidates(s: SchedulerCore, victim: WorkerState): TaskState[] {
  const out: TaskState[] = [];
  const list = victim.processing;
  for (let i = 0; i < list.length; i++) {
    const ts = list[i]!;
    if (ts.waitingOn > 0 || s.steals.has(ts.key)) continue;
    if (estimate(s, ts) < MIN_STEAL_DURATION) continue;
    if (hasSpeculatedDependents(ts, victim)) continue;
    out.push(ts);
  }
  out.sort(runsLater);
  return out;
}

/** Sort order: the task the worker runs last first (lowest priority; ties: sent last, as the
 * worker breaks ties first come first served). */
function runsLater(a: TaskState, b: TaskState): number {
  if (higherPriority(a, b)) return 1;
  if (higherPriority(b, a)) return -1;
  return b.runId - a.runId;
}

/**
 * Decide moves: for each saturated worker, most occupied first, its least urgent candidates
 * go to the idle worker (one that started this balance with fewer tasks than threads) where
 * they would finish first, while that is sooner than on the victim.
 */
export function balance(s: SchedulerCore, _ev: Balance): void {
  if (!s.config.workStealing || !wantsBalance(s)) return;
  const occ = occupancies(s);
  const thieves = s.workerList.filter((ws) => !ws.paused && ws.processing.length < ws.nthreads);
  const victims = s.workerList.filter((ws) => ws.processing.length > ws.nthreads);
  victims.sort((a, b) => occ.get(b)! - occ.get(a)!);
  for (const victim of victims) {
    let spare = victim.processing.length - victim.nthreads - inFlightFrom(s, victim);
    if (spare <= 0) continue;
    for (const ts of candidates(s, victim)) {
      if (spare === 0) break;
      const d = estimate(s, ts);
      const left = occ.get(victim)! - d / (2 * victim.nthreads);
      let best: WorkerState | null = null;
      let bestAt = Infinity;
      let bestCost = 0;
      for (const thief of thieves) {
        if (!canRun(thief, ts)) continue;
        const cost = stealCost(s, ts, thief);
        if (cost > MAX_STEAL_COST_RATIO * d) continue;
        const at = occ.get(thief)! + (cost + d) / thief.nthreads;
        if (at < bestAt) {
          best = thief;
          bestAt = at;
          bestCost = cost;
        }
      }
      // Finishing sooner on the thief than the victim would run it (its last tasks end at its
      // occupancy; half the task's own duration is a margin against moving work back and forth).
      if (best === null || bestAt > left) continue;
      requestSteal(s, ts, victim, best, d);
      occ.set(victim, occ.get(victim)! - d / victim.nthreads);
      occ.set(best, occ.get(best)! + (bestCost + d) / best.nthreads);
      spare--;
    }
  }
}

function requestSteal(
  s: SchedulerCore,
  ts: TaskState,
  victim: WorkerState,
  thief: WorkerState,
  duration: number,
): void {
  s.steals.set(ts.key, { ts, victim, thief, runId: ts.runId, duration, live: true });
  s.note(ts, `steal requested: ${victim.id} -> ${thief.id}`);
  s.out.push({ type: "steal-request", worker: victim.id, key: ts.key, stimulusId: s.stimulusId });
}

/**
 * The victim answered. Only an answer about the steal in flight for this very attempt counts:
 * the task is still processing on the victim (any other way out made the record stale). The
 * victim answers by key; it cannot confuse attempts because a key is never asked for again
 * before the answer to the previous request came (the stale record stays till then). Stolen:
 * the task moves to the thief (or, if it left, to the best worker now) with a new runId, so a
 * late result of the victim's attempt would be ignored. Not stolen: nothing moves.
 */
export function stealResponse(s: SchedulerCore, ev: StealResponse): void {
  const st = s.steals.get(ev.key);
  const ts = s.tasks.get(ev.key);
  if (st === undefined || st.victim.id !== ev.worker) return; // not asked of it (or it left)
  s.steals.delete(ev.key);
  if (!st.live || ts !== st.ts) {
    if (ts !== undefined) s.note(ts, `steal answer from ${ev.worker} ignored: the task moved on`);
    return;
  }
  if (!ev.stolen) {
    s.note(ts, `steal refused by ${ev.worker} (${ev.state} there)`);
    return;
  }
  s.note(ts, `stolen from ${ev.worker} (was ${ev.state}) for ${st.thief.id}`);
  s.transition(ts, "processing", st.thief);
}
