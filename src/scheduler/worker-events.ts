/** Events from (or about) workers: joining, leaving, results, errors, lost copies, scatter. */
import { ErrorCodes } from "../errors.js";
import { isWorkerBound } from "../protocol/shuffle.js";
import { addHold } from "./client-events.js";
import type { SchedulerCore } from "./core.js";
import type {
  AddWorker,
  MissingData,
  RemoveWorker,
  ScatterData,
  TaskErred,
  TaskFinished,
  WorkerPaused,
} from "./protocol.js";
import { hasSpeculatedDependents, offerDependents, onlyWorker } from "./speculate.js";
import { dropStealsFrom } from "./steal.js";
import { killedWorker } from "./task-errors.js";
import { SCATTERED, TaskState } from "./task-state.js";
import { addHolder, canRun, removeHolder, WorkerState } from "./worker-state.js";

export function addWorker(s: SchedulerCore, ev: AddWorker): void {
  if (s.workers.has(ev.worker)) {
    // A worker that reconnects under the same id starts empty.
    removeWorker(s, {
      type: "remove-worker",
      stimulusId: ev.stimulusId,
      worker: ev.worker,
      expected: true,
    });
  }
  const ws = new WorkerState(ev.worker, ev.name ?? ev.worker, ev.nthreads, ev.resources ?? {});
  s.workers.set(ws.id, ws);
  s.workerList.push(ws);
  for (const ts of [...s.noWorker.keys()]) s.transition(ts, "processing", ws);
  s.markQueueDirty();
}

/** A worker paused for memory, or resumed: placement skips it while paused (decide-worker). */
export function workerPaused(s: SchedulerCore, ev: WorkerPaused): void {
  const ws = s.workers.get(ev.worker);
  if (ws === undefined || ws.paused === ev.paused) return;
  ws.paused = ev.paused;
  if (!ev.paused) s.markQueueDirty(); // its open slots take queued root tasks again
}

/**
 * Its copies are dropped (results only it held are recomputed if still needed); its tasks run
 * elsewhere, and if it died, each that may have been running counts a death: past
 * allowedFailures the task errs with KilledWorker.
 *
 * A speculated task still waiting there for an input (as far as the scheduler knows) counts no
 * death: it cannot have started. The scheduler cannot tell one that did start because its
 * input finished there just before the death, the report never sent; then the input, which
 * the scheduler still sees processing, takes the death instead.
 */
export function removeWorker(s: SchedulerCore, ev: RemoveWorker): void {
  const ws = s.workers.get(ev.worker);
  if (ws === undefined) return;
  ws.removed = true;
  s.workers.delete(ws.id);
  s.workerList.splice(s.workerList.indexOf(ws), 1);
  // Decided before lost inputs below make placed tasks wait for them again.
  const processing = [...ws.processing];
  const mayHaveRun = processing.map((ts) => ts.waitingOn === 0);
  // Every who-has is updated before any task is placed again, so no compute-task names it.
  const lost: TaskState[] = [];
  const primaries = ws.held.length;
  const holding = [...ws.held, ...ws.replicas];
  for (let i = 0; i < holding.length; i++) {
    const ts = holding[i]!;
    removeHolder(ts, ws);
    // A result bound to the worker that computed it (a P2P shuffle's manifest, which names
    // files on it) is lost with that worker even where copies remain: they point at nothing.
    if (ts.whoHas.length === 0 || (i < primaries && isWorkerBound(ts.key))) lost.push(ts);
    else offerDependents(s, ts);
  }
  for (const ts of lost) s.transition(ts, "released", null);
  for (let i = 0; i < processing.length; i++) {
    const ts = processing[i]!;
    if (!ev.expected && mayHaveRun[i] && ++ts.deaths > s.config.allowedFailures) {
      ts.error = killedWorker(ts.key, ts.deaths, s.config.allowedFailures, ev.reason);
      s.transition(ts, "erred", null);
    } else {
      s.transition(ts, "waiting", null);
    }
  }
  if (s.steals.size > 0) dropStealsFrom(s, ws);
  s.markQueueDirty();
}

/**
 * Is this report about the attempt running now? Only the worker the task is assigned to, for
 * the current runId (when the report carries one), is believed.
 */
function current(ts: TaskState, ws: WorkerState, runId: number | undefined): boolean {
  return (
    ts.state === "processing" &&
    ts.processingOn === ws &&
    (runId === undefined || runId === ts.runId)
  );
}

/**
 * A report that is not about the current attempt: every worker the task was taken from was
 * sent free-keys for it then, so its result will be dropped there and must not be recorded.
 * Another worker is told again to drop the key; the assigned worker is not (that would cancel
 * the current attempt, which it received after the free-keys).
 */
