/**
 * The dashboard's live update: one JSON object a tick, built from the scheduler's public
 * queries (counts, groups, workers) and the recorder's window of diagnostics events. The page
 * keeps history itself (memory over time); each update carries only what is new in the stream,
 * by columns, and no more of it than a page can draw: what an update costs the scheduler's
 * thread (and the browser) is bounded whatever the task rate.
 */
import type { SchedulerServer } from "../scheduler/server.js";
import type { Recorder } from "./recorder.js";
import type { StreamSlice } from "./task-stream.js";

/**
 * Stream entries sent in one update at most, the newest (a page that falls behind skips to the
 * present): at two updates a second, more than a task stream a few thousand pixels wide shows.
 */
export const MAX_TASKS_PER_UPDATE = 2_000;

/**
 * New task stream entries by columns (a few bytes a task, not an object with its keys): entry
 * i ran on `workers[worker[i]]`, in group `groups[group[i]]`, from `t0 + start[i]` for
 * `duration[i]` ms (epoch ms, the worker's clock, rounded to 10 µs).
 */
export interface StreamColumns {
  readonly workers: string[];
  readonly groups: string[];
  readonly worker: number[];
  readonly group: number[];
  readonly t0: number;
  readonly start: number[];
  readonly duration: number[];
  /** Entries from the cursor on that this update leaves out (it sends the newest). */
  readonly skipped: number;
}

export interface GroupRow {
  readonly name: string;
  /** Finished since the scheduler made the group. */
  readonly done: number;
  readonly processing: number;
  /** waiting, queued or no-worker. */
  readonly waiting: number;
  readonly erred: number;
  /** Mean duration, seconds (-1: none finished). */
  readonly duration: number;
}

export interface WorkerRow {
  readonly id: string;
  readonly name: string;
  readonly nthreads: number;
  readonly processing: number;
  readonly keys: number;
  readonly nbytes: number;
  readonly heap: number | null;
  readonly rss: number | null;
  readonly cpu: number | null;
  /** Epoch ms of the sample (null: none yet). */
  readonly sampled: number | null;
}

export interface Update {
  readonly time: number;
  readonly counts: Record<string, number>;
  readonly counters: Record<string, number>;
  readonly groups: GroupRow[];
  readonly workers: WorkerRow[];
  readonly tasks: StreamColumns;
  /** The cursor for the next update. */
  readonly cursor: number;
  readonly erred: { key: string; group: string; worker: string; message: string; stack: string }[];
  /** The last minute's peer fetches (at most 500): receiving worker, peer, nbytes, start, stop. */
  readonly transfers: {
    worker: string;
    peer: string;
    nbytes: number;
    start: number;
    stop: number;
  }[];
}

export function groupRows(server: SchedulerServer): GroupRow[] {
  const rows: GroupRow[] = [];
  for (const [name, g] of server.state.groupCounts()) {
    const s = g.states;
    rows.push({
      name,
      done: g.finished,
      processing: s.processing ?? 0,
      waiting: (s.waiting ?? 0) + (s.queued ?? 0) + (s["no-worker"] ?? 0),
      erred: s.erred ?? 0,
      duration: g.duration,
    });
  }
  return rows.filter((r) => r.name !== "" || r.done + r.processing + r.waiting > 0);
}

export function workerRows(server: SchedulerServer, recorder: Recorder): WorkerRow[] {
  return server.state.workers().map((w) => {
    const s = recorder.samples.get(w.id)?.at(-1);
    return {
      id: w.id,
      name: w.name,
      nthreads: w.nthreads,
      processing: w.processing,
      keys: w.keys,
      nbytes: w.nbytes,
      heap: s?.heap ?? null,
      rss: s?.rss ?? null,
      cpu: s?.cpu ?? null,
      sampled: s?.time ?? null,
    };
  });
}

export function buildUpdate(server: SchedulerServer, recorder: Recorder, cursor: number): Update {
  const { tasks, skipped } = recorder.tasksSince(cursor, MAX_TASKS_PER_UPDATE);
  return {
    time: Date.now(),
    counts: server.state.counts(),
    counters: { ...server.counters },
    groups: groupRows(server),
    workers: workerRows(server, recorder),
    tasks: streamColumns(tasks, skipped),
    cursor: recorder.seq,
    transfers: recentTransfers(recorder),
    erred: recorder.erred.slice(-20).map((e) => ({
      key: e.key,
      group: e.group,
      worker: e.worker,
      message: e.error.message,
      stack: e.error.stack ?? "",
    })),
  };
}

/** Entries as columns, with their workers and groups named once. */
export function streamColumns(tasks: StreamSlice, skipped: number): StreamColumns {
  const workers = new Map<string, number>();
  const groups = new Map<string, number>();
  const at = tasks.positions;
  const n = at.length;
  const t0 = n > 0 ? Math.floor(tasks.start[at[0]!]!) : 0;
  const out: StreamColumns = {
    workers: [],
    groups: [],
    worker: new Array<number>(n),
    group: new Array<number>(n),
    t0,
    start: new Array<number>(n),
    duration: new Array<number>(n),
    skipped,
  };
  for (let i = 0; i < n; i++) {
    const p = at[i]!;
    const start = tasks.start[p]!;
    out.worker[i] = indexOf(workers, out.workers, tasks.worker[p]!);
    out.group[i] = indexOf(groups, out.groups, tasks.group[p]!);
    out.start[i] = Math.round((start - t0) * 100) / 100;
    out.duration[i] = Math.round((tasks.stop[p]! - start) * 100) / 100;
  }
  return out;
}

function indexOf(index: Map<string, number>, names: string[], name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = names.push(name) - 1;
    index.set(name, i);
  }
  return i;
}

function recentTransfers(recorder: Recorder): Update["transfers"] {
  const since = Date.now() - 60_000;
  const out: Update["transfers"] = [];
  const list = recorder.transfers;
  for (let i = list.length - 1; i >= 0 && out.length < 500; i--) {
    const t = list[i]!;
    if (t.stop < since) break;
    out.push({ worker: t.worker, peer: t.peer, nbytes: t.nbytes, start: t.start, stop: t.stop });
  }
  return out;
}
