import assert from "node:assert/strict";
import { test } from "node:test";
import type { SchedulerEvent } from "../../../src/scheduler/protocol.js";
import {
  computes,
  finished,
  freed,
  graph,
  placed,
  release,
  removeWorker,
  scheduler,
  task,
  worker,
} from "./helpers.js";

let n = 0;
const retire = (...workers: string[]): SchedulerEvent => ({
  type: "retire-workers",
  stimulusId: `retire-${++n}`,
  workers,
});
const replicas = (worker: string, keys: string[], nbytes = 8): SchedulerEvent => ({
  type: "add-replicas",
  stimulusId: `replicas-${++n}`,
  worker,
  keys: keys.map((key) => ({ key, nbytes })),
});

/** a and b computed on w1, c on w2 (placement by the root-task queue). */
function twoWorkersWithResults() {
  const s = scheduler();
  s.handle([worker("w1"), worker("w2")]);
  const out = s.handle([graph([task("a"), task("b"), task("c")], ["a", "b", "c"])]);
  const where = new Map(computes(out).map((c) => [c.key, c.worker]));
  for (const c of computes(out)) s.handle([finished(c.worker, c.key)]);
  // Whatever was not sent at once (queued) runs now.
  for (let i = 0; i < 5; i++) {
    for (const k of ["a", "b", "c"]) {
      if (s.taskState(k) === "processing" && !where.has(k)) where.set(k, s.task(k)!.processingOn!);
    }
    for (const [k, w] of where) if (s.taskState(k) === "processing") s.handle([finished(w, k)]);
  }
  return { s, where };
}

test("retiring: the plan copies every result only the retiring worker holds, to a worker that stays", () => {
  const { s, where } = twoWorkersWithResults();
  const onW1 = [...where].filter(([, w]) => w === "w1").map(([k]) => k);
  assert.ok(onW1.length > 0, "w1 holds something");
  s.handle([retire("w1")]);
  const plan = s.replicationPlan();
  assert.deepEqual(plan.map((m) => m.key).sort(), onW1.sort());
  for (const m of plan) {
    assert.equal(m.from, "w1");
    assert.equal(m.to, "w2");
  }
  s.handle([replicas("w2", onW1)]);
  assert.deepEqual(s.replicationPlan(), []);
  const out = s.handle([removeWorker("w1", true)]);
  // Nothing is recomputed: no compute-task, every key still in memory on w2.
  assert.deepEqual(computes(out), []);
  for (const k of ["a", "b", "c"]) {
    assert.equal(s.taskState(k), "memory");
    assert.deepEqual(s.whoHas([k])[k], ["w2"]);
  }
});

test("without the copies, removing the worker would recompute (the test can fail)", () => {
  const { s, where } = twoWorkersWithResults();
  const onW1 = [...where].filter(([, w]) => w === "w1").map(([k]) => k);
  const out = s.handle([removeWorker("w1", true)]);
  assert.deepEqual(
    computes(out)
      .map((c) => c.key)
      .sort(),
    onW1.sort(),
  );
});

test("a retiring worker gets no new task; the others do", () => {
  const s = scheduler();
  s.handle([worker("w1"), worker("w2")]);
  s.handle([retire("w1")]);
  const out = s.handle([graph([task("x"), task("y"), task("z")], ["x", "y", "z"])]);
  for (const p of placed(out)) assert.match(p, /@w2$/);
  assert.ok(placed(out).length > 0);
});

test("a chain's next task avoids its input's retiring holder", () => {
  const s = scheduler();
  s.handle([worker("w1"), worker("w2")]);
  s.handle([graph([task("a")], ["a"])]);
  const w = s.task("a")!.processingOn!;
  s.handle([finished(w, "a")]);
  s.handle([retire(w)]);
  const out = s.handle([graph([task("b", ["a"])], ["b"])]);
  assert.deepEqual(placed(out), [`b@${w === "w1" ? "w2" : "w1"}`]);
});

test("a copy of a key released meanwhile is dropped from its taker", () => {
  const { s, where } = twoWorkersWithResults();
  const k = [...where].find(([, w]) => w === "w1")![0];
  s.handle([retire("w1")]);
  s.handle([release([k])]);
  const out = s.handle([replicas("w2", [k])]);
  assert.deepEqual(freed(out), [`${k}@w2`]);
});

test("with no worker left to take them, the plan is empty (closing loses the data anyway)", () => {
  const { s } = twoWorkersWithResults();
  s.handle([retire("w1", "w2")]);
  assert.deepEqual(s.replicationPlan(), []);
});

test("the story says a key's holder is retiring and where its copy went", () => {
  const { s, where } = twoWorkersWithResults();
  const k = [...where].find(([, w]) => w === "w1")![0];
  s.handle([retire("w1")]);
  s.handle([replicas("w2", [k])]);
  const notes = s.story(k).map((r) => JSON.stringify(r));
  assert.ok(notes.some((x) => x.includes("retiring")));
  assert.ok(notes.some((x) => x.includes("replica on w2")));
});
