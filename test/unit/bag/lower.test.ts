/**
 * The bag's plan and lowering, with no cluster: consecutive element-wise steps fuse into one
 * task per partition (with the read under them and the first step of a reduction over them),
 * an aggregation is a tree `splitEvery` wide, and plans are plain immutable data.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as bb from "../../../src/bag.js";
import { lowerKeys, newContext } from "../../../src/collections/bag/lower.js";
import { bagOps } from "../../../src/collections/bag/ops.js";
import type { TaskNode } from "../../../src/graph/spec.js";

function lowered(bag: bb.Bag<unknown>) {
  const ctx = newContext("t");
  const keys = lowerKeys(bag.plan, ctx);
  const tasks = [...ctx.graph.values()].filter((n): n is TaskNode => n.kind === "task");
  return { keys, tasks, graph: ctx.graph };
}

test("map, filter, flatMap and pluck fuse into one task per partition", () => {
  const b = bb
    .fromSequence([{ a: 1 }, { a: 2 }, { a: 3 }], { npartitions: 3 })
    .map((x) => ({ a: x.a + 1 }))
    .filter((x) => x.a > 2)
    .flatMap((x) => [x, x])
    .pluck("a");
  assert.equal(b.plan.kind, "steps");
  const { keys, tasks } = lowered(b as bb.Bag<unknown>);
  assert.equal(keys.length, 3);
  assert.equal(tasks.length, 3);
  for (const t of tasks) {
    assert.equal(t.fn, bagOps.run);
    assert.deepEqual(
      (t.args[1] as { op: string }[]).map((s) => s.op),
      ["map", "filter", "flatMap", "pluck"],
    );
  }
});

test("a read, its steps and a reduction's partial are one task per block, then a tree", () => {
  const dir = mkdtempSync(join(tmpdir(), "barn-bag-lower-"));
  for (let f = 0; f < 20; f++) writeFileSync(join(dir, `f${f}.jsonl`), '{"u":"a","k":"click"}\n');
  const b = bb
    .readJsonLines<{ u: string; k: string }>(join(dir, "*.jsonl"))
    .filter((e) => e.k === "click")
    .pluck("u")
    .frequencies({ splitEvery: 4 });
  const { keys, tasks } = lowered(b as bb.Bag<unknown>);
  assert.equal(keys.length, 1);
  const runs = tasks.filter((t) => t.fn === bagOps.run);
  assert.equal(runs.length, 20);
  for (const t of runs) {
    assert.equal((t.args[0] as { kind: string }).kind, "jsonl");
    assert.deepEqual((t.args[2] as { kind: string }).kind, "agg");
  }
  // 20 partials -> 5 combines of 4 -> 2 combines -> finish.
  assert.equal(tasks.filter((t) => t.fn === bagOps.combineAgg).length, 5 + 2);
  assert.equal(tasks.filter((t) => t.fn === bagOps.finishAgg).length, 1);
  rmSync(dir, { recursive: true, force: true });
});

test("methods return new bags and leave the plan they started from as it was", () => {
  const a = bb.fromSequence([1, 2, 3]);
  const before = JSON.stringify(a.plan);
  const b = a.map((x) => x + 1);
  a.filter((x) => x > 1);
  assert.notEqual(a, b);
  assert.equal(JSON.stringify(a.plan), before);
  assert.equal(a.plan.kind, "source");
});

test("options are checked where they are given", () => {
  const b = bb.fromSequence([1]);
  assert.throws(() => bb.fromSequence([1], { npartitions: 0 }), { code: "BARN_INVALID_OPTION" });
  assert.throws(() => b.repartition(1.5), { code: "BARN_INVALID_OPTION" });
  assert.throws(() => b.topk(-1), { code: "BARN_INVALID_OPTION" });
  assert.throws(() => b.frequencies({ sort: true, splitEvery: 1 }), /splitEvery/);
  assert.throws(() => b.count({ spliteEvery: 2 } as never), /spliteEvery/);
  assert.throws(() => b.zip(bb.fromSequence([1, 2], { npartitions: 2 })), /partitions/);
  assert.throws(() => b.map(3 as never), { code: "BARN_INVALID_OPTION" });
});
