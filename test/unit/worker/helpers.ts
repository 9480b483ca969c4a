/** Event builders and a validating driver for the worker state machine tests. */
import type { Resources, WorkerId } from "../../../src/scheduler/protocol.js";
import type { WComputeTask, WorkerEvent, WorkerInstruction } from "../../../src/worker/protocol.js";
import { WorkerState, type WorkerStateOptions } from "../../../src/worker/state.js";

let stim = 0;
const s = (what: string): string => `${what}-${++stim}`;

/** A worker with validate on (handle() checks every invariant after each call). */
export function worker(opts: Partial<WorkerStateOptions> = {}, id: WorkerId = "w0"): WorkerState {
  return new WorkerState(id, { nthreads: 1, validate: true, ...opts });
}

/** handle() then validate(); instructions as short strings. */
export function run(ws: WorkerState, ...events: WorkerEvent[]): string[] {
  const out = ws.handle(events);
  ws.validate();
  return out.map(brief);
}

export function brief(i: WorkerInstruction): string {
  switch (i.type) {
    case "execute":
      return `execute ${i.key}`;
    case "gather-dep":
      return `gather ${i.peer} ${i.keys.join(",")}`;
    case "release-data":
      return `release ${i.key}`;
    case "send-task-finished":
      return `finished ${i.key}`;
    case "send-task-erred":
      return `erred ${i.key}`;
    case "send-missing-data":
      return `missing ${i.key}@${i.holder}`;
    case "send-steal-response":
      return `steal ${i.key} ${i.stolen ? "stolen" : "kept"} (${i.state})`;
    case "send-task-stopped":
      return `stopped ${i.key}`;
  }
}

export interface CtOptions {
  deps?: Record<string, readonly WorkerId[]>;
  priority?: readonly number[];
  resources?: Resources;
  runId?: number;
}

export function ct(key: string, o: CtOptions = {}): WComputeTask {
  const deps = Object.entries(o.deps ?? {}).map(([k, holders]) => ({ key: k, holders }));
  return {
    type: "compute-task",
    stimulusId: s(`compute-${key}`),
    key,
    run: { fn: key },
    deps,
    priority: o.priority ?? [0],
    ...(o.resources === undefined ? {} : { resources: o.resources }),
    ...(o.runId === undefined ? {} : { runId: o.runId }),
  };
}

export const ok = (key: string, nbytes = 8, duration = 0.5): WorkerEvent => ({
  type: "execute-success",
  stimulusId: s(`ok-${key}`),
  key,
  nbytes,
  duration,
});

export const fail = (key: string): WorkerEvent => ({
  type: "execute-failure",
  stimulusId: s(`fail-${key}`),
  key,
  error: { name: "Error", code: "BARN_TASK_FAILED", message: `boom ${key}`, key },
});

export const free = (...keys: string[]): WorkerEvent => ({
  type: "free-keys",
  stimulusId: s("free"),
  keys,
});

export const add = (...keys: string[]): WorkerEvent => ({
  type: "add-data",
  stimulusId: s("add"),
  keys: keys.map((key) => ({ key, nbytes: 4 })),
});

/** gather-dep-success from `peer`: `have` keys arrive (8 bytes each), `missing` did not. */
export const got = (peer: WorkerId, have: string[], missing: string[] = []): WorkerEvent => ({
  type: "gather-dep-success",
  stimulusId: s(`got-${peer}`),
  peer,
  nbytes: Object.fromEntries(have.map((k) => [k, 8])),
  missing,
});

export const lost = (peer: WorkerId, keys: string[]): WorkerEvent => ({
  type: "gather-dep-failure",
  stimulusId: s(`lost-${peer}`),
  peer,
  keys,
});

export const steal = (...keys: string[]): WorkerEvent => ({
  type: "steal-request",
  stimulusId: s("steal"),
  keys,
});
