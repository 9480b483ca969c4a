/** Human and JSON views of the state: a task's story as text, and the state dump. */
import type { SchedulerCore } from "./core.js";
import type { TransitionRecord } from "./log.js";
import type { SchedulerTaskState } from "./protocol.js";
import { STATES, type TaskState } from "./task-state.js";
import { heldCount, type WorkerState } from "./worker-state.js";

export function formatStory(records: readonly TransitionRecord[]): string {
  if (records.length === 0) return "  (no transitions in the log)";
  return records
    .map(
      (r) =>
        `  t=${r.time.toFixed(6)} ${r.from} -> ${r.to} (${r.stimulusId})${r.note === undefined ? "" : ` ${r.note}`}`,
    )
    .join("\n");
}

export interface WorkerInfo {
  readonly id: string;
  readonly name: string;
  readonly nthreads: number;
  readonly resources: Readonly<Record<string, number>>;
  /** Tasks assigned to it now. */
  readonly processing: number;
  /** Results it holds, and their total size. */
  readonly keys: number;
  readonly nbytes: number;
  /** Paused for memory (worker-paused). */
  readonly paused: boolean;
}

export function workerInfo(ws: WorkerState): WorkerInfo {
  return {
    id: ws.id,
    name: ws.name,
    nthreads: ws.nthreads,
    resources: { ...ws.resources },
    processing: ws.processing.length,
    keys: heldCount(ws),
    nbytes: ws.nbytes,
    paused: ws.paused,
  };
}

export function countsOf(s: SchedulerCore): Record<SchedulerTaskState, number> {
  const out = {} as Record<SchedulerTaskState, number>;
  for (let i = 0; i < STATES.length; i++) out[STATES[i]!] = i === 7 ? 0 : s.counts[i]!;
  return out;
}

export interface TaskInfo {
  readonly key: string;
  readonly state: SchedulerTaskState;
  readonly deps: string[];
  readonly wanters: string[];
  readonly whoHas: string[];
  readonly processingOn: string | null;
  readonly priority: number[];
  readonly nbytes: number;
  readonly retries: number;
  readonly deaths: number;
  readonly error: string | null;
}

export function taskInfo(ts: TaskState): TaskInfo {
  return {
    key: ts.key,
    state: ts.state,
    deps: ts.deps.map((d) => d.key),
    wanters: ts.wanters.map((c) => c.id),
    whoHas: ts.whoHas.map((w) => w.id),
    processingOn: ts.processingOn?.id ?? null,
    priority: [ts.prioUser, ts.generation, ts.order],
    nbytes: ts.nbytes,
    retries: ts.retries,
    deaths: ts.deaths,
    error: ts.error?.message ?? null,
  };
}

/** A JSON-serialisable summary; tasks are listed only up to `maxTasks`. */
export function dumpState(s: SchedulerCore, maxTasks: number): object {
  const tasks: TaskInfo[] = [];
  for (const ts of s.tasks.values()) {
    if (tasks.length >= maxTasks) break;
    tasks.push(taskInfo(ts));
  }
  return {
    time: s.now,
    generation: s.generation,
    counts: countsOf(s),
    queued: s.queue.size,
    queueHead: s.queue.peek()?.key ?? null,
    noWorker: s.noWorker.size,
    steals: [...s.steals.values()].slice(0, maxTasks).map((st) => ({
      key: st.ts.key,
      victim: st.victim.id,
      thief: st.thief.id,
      live: st.live,
    })),
    workers: s.workerList.map(workerInfo),
    clients: [...s.clients.values()].map((c) => ({ id: c.id, keys: c.nkeys })),
    groups: [...s.groups.values()].map((g) => ({
      name: g.name,
      duration: g.duration,
      finished: g.finished,
    })),
    tasks,
    tasksOmitted: s.tasks.size - tasks.length,
    log: { capacity: s.log.capacity, size: s.log.size, tail: s.log.tail(20) },
  };
}
