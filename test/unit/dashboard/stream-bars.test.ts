/**
 * The task stream merged into bars (stream-bars.ts), checked against the tasks it came from:
 * workers whose threads each run a random sequence of tasks (so no more run at once than the
 * worker has threads), reported out of start order, as reports arrive.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type Bar,
  BarMerger,
  MAX_LANES,
  MERGE_GAP_MS,
  type StreamBars,
} from "../../../src/dashboard/stream-bars.js";
import type { StreamSlice } from "../../../src/dashboard/task-stream.js";

interface Task {
  worker: string;
  group: string;
  start: number;
  stop: number;
}

function slice(tasks: readonly Task[]): StreamSlice {
  return {
    worker: tasks.map((t) => t.worker),
    group: tasks.map((t) => t.group),
    start: Float64Array.from(tasks, (t) => t.start),
    stop: Float64Array.from(tasks, (t) => t.stop),
    positions: tasks.map((_, i) => i),
  };
}

function bars(b: StreamBars): Bar[] {
  return b.worker.map((w, i) => ({
    worker: b.workers[w]!,
    lane: b.lane[i]!,
    group: b.groups[b.group[i]!]!,
    start: b.t0 + b.start[i]!,
    stop: b.t0 + b.start[i]! + b.duration[i]!,
    count: b.count[i]!,
  }));
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** A thread's run: [gap before, duration, group] per task, in ms. */
const threadRun = fc.array(
  fc.tuple(
    fc.double({ min: 0, max: 3, noNaN: true }),
    fc.double({ min: 0.01, max: 5, noNaN: true }),
    fc.constantFrom("a", "b"),
  ),
  { maxLength: 40 },
);

/** Workers (1 to 3 threads each) and the tasks their threads ran, in the order they stopped. */
const cluster = fc
  .array(fc.array(threadRun, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 })
  .map((workers) => {
    const tasks: Task[] = [];
    const threads = new Map<string, number>();
    workers.forEach((runs, w) => {
      threads.set(`w${w}`, runs.length);
      for (const run of runs) {
        let t = 1000;
        for (const [gap, d, group] of run) {
          const start = r2(t + gap);
          const stop = r2(start + d);
          tasks.push({ worker: `w${w}`, group, start, stop });
          t = stop;
        }
      }
    });
    tasks.sort((a, b) => a.stop - b.stop);
    return { tasks, threads };
  });

const EPS = 0.011; // the columns' rounding to 10 µs

test("bars hold every task, on lanes that never overlap, as many as ran at once", () => {
  fc.assert(
    fc.property(cluster, ({ tasks, threads }) => {
      const out = new BarMerger().merge(slice(tasks), 7, 10_000, threads);
      const got = bars(out);
      // Every task counted, once; the skipped passed on.
      assert.equal(out.tasks, tasks.length);
      assert.equal(
        got.reduce((s, b) => s + b.count, 0),
        tasks.length,
      );
      assert.equal(out.skipped, 7);
      for (const b of got)
        assert.ok(b.lane >= 0 && b.lane < Math.min(MAX_LANES, threads.get(b.worker)!));
      // Every task lies inside a bar of its worker and group.
      for (const t of tasks) {
        assert.ok(
          got.some(
            (b) =>
              b.worker === t.worker &&
              b.group === t.group &&
              b.start <= t.start + EPS &&
              b.stop >= t.stop - EPS,
          ),
          `task ${JSON.stringify(t)} in no bar`,
        );
      }
      // A bar spans no gap longer than the merge's: its worker's tasks of its group inside it
      // cover it but for gaps of MERGE_GAP_MS at most.
      for (const b of got) {
        const inside = tasks
          .filter(
            (t) =>
              t.worker === b.worker &&
              t.group === b.group &&
              t.start >= b.start - EPS &&
              t.stop <= b.stop + EPS,
          )
          .sort((x, y) => x.start - y.start);
        let reach = b.start;
        for (const t of inside) {
          assert.ok(
            t.start - reach <= MERGE_GAP_MS + EPS,
            `a gap of ${t.start - reach} ms in a bar`,
          );
          reach = Math.max(reach, t.stop);
        }
        assert.ok(Math.abs(reach - b.stop) <= EPS, "a bar past its tasks");
      }
      // One lane's bars do not overlap, and two of one group are apart by more than the gap.
      const lanes = new Map<string, Bar[]>();
      for (const b of got) {
        const k = `${b.worker}/${b.lane}`;
        lanes.set(k, [...(lanes.get(k) ?? []), b]);
      }
      for (const list of lanes.values()) {
        list.sort((a, b) => a.start - b.start);
        for (let i = 1; i < list.length; i++) {
          assert.ok(list[i]!.start >= list[i - 1]!.stop - EPS, "bars overlap on one lane");
          if (list[i]!.group === list[i - 1]!.group) {
            assert.ok(list[i]!.start - list[i - 1]!.stop > MERGE_GAP_MS - EPS, "bars not merged");
          }
        }
      }
      // Tasks that ran at once are on as many lanes: at every task's midpoint, bars of its
      // worker cover the instant on at least as many lanes as tasks of the worker ran then
      // (leniently by the rounding both ways, lanes counted once).
      for (const t of tasks) {
        const at = (t.start + t.stop) / 2;
        const running = tasks.filter(
          (u) => u.worker === t.worker && u.start < at - 1e-6 && u.stop > at + 1e-6,
        );
        const lanes = new Set(
          got
            .filter((b) => b.worker === t.worker && b.start < at + EPS && b.stop > at - EPS)
            .map((b) => b.lane),
        );
        assert.ok(lanes.size >= running.length, `${running.length} ran at ${at}`);
      }
    }),
    { numRuns: 300 },
  );
});

test("lanes stay put from one update to the next; an update keeps its newest bars", () => {
  // One worker, two threads: a long task on one, short ones on the other, reported in parts.
  const short = (i: number): Task => ({ worker: "w", group: "s", start: 10 * i, stop: 10 * i + 4 });
  const merger = new BarMerger();
  const two = new Map([["w", 2]]);
  const first = bars(merger.merge(slice([short(1), short(2)]), 0, 100, two));
  const second = bars(
    merger.merge(
      slice([short(3), { worker: "w", group: "long", start: 5, stop: 40 }]),
      0,
      100,
      two,
    ),
  );
  const shortLane = first[0]!.lane;
  assert.ok(first.every((b) => b.lane === shortLane));
  assert.equal(second.find((b) => b.group === "s")?.lane, shortLane);
  assert.notEqual(second.find((b) => b.group === "long")?.lane, shortLane);
  // Past the cap: the newest bars (by stop), the tasks of the rest counted as skipped.
  const many = Array.from({ length: 10 }, (_, i) => ({
    worker: "w",
    group: i % 2 ? "x" : "y",
    start: 100 + 10 * i,
    stop: 100 + 10 * i + 5,
  }));
  const capped = merger.merge(slice(many), 3, 4, two);
  assert.equal(capped.worker.length, 4);
  assert.equal(capped.tasks, 4);
  assert.equal(capped.skipped, 3 + 6);
  assert.deepEqual(
    bars(capped).map((b) => b.start),
    [160, 170, 180, 190],
  );
});

test("an empty run of the stream gives no bars", () => {
  const out = new BarMerger().merge(slice([]), 0, 10, new Map());
  assert.deepEqual(out.worker, []);
  assert.equal(out.tasks, 0);
  assert.equal(out.t0, 0);
});
