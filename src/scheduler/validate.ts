/**
 * Every invariant of the scheduler state, checked in O(tasks + edges). Run after every handle()
 * in tests (config.validate). A broken invariant throws BarnError INTERNAL naming the key, the
 * invariant and the task's story.
 */
import type { ClientState } from "./client-state.js";
import type { SchedulerCore } from "./core.js";
import { estimate, saturation } from "./decide-worker.js";
import { MAX_SPECULATED_INPUTS, speculationTarget } from "./speculate.js";
import type { TaskGroup } from "./task-group.js";
import {
  isActive,
  isRootish,
  liveDependents,
  NO_CLIENTS,
  NO_TASKS,
  NO_WORKERS,
  NSTATES,
  needed,
  stateCode,
  type TaskState,
} from "./task-state.js";
import { canRun, isPrimary } from "./worker-state.js";

export function validateState(s: SchedulerCore): void {
  const counts = new Array<number>(NSTATES).fill(0);
  const groupCounts = new Map<TaskGroup, number[]>();
  for (const [key, ts] of s.tasks) {
    const check = (ok: boolean, what: string): void => {
      if (!ok) throw s.internal(ts, what);
    };
    check(ts.key === key, `stored under key ${key}`);
    check(ts.state !== "forgotten", "a forgotten task is still in the task table");
    counts[stateCode(ts.state)]!++;
    let g = groupCounts.get(ts.group);
    if (g === undefined) groupCounts.set(ts.group, (g = new Array<number>(NSTATES).fill(0)));
    g[stateCode(ts.state)]!++;
    checkEdges(s, ts, check);
    checkClients(ts, check);
    checkState(s, ts, check);
  }
  for (let i = 0; i < NSTATES - 1; i++) {
    if (counts[i] !== s.counts[i]) {
      throw s.internal(null, `state counter ${i} is ${s.counts[i]}, counted ${counts[i]}`);
    }
    for (const group of s.groups.values()) {
      const counted = groupCounts.get(group)?.[i] ?? 0;
      if (counted !== group.counts[i]) {
        throw s.internal(
          null,
          `group ${group.name}'s state counter ${i} is ${group.counts[i]}, counted ${counted}`,
        );
      }
    }
  }
  if (NO_TASKS.length + NO_WORKERS.length + NO_CLIENTS.length > 0) {
    throw s.internal(null, "a shared empty list was mutated");
  }
  checkWorkers(s);
  checkQueue(s);
  checkSteals(s);
  const held = new Map<ClientState, number>();
  for (const ts of s.tasks.values()) {
    for (const c of ts.wanters) held.set(c, (held.get(c) ?? 0) + 1);
  }
  for (const c of s.clients.values()) {
    if (c.only.length !== 1 || c.only[0] !== c) throw s.internal(null, `${c.id}.only mutated`);
    if ((held.get(c) ?? 0) !== c.nkeys) {
      throw s.internal(null, `client ${c.id} counts ${c.nkeys} keys, ${held.get(c) ?? 0} list it`);
    }
  }
  for (const c of held.keys()) {
    if (s.clients.get(c.id) !== c) throw s.internal(null, `unknown client ${c.id} wants keys`);
  }
}

type Check = (ok: boolean, what: string) => void;

function checkEdges(s: SchedulerCore, ts: TaskState, check: Check): void {
  for (const dep of ts.deps) {
    check(s.tasks.get(dep.key) === dep, `dependency ${dep.key} is not a live task`);
    check(dep.dependents.includes(ts), `not among the dependents of its dependency ${dep.key}`);
  }
  let dead = 0;
  let active = 0;
  for (const d of ts.dependents) {
    if (d.state === "forgotten") dead++;
    else {
      check(d.deps.includes(ts), `dependent ${d.key} does not list it as a dependency`);
      if (isActive(d.state)) active++;
    }
  }
  check(dead === ts.deadDependents, `deadDependents ${ts.deadDependents}, counted ${dead}`);
  check(active === ts.waiters, `waiters ${ts.waiters}, but ${active} dependents are active`);
}

