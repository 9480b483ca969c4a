/**
 * Events from clients about the keys they hold: reference counting (set semantics: a client
 * wants a key or does not; it counts its own futures), re-acquiring, leaving and cancelling.
 */
import type { Key } from "../graph/spec.js";
import type { ClientState } from "./client-state.js";
import type { SchedulerCore } from "./core.js";
import type {
  CancelKeys,
  ClientDesiresKeys,
  ClientReleasesKeys,
  RemoveClient,
} from "./protocol.js";
import type { TaskState } from "./task-state.js";

/**
 * `c` wants `ts`. A key already in memory or erred is reported at once; a released one (kept
 * only as lineage) is computed again.
 */
export function addHold(s: SchedulerCore, c: ClientState, ts: TaskState): void {
  if (!c.holds.has(ts)) {
    c.holds.add(ts);
    ts.wanters.push(c);
  }
  if (ts.state === "memory") s.reportMemory(ts, c);
  else if (ts.state === "erred") s.reportErred(ts, c);
  else if (ts.state === "released") s.recommend(ts, "waiting");
}

function dropHold(s: SchedulerCore, c: ClientState, ts: TaskState): void {
  if (!c.holds.delete(ts)) return;
  removeWanter(ts, c);
  s.maybeRelease(ts);
}

function removeWanter(ts: TaskState, c: ClientState): void {
  const w = ts.wanters;
  const i = w.indexOf(c);
  if (i < 0) return;
  const last = w.pop()!;
  if (i < w.length) w[i] = last;
}

export function clientReleasesKeys(s: SchedulerCore, ev: ClientReleasesKeys): void {
  const c = s.clients.get(ev.client);
  if (c === undefined) return;
  for (const key of ev.keys) {
    const ts = s.tasks.get(key);
    if (ts !== undefined) dropHold(s, c, ts);
  }
}

/** Unknown keys are answered with key-cancelled (the client raises UNKNOWN_KEY). */
export function clientDesiresKeys(s: SchedulerCore, ev: ClientDesiresKeys): void {
  const c = s.client(ev.client);
  for (const key of ev.keys) {
    const ts = s.tasks.get(key);
    if (ts === undefined) s.reportCancelled(key, c.id);
    else addHold(s, c, ts);
  }
}

export function removeClient(s: SchedulerCore, ev: RemoveClient): void {
  const c = s.clients.get(ev.client);
  if (c === undefined) return;
  s.clients.delete(ev.client);
  for (const ts of c.holds) {
    removeWanter(ts, c);
    s.maybeRelease(ts);
  }
  c.holds.clear();
}

/**
 * The keys and every task depending on them, whoever wants them, are forgotten: each wanting
 * client is told key-cancelled, workers are told to drop them, and their inputs are released
 * if nothing else needs them.
 */
export function cancelKeys(s: SchedulerCore, ev: CancelKeys): void {
  cancelClosure(s, ev.keys);
}

export function cancelClosure(s: SchedulerCore, keys: readonly Key[]): void {
  const epoch = ++s.epoch;
  const stack: TaskState[] = [];
  for (const key of keys) {
    const ts = s.tasks.get(key);
    if (ts !== undefined && ts.mark !== epoch) {
      ts.mark = epoch;
      stack.push(ts);
    }
  }
  const closure: TaskState[] = [];
  while (stack.length > 0) {
    const ts = stack.pop()!;
    closure.push(ts);
    for (const d of ts.dependents) {
      if (d.state !== "forgotten" && d.mark !== epoch) {
        d.mark = epoch;
        stack.push(d);
      }
    }
  }
  for (const ts of closure) {
    for (const c of ts.wanters) {
      c.holds.delete(ts);
      s.reportCancelled(ts.key, c.id);
    }
    ts.wanters.length = 0;
  }
  // Nobody wants them now; each is released once its dependents in the closure are, and
  // forgotten once they are forgotten (the usual cascade, driven by recommendations).
  for (const ts of closure) s.maybeRelease(ts);
}