function stale(s: SchedulerCore, ts: TaskState | undefined, ws: WorkerState, key: string): void {
  if (ts === undefined) s.freeKey(ws, key);
  else if (ts.processingOn !== ws && !ts.whoHas.includes(ws)) s.freeKey(ws, key);
}

export function taskFinished(s: SchedulerCore, ev: TaskFinished): void {
  const ws = s.workers.get(ev.worker);
  if (ws === undefined) return; // from a removed worker: the result is out of reach
  if (ws.stopping.size > 0) ws.stopping.delete(ev.key); // a freed attempt ended after all
  const ts = s.tasks.get(ev.key);
  if (ts === undefined || !current(ts, ws, ev.runId)) {
    stale(s, ts, ws, ev.key);
    return;
  }
  ts.nbytes = ev.nbytes;
  ts.group.addDuration(ev.duration);
  ev.group = ts.group.name;
  s.markQueueDirty();
  s.transition(ts, "memory", ws);
}

export function taskErred(s: SchedulerCore, ev: TaskErred): void {
  const ws = s.workers.get(ev.worker);
  if (ws === undefined) return;
  if (ws.stopping.size > 0) ws.stopping.delete(ev.key);
  const ts = s.tasks.get(ev.key);
  if (ts === undefined || !current(ts, ws, ev.runId)) {
    stale(s, ts, ws, ev.key);
    return;
  }
  if (ev.error.code === ErrorCodes.SHUFFLE_INPUT_LOST && ++ts.deaths <= s.config.allowedFailures) {
    // A P2P shuffle's output task found a holder gone: removeWorker dropped that holder's
    // manifests, so the task waits for them to be recomputed (Dask's Reschedule).
    s.transition(ts, "waiting", null);
  } else if (ts.retries > 0) {
    ts.retries--;
    const stay = hasSpeculatedDependents(ts, ws);
    s.transition(ts, "waiting", null);
    // Dependents speculatively assigned to ws wait there for this task: it runs again on ws,
    // so they stay (their reschedule recommendations find them placed right and are skipped).
    if (stay && ts.state === "waiting" && canRun(ws, ts)) {
      if (ts.waitingOn === 0 || onlyWorker(ts) === ws) s.transition(ts, "processing", ws);
    }
  } else {
    ts.error = { ...ev.error, key: ts.key };
    s.transition(ts, "erred", null);
  }
}

/**
 * `ev.worker` could not get `ev.key` from `ev.holder`. The holder's copy is forgotten (the key
 * is recomputed when it was the last), and the reporter's tasks that needed the key are
 * rescheduled, so they get a compute-task with the current holders.
 */
export function missingData(s: SchedulerCore, ev: MissingData): void {
  const ts = s.tasks.get(ev.key);
  if (ts === undefined) return;
  const holder = s.workers.get(ev.holder);
  if (ts.state === "memory" && holder !== undefined && ts.whoHas.includes(holder)) {
    removeHolder(ts, holder);
    s.freeKey(holder, ts.key);
    if (ts.whoHas.length === 0) s.transition(ts, "released", null);
    else offerDependents(s, ts);
  }
  const reporter = s.workers.get(ev.worker);
  if (reporter === undefined) return;
  // The reporter computes the key itself now: its tasks that need it wait for it there.
  if (ts.state === "processing" && ts.processingOn === reporter) return;
  for (const d of ts.dependents) {
    if (d.state === "processing" && d.processingOn === reporter) s.transition(d, "waiting", null);
  }
}

/** The keys are in memory on the worker, wanted by the client. */
export function scatterData(s: SchedulerCore, ev: ScatterData): void {
  const c = s.client(ev.client);
  const ws = s.workers.get(ev.worker);
  for (const { key, nbytes } of ev.keys) {
    let ts = s.tasks.get(key);
    if (ws === undefined) {
      // The worker left before the scatter was registered: the data is gone.
      if (ts === undefined) s.reportCancelled(key, c.id);
      else addHold(s, c, ts);
      continue;
    }
    if (ts === undefined) {
      ts = new TaskState(key, SCATTERED, 0, s.generation, 0, 0, null, s.group(""));
      s.tasks.set(key, ts);
      s.counts[0]!++;
      ts.group.counts[0]!++;
    }
    if (ts.state !== "memory") {
      if (ts.state !== "released") s.transition(ts, "released", null);
      ts.nbytes = nbytes;
      s.transition(ts, "memory", ws);
    } else if (!ts.whoHas.includes(ws)) {
      addHolder(ts, ws);
      offerDependents(s, ts);
    }
    addHold(s, c, ts);
  }
}
