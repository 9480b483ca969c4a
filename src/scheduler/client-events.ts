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
import { NO_CLIENTS, needed, type TaskState, withOne, withoutOne } from "./task-state.js";

/**
 * `c` wants `ts`. A key already in memory or erred is reported at once; a released one (kept
 * only as lineage) is computed again.
 */
export function addHold(s: SchedulerCore, c: ClientState, ts: TaskState): void {
  if (!ts.wanters.includes(c)) {
    c.nkeys++;
    ts.wanters = withOne(ts.wanters, c);
  }
  if (ts.state === "memory") s.reportMemory(ts, c);
  else if (ts.state === "erred") s.reportErred(ts, c);
  else if (ts.state === "released") s.transition(ts, "waiting", null);
}

function dropHold(s: SchedulerCore, c: ClientState, ts: TaskState): void {
  if (!ts.wanters.includes(c)) return;
  c.nkeys--;
  removeWanter(ts, c);
  if (needed(ts)) return;
  if (ts.state === "released") s.maybeForget(ts);
  else s.transition(ts, "released", null);
}

function removeWanter(ts: TaskState, c: ClientState): void {
  ts.wanters = withoutOne(ts.wanters, c, NO_CLIENTS);
}

export function clientReleasesKeys(s: SchedulerCore, ev: ClientReleasesKeys): void {
  const c = s.clients.get(ev.client);
  if (c === undefined) return;
  const keys = ev.keys;
  for (let i = 0; i < keys.length; i++) {
    const ts = s.tasks.get(keys[i]!);
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
  // O(tasks): clients leave rarely, and not listing their keys keeps every task cheaper.
  for (const ts of s.tasks.values()) {
    if (c.nkeys === 0) break;
    if (!ts.wanters.includes(c)) continue;
    c.nkeys--;
    removeWanter(ts, c);
    s.maybeRelease(ts);
  }
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
  const seen = new Set<TaskState>();
  const stack: TaskState[] = [];
  for (const key of keys) {
    const ts = s.tasks.get(key);
    if (ts !== undefined && !seen.has(ts)) {
      seen.add(ts);
      stack.push(ts);
    }
  }
  const closure: TaskState[] = [];
  while (stack.length > 0) {
    const ts = stack.pop()!;
    closure.push(ts);
    for (const d of ts.dependents) {
      if (d.state !== "forgotten" && !seen.has(d)) {
        seen.add(d);
        stack.push(d);
      }
    }
  }
  for (const ts of closure) {
    for (const c of ts.wanters) {
      c.nkeys--;
      s.reportCancelled(ts.key, c.id);
    }
    ts.wanters = NO_CLIENTS;
  }
  // Nobody wants them now; each is released once its dependents in the closure are, and
  // forgotten once they are forgotten (the usual cascade, driven by recommendations).
  for (const ts of closure) s.maybeRelease(ts);
}
