/**
 * Speculative assignment (an idea from dask's design discussions): a waiting task whose inputs
 * that are not in memory yet are all processing on one worker W goes to W at once. Its
 * compute-task names W as the holder of those inputs; W runs it as soon as they finish there,
 * so a chain of dependent tasks needs no scheduler round trip per step.
 *
 * Invariant (validate.ts): a processing task's inputs are in memory (anywhere), or processing
 * on the task's own worker, and only then. `ts.waitingOn` counts the latter for a processing
 * task; `ws.speculative` counts the tasks on `ws` with `waitingOn > 0`.
 *
 * When an input leaves processing on W other than by finishing there (rescheduled, released),
 * its speculated dependents are rescheduled too (transitions.ts); when it errs they err. The
 * one exception is a retry: an input that throws with retries left runs again on W, so its
 * speculated dependents stay there (worker-events.ts).
 */
import type { SchedulerCore } from "./core.js";
import type { TaskState } from "./task-state.js";
import { canRun, type WorkerState } from "./worker-state.js";

/**
 * Only tasks waiting on at most this many inputs are considered. Every transition of an input
 * re-examines its waiting dependents, and each examination scans the task's inputs: bounding
 * the inputs still missing keeps a reduction over 100,000 inputs from costing O(n^2).
 */
export const MAX_SPECULATED_INPUTS = 8;

/**
 * The worker `ts` (waiting, with inputs not in memory) can be speculatively assigned to, or
 * null: every input not in memory is processing on that one live worker, the worker may run
 * `ts`, it holds fewer than `speculativeDepth` speculated tasks, and it holds at least as many
 * bytes of the inputs already in memory as any other worker. That last rule keeps locality:
 * once its inputs finish there, the worker would hold the most input bytes, so decide-worker
 * would pick it anyway; a task whose big input sits elsewhere waits and goes there.
 */
export function speculationTarget(s: SchedulerCore, ts: TaskState): WorkerState | null {
  if (!s.config.speculativeAssignment || ts.waitingOn > MAX_SPECULATED_INPUTS) return null;
  if (s.config.fanOutByLoad && fansOut(ts)) return null;
  const ws = onlyWorker(ts);
  if (ws === null || ws.removed || ws.speculative >= s.config.speculativeDepth) return null;
  if (!canRun(ws, ts)) return null;
  return ts.deps.length === ts.waitingOn || holdsMostBytes(s, ts, ws) ? ws : null;
}

/** Does `ws` hold at least as many bytes of the in-memory inputs of `ts` as any worker? */
function holdsMostBytes(s: SchedulerCore, ts: TaskState, ws: WorkerState): boolean {
  const epoch = ++s.epoch;
  ws.mark = epoch;
  ws.acc = 0;
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    for (const w of dep.whoHas) {
      if (w.mark !== epoch) {
        w.mark = epoch;
        w.acc = 0;
      }
      w.acc += dep.nbytes;
    }
  }
  for (let i = 0; i < deps.length; i++) {
    for (const w of deps[i]!.whoHas) if (w.acc > ws.acc) return false;
  }
  return true;
}

/**
 * Is an input of `ts` that is not in memory yet a fan-out (`TaskState.fanOut`)? Its dependents
 * are placed once it is in memory, by size and load (decide-worker.ts), not all on its worker.
 */
function fansOut(ts: TaskState): boolean {
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++)
    if (deps[i]!.state !== "memory" && deps[i]!.fanOut) return true;
  return false;
}

/**
 * The one worker every input of `ts` that is not in memory is processing on; null when some
 * input is neither in memory nor processing, when two workers are involved, or when every
 * input is in memory.
 */
export function onlyWorker(ts: TaskState): WorkerState | null {
  let ws: WorkerState | null = null;
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    if (dep.state === "memory") continue;
    if (dep.state !== "processing") return null;
    if (ws === null) ws = dep.processingOn;
    else if (ws !== dep.processingOn) return null;
  }
  return ws;
}

/**
 * May processing task `ts` stay where it is? Its inputs are in memory or (with speculation on)
 * processing on its own worker. A stale "reschedule" recommendation is one for which this holds.
 */
export function placementHolds(s: SchedulerCore, ts: TaskState): boolean {
  const ws = ts.processingOn;
  const deps = ts.deps;
  for (let i = 0; i < deps.length; i++) {
    const dep = deps[i]!;
    if (dep.state === "memory") continue;
    if (!s.config.speculativeAssignment || dep.state !== "processing") return false;
    if (dep.processingOn !== ws) return false;
  }
  return true;
}

/** `ts`, processing, has one more input not in memory (it just left memory). */
export function inputLeftMemory(ts: TaskState): void {
  if (ts.waitingOn++ === 0) ts.processingOn!.speculative++;
}

/** `ts`, processing, has one input less to wait for (it reached memory). */
export function inputReachedMemory(ts: TaskState): void {
  if (ts.waitingOn > 0 && --ts.waitingOn === 0) ts.processingOn!.speculative--;
}

/**
 * Who holds `ts` changed (a copy was lost or added): its waiting dependents may now be
 * speculated onto a worker that holds the most bytes of their inputs in memory.
 */
export function offerDependents(s: SchedulerCore, ts: TaskState): void {
  if (!s.config.speculativeAssignment) return;
  for (const d of ts.dependents) {
    if (d.state === "waiting" && speculationTarget(s, d) !== null) s.recommend(d, "processing");
  }
}

/** Does `ts` have a dependent speculatively assigned to `ws` (waiting there for it)? */
export function hasSpeculatedDependents(ts: TaskState, ws: WorkerState): boolean {
  const dependents = ts.dependents;
  for (let i = 0; i < dependents.length; i++) {
    const d = dependents[i]!;
    if (d.state === "processing" && d.processingOn === ws && d.waitingOn > 0) return true;
  }
  return false;
}
