/**
 * The task stream as a page draws it: finished tasks merged into bars, a lane per worker
 * thread. Pure: a page's merger keeps, per worker, when each of its lanes was last busy, so
 * lanes stay put from one update to the next.
 *
 * Tasks of one group that follow each other on one lane within `MERGE_GAP_MS` become one bar
 * (with their count). The page shows at least five seconds across its width, several
 * milliseconds a pixel, so a merged bar draws the same pixels as its tasks; but a stream of
 * tens of thousands of tiny tasks a second is sent, parsed and drawn as a few bars, not as
 * every task (which the page could not show apart anyway).
 *
 * Lanes are assigned as tasks start, the way a worker's threads take them: a task goes to the
 * first lane free by its start (its worker's thread count at most; the lane busy the shortest
 * when every lane is busy, as clock rounding can make it).
 */
import type { StreamSlice } from "./task-stream.js";

/** Tasks of one group on one lane this close (ms) are drawn as one bar. */
export const MERGE_GAP_MS = 1;

/** Lanes per worker at most (a worker with more threads shares them). */
export const MAX_LANES = 8;

/**
 * Bars by columns (a few bytes each, not an object with its keys): bar i ran on lane
 * `lane[i]` of `workers[worker[i]]`, in group `groups[group[i]]`, from `t0 + start[i]` for
 * `duration[i]` ms (epoch ms, the worker's clock, rounded to 10 µs), and holds `count[i]`
 * tasks.
 */
export interface StreamBars {
  readonly workers: string[];
  readonly groups: string[];
  readonly worker: number[];
  readonly lane: number[];
  readonly group: number[];
  readonly count: number[];
  readonly t0: number;
  readonly start: number[];
  readonly duration: number[];
  /** Tasks in these bars. */
  readonly tasks: number;
  /** Tasks from the page's cursor on that this update leaves out (it sends the newest). */
  readonly skipped: number;
}

/** One bar (as the merger grows it; a page's `__barn.bars` holds the same fields). */
export interface Bar {
  worker: string;
  lane: number;
  group: string;
  start: number;
  stop: number;
  count: number;
}

export class BarMerger {
  /** Per worker, when each lane's last task stopped. */
  readonly #lanes = new Map<string, number[]>();

  /**
   * Merges `slice` (a run of the stream, `skipped` tasks before it already left out) into
   * bars, and keeps the newest `maxBars` of them (the tasks of those dropped count as skipped).
   * `threads`: each worker's thread count, the lanes it gets (up to MAX_LANES; one for a
   * worker no longer there).
   */
  merge(
    slice: StreamSlice,
    skipped: number,
    maxBars: number,
    threads: ReadonlyMap<string, number>,
  ): StreamBars {
    const bars: Bar[] = [];
    for (const [worker, positions] of byWorker(slice)) {
      // A worker of one thread reports its tasks in the order they started: no sort.
      if (!startOrdered(slice.start, positions)) {
        positions.sort((a, b) => slice.start[a]! - slice.start[b]!);
      }
      const most = Math.max(1, Math.min(MAX_LANES, threads.get(worker) ?? 1));
      this.#mergeWorker(worker, most, slice, positions, bars);
    }
    bars.sort((a, b) => a.stop - b.stop);
    let dropped = 0;
    const kept = bars.length > maxBars ? bars.slice(bars.length - maxBars) : bars;
    for (let i = 0; i < bars.length - kept.length; i++) dropped += bars[i]!.count;
    return columns(kept, skipped + dropped);
  }

  #mergeWorker(
    worker: string,
    most: number,
    slice: StreamSlice,
    positions: number[],
    out: Bar[],
  ): void {
    let lanes = this.#lanes.get(worker);
    if (lanes === undefined) this.#lanes.set(worker, (lanes = []));
    /** The bar growing on each lane in this merge. */
    const open: (Bar | undefined)[] = [];
    for (const p of positions) {
      const start = slice.start[p]!;
      const stop = slice.stop[p]!;
      const group = slice.group[p]!;
      const lane = pickLane(lanes, start, most);
      lanes[lane] = Math.max(lanes[lane] ?? 0, stop);
      const bar = open[lane];
      if (bar !== undefined && bar.group === group && start - bar.stop <= MERGE_GAP_MS) {
        bar.stop = Math.max(bar.stop, stop);
        bar.count++;
        continue;
      }
      const next = { worker, lane, group, start, stop, count: 1 };
      open[lane] = next;
      out.push(next);
    }
  }
}

/** The first lane free by `start`; a new one while under `most`; else the one freed first. */
function pickLane(lanes: number[], start: number, most: number): number {
  let earliest = 0;
  for (let i = 0; i < lanes.length && i < most; i++) {
    if (lanes[i]! <= start) return i;
    if (lanes[i]! < lanes[earliest]!) earliest = i;
  }
  return lanes.length < most ? lanes.length : earliest;
}

/** The slice's positions per worker (a report's tasks are a run of one worker's: one lookup). */
function byWorker(slice: StreamSlice): Map<string, number[]> {
  const out = new Map<string, number[]>();
  let last: string | undefined;
  let list: number[] = [];
  for (const p of slice.positions) {
    const w = slice.worker[p]!;
    if (w !== last) {
      last = w;
      const known = out.get(w);
      if (known === undefined) out.set(w, (list = []));
      else list = known;
    }
    list.push(p);
  }
  return out;
}

function startOrdered(start: Float64Array, positions: readonly number[]): boolean {
  for (let i = 1; i < positions.length; i++) {
    if (start[positions[i]!]! < start[positions[i - 1]!]!) return false;
  }
  return true;
}

function columns(bars: readonly Bar[], skipped: number): StreamBars {
  const workers = new Map<string, number>();
  const groups = new Map<string, number>();
  let first = Number.POSITIVE_INFINITY;
  for (const b of bars) first = Math.min(first, b.start);
  const t0 = bars.length > 0 ? Math.floor(first) : 0;
  const out: StreamBars = {
    workers: [],
    groups: [],
    worker: [],
    lane: [],
    group: [],
    count: [],
    t0,
    start: [],
    duration: [],
    tasks: 0,
    skipped,
  };
  let tasks = 0;
  for (const b of bars) {
    out.worker.push(indexOf(workers, out.workers, b.worker));
    out.lane.push(b.lane);
    out.group.push(indexOf(groups, out.groups, b.group));
    out.count.push(b.count);
    out.start.push(Math.round((b.start - t0) * 100) / 100);
    out.duration.push(Math.round((b.stop - b.start) * 100) / 100);
    tasks += b.count;
  }
  return { ...out, tasks };
}

function indexOf(index: Map<string, number>, names: string[], name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = names.push(name) - 1;
    index.set(name, i);
  }
  return i;
}
