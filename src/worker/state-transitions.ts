/**
 * The worker's transitions: small named functions in a table keyed "from->to". `transition()`
 * logs the move, updates the counters, sets the state and then runs the function, which emits
 * instructions and may cause further transitions (logged after this one, so stories read in
 * causal order). Any pair missing from the table is a bug and throws BarnError INTERNAL carrying
 * the task's story. Deciding *which* transition to make is the event handlers' job.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import {
  append,
  holdThread,
  pushFetch,
  pushReady,
  releaseThread,
  type WorkerCore,
} from "./state-core.js";
import {
  CANCELLED,
  ERROR,
  EXECUTING,
  FETCH,
  MEMORY,
  MISSING,
  NO_PEERS,
  NO_TASKS,
  NSTATES,
  READY,
  RELEASED,
  STATE_NAMES,
  WAITING,
  type WorkerTask,
} from "./worker-task.js";

type TransitionFn = (w: WorkerCore, ts: WorkerTask) => void;

function noop(): void {}

/** Entered fetch: queue it on its holders' heaps. */
function toFetch(w: WorkerCore, ts: WorkerTask): void {
  ts.peer = "";
  ts.error = undefined;
  pushFetch(w, ts);
}

/** Every known holder failed: tell the scheduler which ones, once each. */
function toMissing(w: WorkerCore, ts: WorkerTask): void {
  ts.peer = "";
  reportMissing(w, ts);
}

/** Send send-missing-data for each holder that failed `ts` since the last report. */
export function reportMissing(w: WorkerCore, ts: WorkerTask): void {
  const failed = ts.failed;
  ts.failed = NO_PEERS;
  for (const holder of failed) {
    w.out.push({ type: "send-missing-data", key: ts.key, holder, stimulusId: w.stim });
  }
}

/** A local computation starts waiting; its inputs were linked by the caller. */
function toWaiting(_w: WorkerCore, ts: WorkerTask): void {
  ts.peer = "";
  ts.error = undefined;
}

function toReady(w: WorkerCore, ts: WorkerTask): void {
  ts.peer = "";
  ts.error = undefined;
  pushReady(w, ts);
}

function readyExecuting(w: WorkerCore, ts: WorkerTask): void {
  holdThread(w, ts);
  w.out.push({
    type: "execute",
    key: ts.key,
    run: ts.spec?.run,
    deps: ts.dependencies,
    stimulusId: w.stim,
  });
}

function executingMemory(w: WorkerCore, ts: WorkerTask): void {
  releaseThread(w, ts);
  ts.spec = undefined; // let the run payload go: a repeat compute-task is answered from memory
  if (ts.requested) {
    const { key, nbytes, duration, runId } = ts;
    w.out.push({ type: "send-task-finished", key, nbytes, duration, runId, stimulusId: w.stim });
  }
  notifyWaiters(w, ts);
  releaseInputs(w, ts);
}

function executingError(w: WorkerCore, ts: WorkerTask): void {
  releaseThread(w, ts);
  ts.spec = undefined; // a retry comes with its own compute-task
  if (ts.requested && ts.error !== undefined) {
    const { key, error, runId } = ts;
    w.out.push({ type: "send-task-erred", key, error, runId, stimulusId: w.stim });
  }
  releaseInputs(w, ts);
}

/** A fetched key arrived. Reported only when a compute-task for it came meanwhile. */
function flightMemory(w: WorkerCore, ts: WorkerTask): void {
  ts.peer = "";
  if (ts.requested && ts.spec !== undefined) {
    const { key, nbytes, runId } = ts;
    w.out.push({ type: "send-task-finished", key, nbytes, duration: 0, runId, stimulusId: w.stim });
  }
  ts.spec = undefined;
  notifyWaiters(w, ts);
  maybeForget(w, ts);
}

/** Data placed here (add-data) over a task that was not running: nothing to report. */
function otherMemory(w: WorkerCore, ts: WorkerTask): void {
  ts.error = undefined;
  ts.spec = undefined;
  notifyWaiters(w, ts);
  releaseInputs(w, ts);
}

/** A cancelled task's function returned; its result (if any) was already dropped by the caller. */
function cancelledReleased(w: WorkerCore, ts: WorkerTask): void {
  releaseThread(w, ts);
  forget(w, ts);
  if (ts.ackStop) w.out.push({ type: "send-task-stopped", key: ts.key, stimulusId: w.stim });
  ts.ackStop = false;
}

/** Wanted again while its cancelled function still runs: it carries on, and reports as usual. */
function cancelledExecuting(_w: WorkerCore, ts: WorkerTask): void {
  ts.ackStop = false;
}

function memoryReleased(w: WorkerCore, ts: WorkerTask): void {
  w.out.push({ type: "release-data", key: ts.key, stimulusId: w.stim });
  forget(w, ts);
}

function forget(w: WorkerCore, ts: WorkerTask): void {
  ts.peer = "";
  w.tasks.delete(ts.key);
  releaseInputs(w, ts);
}

