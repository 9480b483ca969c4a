/**
 * The dashboard's live update: one JSON object a tick, built from the scheduler's public
 * queries (counts, groups, workers) and the recorder's window of diagnostics events. The page
 * keeps history itself (memory over time); each update carries only what is new in the stream,
 * merged into bars (stream-bars.ts), and no more of it than a page can draw: what an update
 * costs the scheduler's thread (and the browser) is bounded whatever the task rate.
 */
import type { SchedulerServer } from "../scheduler/server.js";
import type { Recorder } from "./recorder.js";
import { BarMerger, type StreamBars } from "./stream-bars.js";
import { GRAPH_LIMIT } from "./views.js";

/**
 * Stream entries read for one update at most, the newest (a page that falls behind skips to
 * the present): more than 40,000 tiny tasks a second at two updates a second.
 */
export const MAX_TASKS_PER_UPDATE = 20_000;

/** Bars sent in one update at most, the newest: more than a stream a few thousand pixels wide shows. */
export const MAX_BARS_PER_UPDATE = 2_000;

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
  /** The tasks finished since the page's cursor, merged into bars (stream-bars.ts). */
  readonly stream: StreamBars;
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
  /**
   * What the page's on-demand views would show, to ask for them only when it moved: the
   * profile's version (views.ts) and the live tasks (the graph view draws up to `limit`).
   */
  readonly views: {
    readonly profileVersion: number;
    readonly profiling: boolean;
    readonly live: number;
    readonly limit: number;
  };
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

export function buildUpdate(
  server: SchedulerServer,
  recorder: Recorder,
  cursor: number,
  merger: BarMerger = new BarMerger(),
): Update {
  const { tasks, skipped } = recorder.tasksSince(cursor, MAX_TASKS_PER_UPDATE);
  const workers = workerRows(server, recorder);
  const threads = new Map(workers.map((w) => [w.id, w.nthreads]));
  return {
    time: Date.now(),
    counts: server.state.counts(),
    counters: { ...server.counters },
    groups: groupRows(server),
    workers,
    stream: merger.merge(tasks, skipped, MAX_BARS_PER_UPDATE, threads),
    cursor: recorder.seq,
    transfers: recentTransfers(recorder),
    erred: recorder.erred.slice(-20).map((e) => ({
      key: e.key,
      group: e.group,
      worker: e.worker,
      message: e.error.message,
      stack: e.error.stack ?? "",
    })),
    views: {
      profileVersion: recorder.profileVersion,
      profiling: server.profiling !== null,
      live: server.state.size,
      limit: GRAPH_LIMIT,
    },
  };
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
