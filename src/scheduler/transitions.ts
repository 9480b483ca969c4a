/**
 * The scheduler's transitions: one small named function per legal (from -> to) pair, in a table.
 * A function changes the task, its neighbours' counters and the worker sets, emits instructions
 * and pushes recommendations for the tasks that must move next; it never recurses into another
 * task's transition. The dispatcher (SchedulerCore.transition) looks the pair up, logs it, and
 * throws INTERNAL with the task's story for a pair that is not here.
 *
 * A transition may end in another state than its name when the world says so: waiting ->
 * processing lands in no-worker when no worker can run the task, and the log records where it
 * actually went.
 */
import type { ErrorData } from "../errors.js";
import type { SchedulerCore } from "./core.js";
import { decideWorker } from "./decide-worker.js";
import { enterNoWorker } from "./no-worker.js";
import type { SchedulerTaskState } from "./protocol.js";
import { inputLeftMemory, inputReachedMemory, speculationTarget } from "./speculate.js";
import { stealOutdated } from "./steal.js";
import { lostScatter } from "./task-errors.js";
import {
  dropDeadDependent,
  isRootish,
  NSTATES,
  needed,
  SCATTERED,
  stateCode,
  type TaskState,
} from "./task-state.js";
import { addHolder, canRun, removeHolder, type WorkerState } from "./worker-state.js";

/**
 * `ws`: the holder for -> memory, the chosen worker for queued -> processing, a worker that
 * just joined for no-worker -> processing, the thief for processing -> processing (a steal), the worker a retry stays on for waiting ->
 * processing (see taskErred); else null.
 */
export type TransitionFn = (s: SchedulerCore, ts: TaskState, ws: WorkerState | null) => void;

export type TransitionKey = `${SchedulerTaskState}->${SchedulerTaskState}`;

// ---- entering a worker ----

/**
 * `ts` goes to `ws`. A speculative assignment keeps `waitingOn` (its inputs processing on
 * `ws`). Then its waiting dependents whose missing inputs are now all on `ws` may follow it
 * there (one recommendation each: a chain is assigned in a loop, not by recursion).
 */
function assign(s: SchedulerCore, ts: TaskState, ws: WorkerState): void {
  ts.state = "processing";
  ts.runId = ++s.runs;
  ts.processingOn = ws;
  // Wanted here again: a cancelled run carries on as this attempt, or a new one starts.
  if (ws.stopping.size > 0) ws.stopping.delete(ts.key);
  ts.slot = ws.processing.length;
  ws.processing.push(ts);
  if (ts.waitingOn > 0) ws.speculative++;
  s.emitCompute(ts, ws);
  if (!s.config.speculativeAssignment) return;
  const dependents = ts.dependents;
  for (let i = 0; i < dependents.length; i++) {
    const d = dependents[i]!;
    if (d.state === "waiting" && speculationTarget(s, d) === ws) s.recommend(d, "processing");
  }
}

/**
 * Take `ts` off its worker's processing list. `tell`: the worker must drop its attempt (it is
 * told, if still alive); false when it reported the result itself.
 */
function unassign(s: SchedulerCore, ts: TaskState, tell: boolean): void {
  const ws = ts.processingOn!;
  const list = ws.processing;
  const last = list.pop()!;
  if (last !== ts) {
    list[ts.slot] = last;
    last.slot = ts.slot;
  }
  ts.processingOn = null;
  ts.slot = -1;
  if (s.steals.size > 0) stealOutdated(s, ts); // an answer to a steal request is now stale
  if (ts.waitingOn > 0) {
    ws.speculative--;
    ts.waitingOn = 0;
  }
  if (tell) s.freeKey(ws, ts.key);
  s.markQueueDirty(); // a slot opened on ws: a queued root may take it
}

/**
 * Count the deps that are not in memory and get them computed. A task with nothing to wait for
 * (or whose missing inputs are all processing on one worker: speculative assignment) goes on
 * at once when `direct` (a new task: straight to processing, queued or no-worker, or erred),
 * else through a recommendation (a rescheduled task, so the log shows it waiting).
 */
