/**
 * Choosing and lowering the P2P shuffle: `shuffle: "p2p" | "tasks"` forces either, the planner
 * picks P2P from P2P_MIN_PARTITIONS input partitions, explain names the choice and why, and a
 * P2P shuffle lowers to O(n + m) tasks (a transfer per input, an output task per partition) where
 * the task shuffle's outputs each read all n splits. The same holds for a repartition by key
 * (`shuffle(on)`, `repartition(n, { on })`) and a groupby with splitOut.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { optimize } from "../../../src/collections/frame/optimize/index.js";
import type { PhysicalNode } from "../../../src/collections/frame/physical/nodes.js";
import {
  P2P_MIN_PARTITIONS,
  physicalPlan,
} from "../../../src/collections/frame/physical/planner.js";
import { graphOfPlan } from "../../../src/collections/frame/run.js";
import { resetConfig } from "../../../src/config/load.js";
import * as bf from "../../../src/frame.js";
import { ErrorCodes } from "../../../src/index.js";
import { isWorkerBound } from "../../../src/protocol/shuffle.js";

const rows = Array.from({ length: 200 }, (_, i) => ({ k: i % 13, v: i }));
const frame = (n: number) => bf.fromRecords(rows, { npartitions: n });

function shuffles(p: PhysicalNode): PhysicalNode[] {
  const out: PhysicalNode[] = [];
  const walk = (q: PhysicalNode): void => {
    if (q.kind === "hashShuffle" || q.kind === "rangeShuffle" || q.kind === "splitAggregate")
      out.push(q);
    if (q.kind === "shuffleJoin") {
      walk(q.left);
      walk(q.right);
    } else if ("input" in q) walk(q.input);
  };
  walk(p);
  return out;
}
const methods = (df: { readonly plan: bf.Plan }) =>
  shuffles(physicalPlan(optimize(df.plan))).map((s) => (s as { method: string }).method);

test("merge and sortValues take shuffle: p2p or tasks, and explain says which and why", () => {
  const m = frame(4).merge(frame(3), { on: "k", broadcast: false, shuffle: "p2p" });
  assert.deepEqual(methods(m), ["p2p", "p2p"]);
  assert.match(m.explain({ physical: true }), /shuffle=hash \(p2p: shuffle: "p2p" was given\)/);
  const s = frame(4).sortValues("v", { shuffle: "p2p" });
  assert.deepEqual(methods(s), ["p2p"]);
  assert.match(s.explain({ physical: true }), /shuffle=range \(p2p: shuffle: "p2p" was given;/);
  const big = frame(P2P_MIN_PARTITIONS);
  assert.deepEqual(methods(big.sortValues("v", { shuffle: "tasks" })), ["tasks"]);
});

test("left to the planner: tasks for few partitions, P2P from P2P_MIN_PARTITIONS", () => {
  assert.deepEqual(methods(frame(4).sortValues("v")), ["tasks"]);
  assert.deepEqual(methods(frame(P2P_MIN_PARTITIONS).sortValues("v")), ["p2p"]);
  const half = P2P_MIN_PARTITIONS / 2;
  const m = frame(half).merge(frame(half), { on: "k", broadcast: false });
  assert.deepEqual(methods(m), ["p2p", "p2p"]);
  assert.match(
    m.explain({ physical: true }),
    new RegExp(`p2p: ${P2P_MIN_PARTITIONS} input partitions`),
  );
});

test("the frame.shuffle setting (BARN_FRAME_SHUFFLE) is the default; an option overrides it", () => {
  process.env.BARN_FRAME_SHUFFLE = "p2p";
  resetConfig();
  try {
    assert.deepEqual(methods(frame(4).sortValues("v")), ["p2p"]);
    assert.deepEqual(methods(frame(4).setIndex("v")), ["p2p"]);
    assert.deepEqual(methods(frame(4).merge(frame(3), { on: "k", broadcast: false })), [
      "p2p",
      "p2p",
    ]);
    assert.deepEqual(methods(frame(4).sortValues("v", { shuffle: "tasks" })), ["tasks"]);
  } finally {
    delete process.env.BARN_FRAME_SHUFFLE;
    resetConfig();
  }
  assert.deepEqual(methods(frame(4).sortValues("v")), ["tasks"]);
});

test("a bad shuffle option is an OptionError naming the choices", () => {
  assert.throws(
    () => frame(2).sortValues("v", { shuffle: "disk" as never }),
    (e: Error & { code?: string }) =>
      e.code === ErrorCodes.INVALID_OPTION && /"p2p" or "tasks"/.test(e.message),
  );
  assert.throws(
    () => frame(2).merge(frame(2), { on: "k", shuffle: 1 as never }),
    /shuffle must be "p2p" or "tasks"/,
  );
});

test("a P2P shuffle is n transfer tasks (bound to their worker) and m output tasks", () => {
  const n = 20;
  const { graph } = graphOfPlan(frame(n).sortValues("v", { shuffle: "p2p" }).plan);
  const keys = [...graph.keys()];
  const transfers = keys.filter(isWorkerBound);
  const unpacks = keys.filter((k) => k.startsWith("p2p-unpack-"));
  assert.equal(transfers.length, n);
  assert.equal(unpacks.length, n);
  assert.ok(!keys.some((k) => k.startsWith("range-split-")), "no task splits");
});

test("shuffle(on), repartition by key and groupby splitOut take shuffle: p2p or tasks", () => {
  const s = frame(4).shuffle("k", { shuffle: "p2p" });
  assert.deepEqual(methods(s), ["p2p"]);
  assert.match(
    s.explain({ physical: true }),
    /shuffle=hash \(p2p: shuffle: "p2p" was given\) by \[k\]/,
  );
  const r = frame(4).repartition(3, { on: ["k", "v"], shuffle: "p2p" });
  assert.deepEqual(methods(r), ["p2p"]);
  assert.equal(r.npartitions, 3);
  assert.match(r.explain({ physical: true }), /shuffle=hash \(p2p: [^)]*\) by \[k, v\]/);
  assert.match(r.explain(), /repartition on \[k, v\]/);
  const g = frame(4).groupby("k").agg({ v: "sum" }, { splitOut: 3, shuffle: "p2p" });
  assert.deepEqual(methods(g), ["p2p"]);
  assert.match(
    g.explain({ physical: true }),
    /split-out aggregate {2}shuffle=hash \(p2p: shuffle: "p2p" was given; of partial states\)/,
  );
  const big = frame(P2P_MIN_PARTITIONS);
  assert.deepEqual(methods(big.shuffle("k", { shuffle: "tasks" })), ["tasks"]);
  assert.deepEqual(methods(big.repartition(4, { on: "k", shuffle: "tasks" })), ["tasks"]);
  const tasksAgg = big.groupby("k").size({ splitOut: 2, shuffle: "tasks" });
  assert.deepEqual(methods(tasksAgg), ["tasks"]);
  assert.match(
    tasksAgg.explain({ physical: true }),
    /shuffle=hash \(tasks: shuffle: "tasks" was given;/,
  );
  // A plain repartition by count shuffles nothing.
  assert.deepEqual(methods(big.repartition(4)), []);
  // splitOut 1 is a tree reduction: no shuffle to choose.
  assert.deepEqual(methods(big.groupby("k").agg({ v: "sum" }, { shuffle: "p2p" })), []);
});

test("left to the planner, repartition by key and splitOut go P2P from P2P_MIN_PARTITIONS", () => {
  const below = frame(P2P_MIN_PARTITIONS - 1);
  const at = frame(P2P_MIN_PARTITIONS);
  assert.deepEqual(methods(below.shuffle("k")), ["tasks"]);
  assert.deepEqual(methods(at.shuffle("k")), ["p2p"]);
  assert.deepEqual(methods(below.repartition(64, { on: "k" })), ["tasks"]);
  // The count of input partitions decides, not the output's.
  assert.deepEqual(methods(at.repartition(2, { on: "k" })), ["p2p"]);
  assert.deepEqual(methods(below.groupby("k").agg({ v: "mean" }, { splitOut: 4 })), ["tasks"]);
  const g = at.groupby("k").agg({ v: "mean" }, { splitOut: 4 });
  assert.deepEqual(methods(g), ["p2p"]);
  assert.match(
    g.explain({ physical: true }),
    new RegExp(`p2p: ${P2P_MIN_PARTITIONS} input partitions \\(P2P from ${P2P_MIN_PARTITIONS}\\)`),
  );
  assert.match(
    below.shuffle("k").explain({ physical: true }),
    new RegExp(`tasks: ${P2P_MIN_PARTITIONS - 1} input partitions`),
  );
  // shuffle(on) keeps the frame's partition count unless told.
  assert.equal(below.shuffle("k").npartitions, P2P_MIN_PARTITIONS - 1);
  assert.equal(below.shuffle("k", { npartitions: 5 }).npartitions, 5);
});

test("frame.shuffle (BARN_FRAME_SHUFFLE) is the default of shuffle(on) and splitOut", () => {
  process.env.BARN_FRAME_SHUFFLE = "p2p";
  resetConfig();
  try {
    assert.deepEqual(methods(frame(4).shuffle("k")), ["p2p"]);
    assert.deepEqual(methods(frame(4).repartition(2, { on: "k" })), ["p2p"]);
    assert.deepEqual(methods(frame(4).groupby("k").agg({ v: "sum" }, { splitOut: 2 })), ["p2p"]);
    assert.deepEqual(methods(frame(4).shuffle("k", { shuffle: "tasks" })), ["tasks"]);
  } finally {
    delete process.env.BARN_FRAME_SHUFFLE;
    resetConfig();
  }
  assert.deepEqual(methods(frame(4).groupby("k").agg({ v: "sum" }, { splitOut: 2 })), ["tasks"]);
});

test("bad repartition-by-key and splitOut options are OptionErrors that name the fix", () => {
  const isOption = (re: RegExp) => (e: Error & { code?: string }) =>
    e.code === ErrorCodes.INVALID_OPTION && re.test(e.message);
  assert.throws(
    () => frame(2).shuffle("k", { shuffle: "disk" as never }),
    isOption(/"p2p" or "tasks"/),
  );
  assert.throws(
    () =>
      frame(2)
        .groupby("k")
        .agg({ v: "sum" }, { splitOut: 2, shuffle: "x" as never }),
    isOption(/agg: shuffle must be "p2p" or "tasks"/),
  );
  assert.throws(() => frame(2).repartition(2, { shuffle: "p2p" }), isOption(/give \{ on: column/));
  assert.throws(() => frame(2).shuffle([]), isOption(/at least one column/));
  assert.throws(() => frame(2).shuffle("k", { npartitions: 0 }), isOption(/npartitions/));
  assert.throws(() => frame(2).repartition(0, { on: "k" }), isOption(/repartition\(n\)/));
  assert.throws(() => frame(2).shuffle("nope" as never), /nope/);
  assert.throws(() => frame(2).repartition(2, { on: "k", by: "k" } as never), /by/);
});

test("P2P repartition by key and splitOut lower to n transfers and m output tasks", () => {
  const n = 20;
  const m = 6;
  const count = (df: { readonly plan: bf.Plan }) => {
    const keys = [...graphOfPlan(df.plan).graph.keys()];
    return {
      transfers: keys.filter(isWorkerBound).length,
      unpacks: keys.filter((k) => k.startsWith("p2p-unpack-")).length,
      splits: keys.filter((k) => /^(hash-split|agg-split|agg-pick)/.test(k)).length,
    };
  };
  assert.deepEqual(count(frame(n).shuffle("k", { npartitions: m, shuffle: "p2p" })), {
    transfers: n,
    unpacks: m,
    splits: 0,
  });
  assert.deepEqual(
    count(frame(n).groupby("k").agg({ v: "sum" }, { splitOut: m, shuffle: "p2p" })),
    { transfers: n, unpacks: m, splits: 0 },
  );
  const tasks = count(frame(n).groupby("k").agg({ v: "sum" }, { splitOut: m, shuffle: "tasks" }));
  assert.equal(tasks.transfers, 0);
  assert.ok(tasks.splits >= n, "the task shuffle splits every partial");
});

test("on a typed frame, shuffle(on) and repartition by key keep the row type and check `on`", async () => {
  type T = { k: number; v: number };
  const typed = bf.fromRecords<T>(rows, { npartitions: 3 });
  const s: bf.DataFrame<T> = typed.shuffle("k", { npartitions: 2 });
  const r: bf.DataFrame<T> = typed.repartition(2, { on: ["k", "v"] });
  // @ts-expect-error "kk" is not a column
  assert.throws(() => typed.shuffle("kk"), /kk/);
  // @ts-expect-error nor in a repartition's `on`
  assert.throws(() => typed.repartition(2, { on: ["kk"] }), /kk/);
  const sync = { scheduler: "sync" } as const;
  for (const df of [s, r]) {
    const got = await df.toRecords(sync);
    assert.equal(got.length, rows.length);
    assert.deepEqual(
      got.map((x) => x.v).sort((a, b) => a - b),
      rows.map((x) => x.v),
    );
  }
});
