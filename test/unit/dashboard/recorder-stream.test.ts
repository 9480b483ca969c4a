/**
 * The recorder's task stream: a ring of columns fed a report at a time. Cursors, the newest
 * entries first when a reader fell behind, entries dropped past the capacity and the group
 * totals, against a plain list kept beside it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Recorder } from "../../../src/dashboard/recorder.js";
import type { StreamEntry, StreamSlice } from "../../../src/dashboard/task-stream.js";
import { channels, type TasksFinishedEvent } from "../../../src/diagnostics/channels.js";

function report(scheduler: string, worker: string, from: number, n: number): TasksFinishedEvent {
  const keys = Array.from({ length: n }, (_, i) => `k-${from + i}`);
  return {
    scheduler,
    worker,
    keys,
    groups: keys.map((_, i) => ((from + i) % 3 === 0 ? "a" : "b")),
    start: Float64Array.from(keys, (_, i) => 1000 + from + i),
    stop: Float64Array.from(keys, (_, i) => 1000 + from + i + 0.5),
    nbytes: Float64Array.from(keys, (_, i) => from + i),
  };
}

test("the stream keeps the newest entries, in order, across the ring's end", () => {
  const rec = new Recorder("s1", { tasks: 7 });
  rec.start();
  try {
    const all: StreamEntry[] = [];
    let next = 0;
    for (const n of [3, 0, 5, 1, 9, 2]) {
      const e = report("s1", `w${next % 2}`, next, n);
      channels.tasksFinished.publish(e);
      channels.tasksFinished.publish(report("other", "w9", 999, 4)); // another scheduler's
      for (const [i, key] of e.keys.entries()) {
        all.push({
          worker: e.worker,
          key,
          group: e.groups[i]!,
          start: e.start[i]!,
          stop: e.stop[i]!,
          nbytes: e.nbytes[i]!,
        });
      }
      next += n;
      assert.equal(rec.seq, all.length);
      assert.deepEqual(rec.tasks.entries(), all.slice(-7));
    }
    // A cursor within what is kept gets everything after it.
    const since = rec.tasksSince(all.length - 4);
    assert.equal(since.skipped, 0);
    const read = (slice: StreamSlice) =>
      slice.positions.map((p) => ({
        worker: slice.worker[p],
        group: slice.group[p],
        start: slice.start[p],
        stop: slice.stop[p],
      }));
    const pick = (ts: StreamEntry[]) =>
      ts.map((t) => ({ worker: t.worker, group: t.group, start: t.start, stop: t.stop }));
    assert.deepEqual(read(since.tasks), pick(all.slice(-4)));
    // A reader that fell behind gets the newest `max`, and is told how many it missed.
    const behind = rec.tasksSince(2, 3);
    assert.equal(behind.skipped, all.length - 2 - 3);
    assert.deepEqual(read(behind.tasks), pick(all.slice(-3)));
    // Totals count every task, including those the ring no longer holds.
    const a = all.filter((t) => t.group === "a");
    assert.equal(rec.groups.get("a")?.finished, a.length);
    assert.equal(
      rec.groups.get("a")?.nbytes,
      a.reduce((s, t) => s + t.nbytes, 0),
    );
    assert.equal(rec.groups.get("b")?.finished, all.length - a.length);
  } finally {
    rec.stop();
  }
});

test("an empty stream and a cursor at its end give no entries", () => {
  const rec = new Recorder("s2");
  assert.deepEqual(rec.tasks.entries(), []);
  const none = rec.tasksSince(0);
  assert.equal(none.skipped, 0);
  assert.deepEqual(none.tasks.positions, []);
  rec.start();
  try {
    channels.tasksFinished.publish(report("s2", "w", 0, 2));
    assert.deepEqual(rec.tasksSince(rec.seq).tasks.positions, []);
  } finally {
    rec.stop();
  }
});

test("a stream that keeps no keys (the dashboard's) gives the same slices and holds no key", () => {
  const withKeys = new Recorder("s3", { tasks: 5 });
  const without = new Recorder("s3", { tasks: 5, keys: false });
  withKeys.start();
  without.start();
  try {
    for (const [from, n] of [
      [0, 3],
      [3, 4],
    ] as const) {
      channels.tasksFinished.publish(report("s3", `w${from}`, from, n));
    }
    const read = (rec: Recorder) => {
      const { tasks, skipped } = rec.tasksSince(1);
      const rows = tasks.positions.map((p) => [tasks.worker[p], tasks.group[p], tasks.start[p]]);
      return { rows, skipped };
    };
    assert.deepEqual(read(without), read(withKeys));
    assert.equal(read(without).rows.length, 5);
    assert.deepEqual(without.groups, withKeys.groups);
    assert.equal(withKeys.tasks.entries()[4]?.key, "k-6");
    assert.throws(() => without.tasks.entries(), {
      code: "BARN_INTERNAL",
      message: /keeps no keys/,
    });
  } finally {
    withKeys.stop();
    without.stop();
  }
});
