/**
 * update-graph: a client submits tasks and takes hold of keys. Known keys are not recreated
 * (whatever their state: an erred one stays erred and is reported, one in memory is reported
 * at once). New tasks that someone needs start waiting; the rest are forgotten straight away.
 */

import { addHold } from "./client-events.js";
import type { SchedulerCore } from "./core.js";
import { FAN_OUT } from "./decide-worker.js";
import type { TaskSubmission, UpdateGraph } from "./protocol.js";
import { append, TaskState } from "./task-state.js";

export function updateGraph(s: SchedulerCore, ev: UpdateGraph): void {
  const generation = ++s.generation;
  const fresh: TaskState[] = [];
  const subs: TaskSubmission[] = [];
  const submitted = ev.tasks;
  for (let i = 0; i < submitted.length; i++) {
    const sub = submitted[i]!;
    if (s.tasks.has(sub.key)) continue;
    const ts = newTask(s, sub, generation);
    s.tasks.set(sub.key, ts);
    fresh.push(ts);
    subs.push(sub);
  }
  s.counts[0]! += fresh.length;
  for (let i = 0; i < fresh.length; i++) fresh[i]!.group.counts[0]!++;
  let lost = false;
  for (let i = 0; i < fresh.length; i++) lost = resolveDeps(s, fresh[i]!, subs[i]!) || lost;
  if (lost) dropLost(s, fresh);
  for (let i = 0; i < fresh.length; i++) {
    const ts = fresh[i]!;
    if (ts.state === "forgotten") continue;
    const deps = ts.deps;
    for (let j = 0; j < deps.length; j++) {
      const dep = deps[j]!;
      dep.dependents = append(dep.dependents, ts);
      if (dep.dependents.length - dep.deadDependents > FAN_OUT) dep.fanOut = true;
    }
  }
  const c = s.client(ev.client);
  const wanted = ev.wanted;
  // A map wants the tasks it submits, in order: match them by position, saving a lookup each.
  const aligned = fresh.length === ev.tasks.length;
  for (let i = 0; i < wanted.length; i++) {
    const key = wanted[i]!;
    const f = aligned ? fresh[i] : undefined;
    const ts = f !== undefined && f.key === key ? f : s.tasks.get(key);
    if (ts === undefined || ts.state === "forgotten") s.reportCancelled(key, c.id);
    else addHold(s, c, ts);
  }
  for (let i = 0; i < fresh.length; i++) {
    const ts = fresh[i]!;
    if (ts.state === "released") s.maybeForget(ts);
  }
}

function newTask(s: SchedulerCore, sub: TaskSubmission, generation: number): TaskState {
  const resources = sub.resources !== undefined && hasKeys(sub.resources) ? sub.resources : null;
  const restrictions = sub.workers !== undefined && sub.workers.length > 0 ? sub.workers : null;
  const placement =
    resources === null && restrictions === null ? null : { resources, restrictions };
  return new TaskState(
    sub.key,
    sub.run,
    0 - (sub.priority ?? 0),
    generation,
    sub.order ?? 0,
    sub.retries ?? 0,
    placement,
    s.group(sub.group ?? ""),
  );
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

const scratch: TaskState[] = [];

/** Fill `ts.deps` (deduplicated); false when a dep is neither known nor submitted. */
function resolveDeps(s: SchedulerCore, ts: TaskState, sub: TaskSubmission): boolean {
  const keys = sub.deps;
  if (keys.length === 0) return false;
  const deps = scratch;
  deps.length = 0;
  const seen = keys.length > 16 ? new Set<TaskState>() : null;
  let ok = true;
  for (const k of keys) {
    const dep = s.tasks.get(k);
    if (dep === undefined) ok = false;
    else if (seen === null ? !deps.includes(dep) : !seen.has(dep)) {
      seen?.add(dep);
      deps.push(dep);
    }
  }
  // An exact-size copy: a graph of a million tasks keeps every one of these arrays.
  ts.deps = deps.length === 1 ? [deps[0]!] : deps.slice();
  deps.length = 0;
  if (!ok) ts.state = "forgotten";
  return !ok;
}

/**
 * Tasks with a dependency nobody knows (forgotten meanwhile, e.g. cancelled by another client)
 * cannot run: they and their new dependents are dropped (a client wanting one is then told
 * key-cancelled, as for any unknown key).
 */
function dropLost(s: SchedulerCore, fresh: readonly TaskState[]): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const ts of fresh) {
      if (ts.state === "forgotten") continue;
      for (const dep of ts.deps) {
        if (dep.state === "forgotten") {
          ts.state = "forgotten";
          changed = true;
          break;
        }
      }
    }
  }
  for (const ts of fresh) {
    if (ts.state !== "forgotten") continue;
    s.tasks.delete(ts.key);
    s.counts[0]!--;
    ts.group.counts[0]!--;
  }
}