function checkClients(ts: TaskState, check: Check): void {
  for (const c of ts.wanters) {
    check(c.nkeys > 0, `wanted by client ${c.id}, which counts no keys`);
  }
  check(new Set(ts.wanters).size === ts.wanters.length, "a client is among its wanters twice");
}

function checkState(s: SchedulerCore, ts: TaskState, check: Check): void {
  const st = ts.state;
  check(st === "memory" || ts.whoHas.length === 0, "who-has is not empty outside memory");
  check((st === "processing") === (ts.processingOn !== null), "processingOn disagrees with state");
  const slotted = st === "queued" || st === "processing" || st === "memory";
  check(slotted === (ts.slot !== -1), "slot disagrees with state");
  check((st === "no-worker") === s.noWorker.has(ts), "no-worker set disagrees with state");
  check(
    st === "waiting" || st === "processing" || ts.waitingOn === 0,
    "waitingOn is set outside waiting and processing",
  );
  check(st === "erred" || ts.error === null, "error set outside erred");
  if (isActive(st) || st === "memory") check(needed(ts), `${st} but nobody needs it`);
  if (st === "waiting" || st === "queued" || st === "no-worker" || st === "processing") {
    for (const dep of ts.deps) {
      check(dep.state !== "erred", `${st} with erred dependency ${dep.key}`);
    }
  }
  switch (st) {
    case "released":
      check(!needed(ts), "released but needed (wanted, or an active dependent waits)");
      check(liveDependents(ts) > 0, "released with no live dependents: should be forgotten");
      return;
    case "waiting": {
      let missing = 0;
      for (const dep of ts.deps) {
        if (dep.state === "memory") continue;
        missing++;
        check(
          isActive(dep.state),
          `waits for ${dep.key}, which is ${dep.state}: nobody computes it`,
        );
      }
      check(missing === ts.waitingOn, `waitingOn ${ts.waitingOn}, ${missing} deps not in memory`);
      check(missing > 0, "waiting with every dependency in memory");
      // Every input's move re-examines its waiting dependents, so none is left waiting that
      // could be speculated (unless a worker's speculativeDepth cap may have been in the way).
      if (s.config.speculativeDepth >= s.tasks.size && missing <= MAX_SPECULATED_INPUTS) {
        const ws = speculationTarget(s, ts);
        check(ws === null, `waiting, but could be speculatively assigned to ${ws?.id}`);
      }
      return;
    }
    case "queued":
      check(isRootish(ts), "queued but not a root task");
      return;
    case "no-worker":
      allInMemory(ts, check);
      for (const ws of s.workerList) check(!canRun(ws, ts), `no-worker but ${ws.id} can run it`);
      return;
    case "processing": {
      const ws = ts.processingOn!;
      let missing = 0;
      for (const dep of ts.deps) {
        if (dep.state === "memory") continue;
        missing++;
        check(
          s.config.speculativeAssignment && dep.state === "processing" && dep.processingOn === ws,
          `dependency ${dep.key} is ${dep.state}${dep.processingOn === null ? "" : ` on ${dep.processingOn.id}`}: neither in memory nor processing on ${ws.id}`,
        );
      }
      check(
        missing === ts.waitingOn,
        `waitingOn ${ts.waitingOn}, ${missing} deps still processing`,
      );
      check(!ws.removed && s.workers.get(ws.id) === ws, `processing on removed worker ${ws.id}`);
      check(ws.processing[ts.slot] === ts, `not at its index in ${ws.id}'s processing`);
      // A retiring worker finishes what it was given before it retired.
      check(ws.retiring || canRun(ws, ts), `processing on ${ws.id}, which may not run it`);
      return;
    }
    case "memory":
      check(ts.whoHas.length > 0, "memory with no holder");
      check(new Set(ts.whoHas).size === ts.whoHas.length, "a holder is listed twice");
      check(ts.whoHas.filter((w) => isPrimary(w, ts)).length === 1, "not exactly one primary copy");
      for (const ws of ts.whoHas) {
        const here = isPrimary(ws, ts) || ws.replicas.has(ts);
        check(!ws.removed && here, `holder ${ws.id} does not have it`);
      }
      return;
    case "erred":
      check(ts.error !== null, "erred without an error");
      return;
    case "forgotten":
      return;
    default:
      st satisfies never;
  }
}