function startWaiting(s: SchedulerCore, ts: TaskState, direct: boolean): void {
  ts.state = "waiting";
  let missing = 0;
  let erred = false;
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    if (dep.state === "memory") continue;
    missing++;
    if (dep.state === "released") s.recommend(dep, "waiting");
    else if (dep.state === "erred") erred = true;
  }
  ts.waitingOn = missing;
  if (erred) {
    if (direct) waitingErred(s, ts);
    else s.recommend(ts, "erred");
  } else if (missing === 0) {
    if (!direct) s.recommendReady(ts);
    else if (isRootish(ts)) waitingQueued(s, ts);
    else waitingProcessing(s, ts, null);
  } else if (speculationTarget(s, ts) !== null) {
    if (direct) waitingProcessing(s, ts, null);
    else s.recommend(ts, "processing");
  }
}

/** `ts` no longer needs its deps (it left the active states). */
function releaseDeps(s: SchedulerCore, ts: TaskState): void {
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    dep.waiters--;
    s.maybeRelease(dep);
  }
}

/**
 * `ts` is now in memory: waiting dependents have one dep less to wait for (and may now be
 * speculated onto the worker running the rest), speculated ones one less to wait for there.
 */
function enterMemory(s: SchedulerCore, ts: TaskState, ws: WorkerState): void {
  ts.state = "memory";
  addHolder(ts, ws);
  const dependents = ts.dependents;
  for (let i = 0; i < dependents.length; i++) {
    const d = dependents[i]!;
    if (d.state === "waiting") {
      if (--d.waitingOn === 0) s.recommendReady(d);
      else if (speculationTarget(s, d) !== null) s.recommend(d, "processing");
    } else if (d.state === "processing") {
      inputReachedMemory(d);
    }
  }
}

function reportMemory(s: SchedulerCore, ts: TaskState): void {
  const wanters = ts.wanters;
  for (let i = 0; i < wanters.length; i++) s.reportMemory(ts, wanters[i]!);
}

/** Dependents err too: waiting ones, and those speculatively assigned (waiting on a worker). */
function enterErred(s: SchedulerCore, ts: TaskState): void {
  ts.state = "erred";
  for (const c of ts.wanters) s.reportErred(ts, c);
  for (const d of ts.dependents) {
    if (d.state === "waiting" || d.state === "processing") s.recommend(d, "erred");
  }
  if (!needed(ts)) s.recommend(ts, "released");
}

/**
 * `ts` left processing other than by finishing: dependents speculatively assigned to its
 * worker are rescheduled (a recommendation each, skipped if it is back there by then).
 */
function rescheduleSpeculated(s: SchedulerCore, ts: TaskState): void {
  const dependents = ts.dependents;
  for (let i = 0; i < dependents.length; i++) {
    const d = dependents[i]!;
    if (d.state === "processing") s.recommend(d, "waiting");
  }
}

/**
 * The error of `ts`, which errs because a dep did. The error data keeps the key of the task
 * that failed (the root cause, as Dask re-raises the original exception); the key-erred report
 * names the dependent.
 */
function inheritError(s: SchedulerCore, ts: TaskState): ErrorData {
  let blame: ErrorData | null = null;
  for (const dep of ts.deps) if (dep.state === "erred") blame = dep.error;
  if (blame === null) throw s.internal(ts, `${ts.state} -> erred without an erred dependency`);
  return blame;
}

// ---- the table ----

function releasedWaiting(s: SchedulerCore, ts: TaskState): void {
  if (ts.run === SCATTERED) {
    // Scattered data has no run spec: once its copies are gone it cannot come back.
    ts.error = lostScatter(ts.key);
    enterErred(s, ts);
    return;
  }
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) deps[i]!.waiters++;
  startWaiting(s, ts, true);
}

function releasedForgotten(s: SchedulerCore, ts: TaskState): void {
  ts.state = "forgotten";
  s.tasks.delete(ts.key);
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    dropDeadDependent(dep);
    s.maybeForget(dep);
  }
}

/** Scattered data lands on `ws`. */
function releasedMemory(s: SchedulerCore, ts: TaskState, ws: WorkerState | null): void {
  enterMemory(s, ts, ws!);
  reportMemory(s, ts);
}

