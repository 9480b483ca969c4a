/**
 * Choosing and lowering the P2P shuffle: `shuffle: "p2p" | "tasks"` forces either, the planner
 * picks P2P from P2P_MIN_PARTITIONS input partitions, explain names the choice and why, and a
 * P2P shuffle lowers to O(n + m) tasks (a transfer per input, an output task per partition) where
 * the task shuffle's outputs each read all n splits.
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
    if (q.kind === "hashShuffle" || q.kind === "rangeShuffle") out.push(q);
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
