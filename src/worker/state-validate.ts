/**
 * validate(): every invariant of the worker state machine, checked from scratch (O(tasks +
 * links + queued entries)). Tests run it after every handle(); `config.validate` turns it on in
 * handle() itself. A broken invariant throws BarnError INTERNAL naming the key, the invariant
 * and the key's story.
 */
import { BarnError, ErrorCodes } from "../errors.js";
import type { WorkerCore } from "./state-core.js";
import {
  CANCELLED,
  ERROR,
  EXECUTING,
  FETCH,
  FLIGHT,
  MEMORY,
  MISSING,
  NSTATES,
  READY,
  RELEASED,
  STATE_NAMES,
  WAITING,
  type WorkerTask,
} from "./worker-task.js";

export function validate(w: WorkerCore): void {
  const counts = new Int32Array(NSTATES);
  const refs = new Map<WorkerTask, number>();
  const held: Record<string, number> = {};
  let running = 0;
  for (const [key, ts] of w.tasks) {
    if (ts.key !== key) fail(w, key, "the task map is keyed by task key");
    if (ts.s === RELEASED) fail(w, key, "released tasks are not in the task map");
    counts[ts.s]!++;
    for (const d of ts.dependencies) refs.set(d, (refs.get(d) ?? 0) + 1);
    checkTask(w, ts);
    if (ts.s === EXECUTING || ts.s === CANCELLED) {
      running++;
      for (const name in ts.resources) held[name] = (held[name] ?? 0) + ts.resources[name]!;
    }
  }
  for (let s = 0; s < NSTATES; s++) {
    if (s !== RELEASED && counts[s] !== w.stateCounts[s]) {
      fail(w, "", `the ${STATE_NAMES[s]} counter (${w.stateCounts[s]}) matches (${counts[s]})`);
    }
  }
  for (const ts of w.tasks.values()) {
    const n = refs.get(ts) ?? 0;
    if (ts.nDependents !== n) fail(w, ts.key, `nDependents ${ts.nDependents} equals links ${n}`);
  }
  for (const d of refs.keys()) {
    if (w.tasks.get(d.key) !== d) fail(w, d.key, "inputs of live tasks are live");
  }
  const { nthreads, resources } = w.config;
  if (running !== w.executing) fail(w, "", `executing count ${w.executing} equals ${running}`);
  if (running > nthreads) fail(w, "", `executing count ${running} <= nthreads ${nthreads}`);
  for (const name of new Set([...Object.keys(resources), ...Object.keys(held)])) {
    const total = resources[name] ?? 0;
    const h = held[name] ?? 0;
    if (h > total) fail(w, "", `resource ${name}: held ${h} <= total ${total}`);
    if (Math.abs((w.freeResources[name] ?? 0) - (total - h)) > 1e-9) {
      fail(w, "", `resource ${name}: free equals total minus held`);
    }
  }
  checkQueues(w, running);
}

function checkTask(w: WorkerCore, ts: WorkerTask): void {
  const { key, s } = ts;
  const linked = s === WAITING || s === READY || s === EXECUTING || s === CANCELLED;
  if (!linked && ts.dependencies.length > 0) fail(w, key, "only local computations link inputs");
  if (s === CANCELLED) {
    if (ts.requested || ts.nDependents > 0) fail(w, key, "a cancelled task is not needed");
  } else if (s !== FLIGHT && !ts.requested && ts.nDependents === 0) {
    fail(w, key, "a task is requested or needed by a local task (else it is forgotten)");
  }
  if (linked && ts.spec === undefined) fail(w, key, "a local computation has its compute-task");
  if (s === WAITING) {
    let notHere = 0;
    for (const d of ts.dependencies) {
      if (d.s === MEMORY) continue;
      notHere++;
      if (d.s === CANCELLED) fail(w, key, `input ${d.key} of a waiting task is not cancelled`);
      if (!d.waiters.includes(ts)) fail(w, key, `input ${d.key} lists its waiting dependent`);
    }
    if (notHere === 0 || notHere !== ts.waitingFor) {
      fail(w, key, `waitingFor ${ts.waitingFor} equals inputs not here (${notHere}) > 0`);
    }
  } else if (linked) {
    for (const d of ts.dependencies) {
      if (d.s !== MEMORY) fail(w, key, `input ${d.key} of a ready/running task is in memory`);
    }
  }
  if (s === FETCH) {
    if (ts.holders.length === 0) fail(w, key, "a fetch task has a holder");
    for (const h of ts.holders) {
      if (w.badPeers.has(h)) fail(w, key, `fetch holder ${h} is not a bad peer`);
      if (h === w.id) fail(w, key, "a fetch task is not held by this worker");
      if (!w.dataNeeded.get(h)?.items.includes(ts)) fail(w, key, `queued on holder ${h}'s heap`);
    }
  }
  if (s === FLIGHT && !w.inFlight.get(ts.peer)?.includes(ts)) {
    fail(w, key, `a flight task is in the gather from its peer ${ts.peer}`);
  }
  if (s !== FLIGHT && ts.peer !== "") fail(w, key, "only flight tasks have a peer");
  if (s === ERROR && ts.error === undefined) fail(w, key, "an erred task keeps its error");
  // Or still requested: a task that erred here, was then fetched as an input and lost it
  // waits for the scheduler's retry (compute-task) or free-keys.
  if (s === MISSING && ts.nDependents === 0 && !ts.requested) {
    fail(w, key, "a missing task is an input or requested");
  }
  if (s === READY) {
    const heap = ts.resources === undefined ? w.ready : w.constrained;
    if (!heap.items.includes(ts)) fail(w, key, "a ready task is queued");
  }
}

function checkQueues(w: WorkerCore, running: number): void {
  const { transferConcurrency, transferBatchKeys, nthreads } = w.config;
  if (w.inFlight.size > transferConcurrency) fail(w, "", "gathers in flight <= concurrency");
  const seen = new Set<WorkerTask>();
  for (const [peer, batch] of w.inFlight) {
    if (batch.length === 0 || batch.length > transferBatchKeys) {
      fail(w, "", `gather from ${peer} has 1..transferBatchKeys keys`);
    }
    for (const ts of batch) {
      // Entries that left flight (scattered here meanwhile) are skipped when the gather returns.
      if (ts.s !== FLIGHT || ts.peer !== peer) continue;
      if (seen.has(ts)) fail(w, ts.key, "each flight key belongs to exactly one gather");
      seen.add(ts);
    }
  }
  if (seen.size !== w.stateCounts[FLIGHT]) fail(w, "", "every flight task is in a gather");
  if (running < nthreads && !w.paused) {
    for (const ts of w.ready.items) {
      if (ts.s === READY) fail(w, ts.key, "no ready task waits while a thread is free");
    }
  }
  if (w.inFlight.size < transferConcurrency && !w.paused) {
    for (const ts of w.tasks.values()) {
      if (ts.s !== FETCH) continue;
      for (const h of ts.holders) {
        if (!w.inFlight.has(h)) fail(w, ts.key, `fetch waits although peer ${h} is free`);
      }
    }
  }
}

function fail(w: WorkerCore, key: string, invariant: string): never {
  const story = key === "" ? [] : w.log.story(key);
  const lines = story.map((e) => `${e.from}->${e.to} (${e.stimulusId})`).join("; ");
  throw new BarnError(
    ErrorCodes.INTERNAL,
    `worker ${w.id}: invariant broken${key === "" ? "" : ` for task ${key}`}: ${invariant}; story: ${lines || "(empty)"}`,
    key === "" ? {} : { key },
  );
}