/**
 * `hint`: a retry kept on its worker (the caller checked it may run there). A task still
 * waiting for inputs goes to the worker running them (speculative assignment); one with every
 * input in memory to the worker decide-worker picks.
 */
function waitingProcessing(s: SchedulerCore, ts: TaskState, hint: WorkerState | null): void {
  let ws = hint;
  if (ws === null && ts.waitingOn > 0) {
    ws = speculationTarget(s, ts);
    if (ws === null) throw s.internal(ts, "speculative assignment without a worker");
  } else if (ws === null) {
    ws = decideWorker(s, ts);
  }
  if (ws === null) waitingNoWorker(s, ts);
  else assign(s, ts, ws);
}

function waitingQueued(s: SchedulerCore, ts: TaskState): void {
  ts.state = "queued";
  s.queue.push(ts);
  s.markQueueDirty();
}

function waitingNoWorker(s: SchedulerCore, ts: TaskState): void {
  enterNoWorker(s, ts);
}

function waitingReleased(s: SchedulerCore, ts: TaskState): void {
  ts.state = "released";
  ts.waitingOn = 0;
  releaseDeps(s, ts);
  s.maybeForget(ts);
}

/** A dep erred: this task errs with the same error (see inheritError). */
function waitingErred(s: SchedulerCore, ts: TaskState): void {
  ts.error = inheritError(s, ts);
  ts.waitingOn = 0;
  releaseDeps(s, ts);
  enterErred(s, ts);
}

function queuedProcessing(s: SchedulerCore, ts: TaskState, ws: WorkerState | null): void {
  s.queue.remove(ts);
  assign(s, ts, ws!);
}

function queuedReleased(s: SchedulerCore, ts: TaskState): void {
  s.queue.remove(ts);
  s.markQueueDirty(); // a new head may be of a group that fits where this one did not
  ts.state = "released";
  s.maybeForget(ts);
}

/** `hint`: a worker that just joined. Eligibility only changes when workers join, so if the
 * task fits the newcomer it is the only worker that can run it; else nothing changed. */
function noWorkerProcessing(s: SchedulerCore, ts: TaskState, hint: WorkerState | null): void {
  const ws = hint === null ? decideWorker(s, ts) : canRun(hint, ts) ? hint : null;
  if (ws === null) return;
  s.noWorker.delete(ts);
  assign(s, ts, ws);
}

function noWorkerWaiting(s: SchedulerCore, ts: TaskState): void {
  s.noWorker.delete(ts);
  startWaiting(s, ts, false);
}

/** It waited noWorkerTimeout for a worker (no-worker.ts set `ts.error`). */
function noWorkerErred(s: SchedulerCore, ts: TaskState): void {
  s.noWorker.delete(ts);
  releaseDeps(s, ts);
  enterErred(s, ts);
}

function noWorkerReleased(s: SchedulerCore, ts: TaskState): void {
  s.noWorker.delete(ts);
  ts.state = "released";
  releaseDeps(s, ts);
  s.maybeForget(ts);
}

/** The worker running it reported the result (`ws`, the same worker: see taskFinished). */
function processingMemory(s: SchedulerCore, ts: TaskState, ws: WorkerState | null): void {
  unassign(s, ts, false);
  enterMemory(s, ts, ws!);
  reportMemory(s, ts);
  releaseDeps(s, ts);
  if (!needed(ts)) s.recommend(ts, "released");
}

/** Run it again elsewhere (or here): its worker died, it threw with retries left, or an input was lost. */
function processingWaiting(s: SchedulerCore, ts: TaskState): void {
  unassign(s, ts, true);
  rescheduleSpeculated(s, ts);
  startWaiting(s, ts, false);
}

/**
 * Nobody wants it any more (cancelled, or every future released). Its worker must confirm it
 * stopped, or is restarted after cancelGracePeriod (stuck.ts). Only here: a task moved for the
 * scheduler's own reasons (retry, lost input, speculation) is not watched, so that a worker busy
 * with a long task is never restarted over and over by the scheduler's own reshuffles.
 */
function processingReleased(s: SchedulerCore, ts: TaskState): void {
  const ws = ts.processingOn!;
  if (!ws.removed) ws.stopping.set(ts.key, s.now);
  unassign(s, ts, true);
  rescheduleSpeculated(s, ts);
  ts.state = "released";
  releaseDeps(s, ts);
  s.maybeForget(ts);
}