function allInMemory(ts: TaskState, check: Check): void {
  for (const dep of ts.deps) check(dep.state === "memory", `dependency ${dep.key} not in memory`);
}

function checkWorkers(s: SchedulerCore): void {
  if (s.workerList.length !== s.workers.size) {
    throw s.internal(null, "worker list and worker table differ");
  }
  for (const ws of s.workerList) {
    if (ws.only.length !== 1 || ws.only[0] !== ws) throw s.internal(null, `${ws.id}.only mutated`);
    let nbytes = 0;
    for (const [i, ts] of ws.held.entries()) {
      if (ts.slot !== i) throw s.internal(ts, `at ${i} in ${ws.id}'s held list, slot ${ts.slot}`);
    }
    for (const ts of [...ws.held, ...ws.replicas]) {
      if (ts.state !== "memory" || !ts.whoHas.includes(ws)) {
        throw s.internal(ts, `worker ${ws.id} has it, but it is not in memory there`);
      }
      nbytes += ts.nbytes;
    }
    if (nbytes !== ws.nbytes) {
      throw s.internal(null, `worker ${ws.id} nbytes ${ws.nbytes}, held ${nbytes}`);
    }
    let speculative = 0;
    for (let i = 0; i < ws.processing.length; i++) {
      const ts = ws.processing[i]!;
      if (ts.processingOn !== ws || ts.slot !== i) {
        throw s.internal(ts, `in ${ws.id}'s processing list at ${i}, but not assigned there`);
      }
      if (ts.waitingOn > 0) speculative++;
    }
    if (speculative !== ws.speculative) {
      throw s.internal(
        null,
        `worker ${ws.id} counts ${ws.speculative} speculated tasks, has ${speculative}`,
      );
    }
  }
}

function checkQueue(s: SchedulerCore): void {
  const q = s.queue;
  const bad = q.check();
  if (bad !== null) throw s.internal(bad, "queue structure broken (position or order)");
  const entries = q.entries();
  if (entries.length !== q.size) throw s.internal(null, "queue size disagrees with its entries");
  for (const ts of entries) {
    if (ts.state !== "queued") throw s.internal(ts, "in the queue but not queued");
  }
  const top = q.peek();
  if (top === undefined) return;
  const est = estimate(s, top);
  for (const ws of s.workerList) {
    if (!ws.retiring && !ws.paused && ws.processing.length < saturation(s.config, ws, est)) {
      throw s.internal(top, `queued while worker ${ws.id} has an open slot`);
    }
  }
}

/** Every live steal in flight is about a task still processing on its victim, in that attempt. */
function checkSteals(s: SchedulerCore): void {
  for (const [key, st] of s.steals) {
    const ts = st.ts;
    const where = `steal of ${key} from ${st.victim.id} to ${st.thief.id} in flight`;
    if (s.workers.get(st.victim.id) !== st.victim) {
      throw s.internal(null, `${where}, but the victim is gone`);
    }
    if (!st.live) continue; // its task moved on; the answer will be ignored
    if (s.tasks.get(key) !== ts) throw s.internal(null, `${where}, but the task is not live`);
    if (ts.state !== "processing" || ts.processingOn !== st.victim) {
      throw s.internal(ts, `${where}, but it is not processing there`);
    }
    if (ts.runId !== st.runId) throw s.internal(ts, `${where}, for an older attempt`);
    if (ts.waitingOn !== 0) throw s.internal(ts, `${where}, but it waits for inputs there`);
  }
  if (s.steals.size > 0 && !s.config.workStealing) {
    throw s.internal(null, "steals in flight with work stealing off");
  }
}
