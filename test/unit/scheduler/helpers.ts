/** Event builders and instruction filters for the scheduler tests. validate is always on. */
import type { ErrorData } from "../../../src/errors.js";
import type {
  ComputeTask,
  FreeKeys,
  KeyCancelled,
  KeyErred,
  KeyInMemory,
  SchedulerConfig,
  SchedulerEvent,
  SchedulerInstruction,
  TaskSubmission,
} from "../../../src/scheduler/protocol.js";
import { SchedulerState } from "../../../src/scheduler/state.js";

let n = 0;
const stim = (what: string): string => `${what}-${++n}`;

export function scheduler(config: Partial<SchedulerConfig> = {}): SchedulerState {
  let t = 0;
  return new SchedulerState({ config: { validate: true, ...config }, clock: () => (t += 0.001) });
}

export function task(
  key: string,
  deps: readonly string[] = [],
  opts: Partial<Omit<TaskSubmission, "key" | "deps">> = {},
): TaskSubmission {
  return { key, deps, run: { fn: key }, ...opts };
}

export function graph(
  tasks: readonly TaskSubmission[],
  wanted: readonly string[],
  client = "c1",
  stimulusId = stim("update-graph"),
): SchedulerEvent {
  return { type: "update-graph", stimulusId, client, tasks, wanted };
}

export function worker(
  id: string,
  nthreads = 1,
  opts: { name?: string; resources?: Record<string, number> } = {},
): SchedulerEvent {
  return { type: "add-worker", stimulusId: stim(`add-${id}`), worker: id, nthreads, ...opts };
}

export function removeWorker(id: string, expected = false): SchedulerEvent {
  return { type: "remove-worker", stimulusId: stim(`remove-${id}`), worker: id, expected };
}

export function finished(
  worker: string,
  key: string,
  nbytes = 8,
  duration = 0.001,
  stimulusId = stim(`finished-${key}`),
  runId?: number,
): SchedulerEvent {
  return { type: "task-finished", stimulusId, worker, key, nbytes, duration, runId };
}

export function erred(
  worker: string,
  key: string,
  message = "boom",
  runId?: number,
): SchedulerEvent {
  const error: ErrorData = { name: "Error", code: "BARN_TASK_FAILED", message, key };
  return { type: "task-erred", stimulusId: stim(`erred-${key}`), worker, key, error, runId };
}

export function release(keys: readonly string[], client = "c1"): SchedulerEvent {
  return { type: "client-releases-keys", stimulusId: stim("release"), client, keys };
}

export function desire(keys: readonly string[], client = "c1"): SchedulerEvent {
  return { type: "client-desires-keys", stimulusId: stim("desire"), client, keys };
}

export function cancel(keys: readonly string[], client = "c1"): SchedulerEvent {
  return { type: "cancel", stimulusId: stim("cancel"), client, keys };
}

export function missing(worker: string, key: string, holder: string): SchedulerEvent {
  return { type: "missing-data", stimulusId: stim("missing"), worker, key, holder };
}

export function scatter(
  worker: string,
  keys: readonly string[],
  client = "c1",
  nbytes = 100,
): SchedulerEvent {
  return {
    type: "scatter-data",
    stimulusId: stim("scatter"),
    client,
    worker,
    keys: keys.map((key) => ({ key, nbytes })),
  };
}

export const computes = (ins: readonly SchedulerInstruction[]): ComputeTask[] =>
  ins.filter((i): i is ComputeTask => i.type === "compute-task");

export const frees = (ins: readonly SchedulerInstruction[]): FreeKeys[] =>
  ins.filter((i): i is FreeKeys => i.type === "free-keys");

export const inMemory = (ins: readonly SchedulerInstruction[]): KeyInMemory[] =>
  ins.filter((i): i is KeyInMemory => i.type === "key-in-memory");

export const erreds = (ins: readonly SchedulerInstruction[]): KeyErred[] =>
  ins.filter((i): i is KeyErred => i.type === "key-erred");

export const cancelleds = (ins: readonly SchedulerInstruction[]): KeyCancelled[] =>
  ins.filter((i): i is KeyCancelled => i.type === "key-cancelled");

/** "key@worker" for each compute-task, in order. */
export const placed = (ins: readonly SchedulerInstruction[]): string[] =>
  computes(ins).map((c) => `${c.key}@${c.worker}`);

/** Every key freed, as "key@worker", sorted. */
export const freed = (ins: readonly SchedulerInstruction[]): string[] =>
  frees(ins)
    .flatMap((f) => f.keys.map((k) => `${k}@${f.worker}`))
    .sort();