/**
 * Work stealing: the victim gave `ts` up (it had not started it), so it is not told again.
 * `ws`: the thief, or null when the thief left (then the best worker now, as for a new task).
 * Dependents speculated onto the victim are never stolen from under (steal.ts), but any left
 * are rescheduled and follow it.
 */
function processingProcessing(s: SchedulerCore, ts: TaskState, ws: WorkerState | null): void {
  unassign(s, ts, false);
  rescheduleSpeculated(s, ts);
  const to = ws !== null && !ws.removed && canRun(ws, ts) ? ws : decideWorker(s, ts);
  if (to === null) waitingNoWorker(s, ts);
  else assign(s, ts, to);
}

/**
 * `ts.error` was set by the caller (the worker's error, or KilledWorker), or is null for a
 * speculated task whose input erred: it inherits that error. Its worker is told to drop it.
 */
function processingErred(s: SchedulerCore, ts: TaskState): void {
  if (ts.error === null) ts.error = inheritError(s, ts);
  unassign(s, ts, true);
  releaseDeps(s, ts);
  enterErred(s, ts);
}

/**
 * Drop every copy. Nobody needs it (the normal case), or its last holder is gone: then waiting
 * dependents wait for it again, dependents already placed are rescheduled (we do not wait for
 * their workers to report missing-data), and it is recomputed from its lineage if still needed.
 */
function memoryReleased(s: SchedulerCore, ts: TaskState): void {
  while (ts.whoHas.length > 0) {
    const ws = ts.whoHas[0]!;
    removeHolder(ts, ws);
    s.freeKey(ws, ts.key);
  }
  ts.state = "released";
  const dependents = ts.dependents;
  for (let i = 0; i < dependents.length; i++) {
    const d = dependents[i]!;
    if (d.state === "waiting") d.waitingOn++;
    else if (d.state === "no-worker") s.recommend(d, "waiting");
    else if (d.state === "processing") {
      inputLeftMemory(d);
      s.recommend(d, "waiting");
    }
  }
  if (needed(ts)) s.recommend(ts, "waiting");
  else s.maybeForget(ts);
}

function erredReleased(s: SchedulerCore, ts: TaskState): void {
  ts.state = "released";
  ts.error = null;
  s.maybeForget(ts);
}

const table: { readonly [K in TransitionKey]?: TransitionFn } = {
  "released->waiting": releasedWaiting,
  "released->forgotten": releasedForgotten,
  "released->memory": releasedMemory,
  "waiting->processing": waitingProcessing,
  "waiting->queued": waitingQueued,
  "waiting->no-worker": waitingNoWorker,
  "waiting->released": waitingReleased,
  "waiting->erred": waitingErred,
  "queued->processing": queuedProcessing,
  "queued->released": queuedReleased,
  "no-worker->processing": noWorkerProcessing,
  "no-worker->waiting": noWorkerWaiting,
  "no-worker->released": noWorkerReleased,
  "no-worker->erred": noWorkerErred,
  "processing->memory": processingMemory,
  "processing->processing": processingProcessing,
  "processing->waiting": processingWaiting,
  "processing->released": processingReleased,
  "processing->erred": processingErred,
  "memory->released": memoryReleased,
  "erred->released": erredReleased,
};

/** The table as a matrix indexed by state codes, so dispatch builds no "from->to" string. */
const matrix: (TransitionFn | undefined)[] = buildMatrix();

function buildMatrix(): (TransitionFn | undefined)[] {
  const m = new Array<TransitionFn | undefined>(NSTATES * NSTATES).fill(undefined);
  for (const [k, fn] of Object.entries(table)) {
    const [from, to] = k.split("->") as [SchedulerTaskState, SchedulerTaskState];
    m[stateCode(from) * NSTATES + stateCode(to)] = fn;
  }
  return m;
}

/** The transition from state code `from` to state code `to` (see stateCode), if legal. */
export function transitionFn(from: number, to: number): TransitionFn | undefined {
  return matrix[from * NSTATES + to];
}

/** The legal pairs (for documentation and tests). */
export const transitionKeys = Object.keys(table) as TransitionKey[];