const transitions: Readonly<Record<string, TransitionFn>> = {
  "released->fetch": toFetch,
  "released->missing": toMissing,
  "released->waiting": toWaiting,
  "released->ready": toReady,
  "released->memory": otherMemory,
  "fetch->flight": noop,
  "fetch->missing": toMissing,
  "fetch->waiting": toWaiting,
  "fetch->ready": toReady,
  "fetch->memory": otherMemory,
  "fetch->released": forget,
  "flight->memory": flightMemory,
  "flight->fetch": toFetch,
  "flight->missing": toMissing,
  "flight->waiting": toWaiting,
  "flight->ready": toReady,
  "flight->released": forget,
  "missing->fetch": toFetch,
  "missing->waiting": toWaiting,
  "missing->ready": toReady,
  "missing->memory": otherMemory,
  "missing->released": forget,
  "waiting->ready": toReady,
  "waiting->memory": otherMemory,
  "waiting->released": forget,
  "ready->executing": readyExecuting,
  "ready->memory": otherMemory,
  "ready->released": forget,
  "executing->memory": executingMemory,
  "executing->error": executingError,
  "executing->cancelled": noop,
  "cancelled->executing": cancelledExecuting,
  "cancelled->released": cancelledReleased,
  "memory->released": memoryReleased,
  "error->fetch": toFetch,
  "error->missing": toMissing,
  "error->waiting": toWaiting,
  "error->ready": toReady,
  "error->memory": otherMemory,
  "error->released": forget,
};

/** `transitions` compiled to a flat array indexed by from * NSTATES + to. */
const TABLE: (TransitionFn | undefined)[] = new Array<TransitionFn | undefined>(NSTATES * NSTATES);
for (let from = 0; from < NSTATES; from++) {
  for (let to = 0; to < NSTATES; to++) {
    TABLE[from * NSTATES + to] = transitions[`${STATE_NAMES[from]}->${STATE_NAMES[to]}`];
  }
}

/** The named transition pairs (for docs and tests). */
export const TRANSITIONS: readonly string[] = Object.keys(transitions);

export function transition(w: WorkerCore, ts: WorkerTask, to: number): void {
  const from = ts.s;
  const fn = TABLE[from * NSTATES + to];
  if (fn === undefined) throw illegal(w, ts, to);
  w.log.record(ts.key, from, to, w.stim, w.now);
  w.stateCounts[from]!--;
  w.stateCounts[to]!++;
  ts.s = to;
  fn(w, ts);
}

function illegal(w: WorkerCore, ts: WorkerTask, to: number): BarnError {
  const story = w.log
    .story(ts.key)
    .map((e) => `${e.from}->${e.to} (${e.stimulusId} @${e.time})`)
    .join("; ");
  const move = `${STATE_NAMES[ts.s]}->${STATE_NAMES[to]}`;
  return new BarnError(
    ErrorCodes.INTERNAL,
    `worker ${w.id}: illegal transition ${move} for task ${ts.key} (stimulus ${w.stim}); story: ${story || "(empty)"}`,
    { key: ts.key },
  );
}

/** Forget `ts` (or cancel it if running) when nobody needs it here anymore. */
export function maybeForget(w: WorkerCore, ts: WorkerTask): void {
  if (ts.requested || ts.nDependents > 0) return;
  switch (ts.s) {
    case FETCH:
    case MISSING:
    case WAITING:
    case READY:
    case MEMORY:
    case ERROR:
      transition(w, ts, RELEASED);
      return;
    case EXECUTING:
      transition(w, ts, CANCELLED);
      return;
    default:
      // flight: released on arrival; cancelled: released when its function returns.
      return;
  }
}

/** Wake the local tasks waiting for `ts`, which just reached memory. */
function notifyWaiters(w: WorkerCore, ts: WorkerTask): void {
  const waiters = ts.waiters;
  if (waiters === NO_TASKS) return;
  ts.waiters = NO_TASKS;
  for (const d of waiters) {
    if (d.s === WAITING && --d.waitingFor === 0) transition(w, d, READY);
  }
}

/** Unlink `ts` from its inputs; inputs nobody needs anymore are forgotten. */
export function releaseInputs(w: WorkerCore, ts: WorkerTask): void {
  const deps = ts.dependencies;
  if (deps === NO_TASKS) return;
  ts.dependencies = NO_TASKS;
  ts.waitingFor = 0;
  for (const d of deps) {
    d.nDependents--;
    maybeForget(w, d);
  }
}

/** Make `ts` an input of `dependent` (which waits for it unless it is in memory). */
export function link(dependent: WorkerTask, ts: WorkerTask): void {
  dependent.dependencies = append(dependent.dependencies, ts, NO_TASKS);
  ts.nDependents++;
  if (ts.s !== MEMORY) {
    dependent.waitingFor++;
    ts.waiters = append(ts.waiters, dependent, NO_TASKS);
  }
}
