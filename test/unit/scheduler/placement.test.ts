import assert from "node:assert/strict";
import { test } from "node:test";
import {
  computes,
  finished,
  graph,
  placed,
  release,
  removeWorker,
  scatter,
  scheduler,
  task,
  worker,
} from "./helpers.js";

test("locality: a dependent goes where most of its input bytes are", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [task("big"), task("small"), task("join", ["big", "small"])];
  const out = s.handle([graph(tasks, ["join"])]);
  assert.deepEqual(placed(out).sort(), ["big@a", "small@b"]);
  s.handle([finished("a", "big", 1_000_000)]);
  const ct = computes(s.handle([finished("b", "small", 10)]))[0];
  assert.equal(ct?.worker, "a");
  assert.deepEqual(
    ct?.deps.map((d) => [d.key, d.holders]),
    [
      ["big", ["a"]],
      ["small", ["b"]],
    ],
  );
});

test("locality: the other way round when the big input is on the other worker", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([graph([task("x"), task("y"), task("z", ["x", "y"])], ["z"])]);
  s.handle([finished("a", "x", 10)]);
  assert.equal(computes(s.handle([finished("b", "y", 5000)]))[0]?.worker, "b");
});

test("locality ties break by occupancy, then by worker id", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([scatter("a", ["x"]), scatter("b", ["x"])]); // x on both, same size
  assert.deepEqual(s.whoHas(["x"]), { x: ["a", "b"] });
  const out = s.handle([
    graph([task("d1", ["x"]), task("d2", ["x"]), task("d3", ["x"])], ["d1", "d2", "d3"]),
  ]);
  assert.deepEqual(placed(out), ["d1@a", "d2@b", "d3@a"]);
});

test("resources: a task waits in no-worker until a worker with enough of them joins", () => {
  const s = scheduler();
  s.handle([worker("cpu", 4)]);
  const t = task("train", [], { resources: { GPU: 2 } });
  assert.deepEqual(
    s.handle([graph([t], ["train"])]).map((i) => i.type),
    ["no-worker"],
  );
  assert.equal(s.taskState("train"), "no-worker");
  assert.deepEqual(s.handle([worker("small-gpu", 1, { resources: { GPU: 1 } })]), []);
  assert.equal(s.taskState("train"), "no-worker");
  const out = s.handle([worker("big-gpu", 1, { resources: { GPU: 4 } })]);
  const ct = computes(out)[0];
  assert.equal(ct?.worker, "big-gpu");
  assert.deepEqual(ct?.resources, { GPU: 2 });
  assert.equal(s.taskState("train"), "processing");
});

test("resources skip the root queue: every such task goes to a worker that has them", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("plain", 1), worker("gpu", 1, { resources: { GPU: 1 } })]);
  const tasks = Array.from({ length: 6 }, (_, i) => task(`g${i}`, [], { resources: { GPU: 1 } }));
  const out = s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.deepEqual(new Set(computes(out).map((c) => c.worker)), new Set(["gpu"]));
  assert.equal(computes(out).length, 6); // the worker enforces concurrency, not the scheduler
});

test("restrictions by id or by name; no-worker until one matches", () => {
  const s = scheduler();
  s.handle([worker("w1", 1, { name: "alpha" })]);
  const out = s.handle([
    graph(
      [task("by-name", [], { workers: ["alpha"] }), task("by-id", [], { workers: ["w2"] })],
      ["by-name", "by-id"],
    ),
  ]);
  assert.deepEqual(placed(out), ["by-name@w1"]);
  assert.equal(s.taskState("by-id"), "no-worker");
  assert.deepEqual(placed(s.handle([worker("w2")])), ["by-id@w2"]);
});

test("a restricted dependent goes to an allowed worker even if its input is elsewhere", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([
    graph([task("x", [], { workers: ["a"] }), task("y", ["x"], { workers: ["b"] })], ["y"]),
  ]);
  assert.equal(s.task("x")?.processingOn, "a");
  const ct = computes(s.handle([finished("a", "x", 1_000_000)]))[0];
  assert.equal(ct?.worker, "b");
  assert.deepEqual(ct?.deps, [{ key: "x", holders: ["a"], nbytes: 1_000_000 }]);
});

test("a restricted task whose only worker leaves goes back to no-worker", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([graph([task("t", [], { workers: ["b"] })], ["t"])]);
  assert.equal(s.task("t")?.processingOn, "b");
  assert.deepEqual(
    s.handle([removeWorker("b", true)]).map((i) => i.type),
    ["no-worker"],
  );
  assert.equal(s.taskState("t"), "no-worker");
  assert.deepEqual(placed(s.handle([worker("b")])), ["t@b"]);
  s.handle([finished("b", "t"), release(["t"])]);
  assert.equal(s.size, 0);
});

test("roots spread over the least occupied workers", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("a", 1), worker("b", 4)]);
  const tasks = Array.from({ length: 20 }, (_, i) => task(`r${i}`));
  const out = s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  // a: ceil(1.1) = 2, b: ceil(4.4) = 5 slots
  const per = new Map<string, number>();
  for (const c of computes(out)) per.set(c.worker, (per.get(c.worker) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries(per), { a: 2, b: 5 });
});

test("a worker that joins again under the same id starts empty: its old work is redone", () => {
  const s = scheduler();
  s.handle([worker("a"), graph([task("x"), task("y", ["x"])], ["y"])]);
  s.handle([finished("a", "x")]);
  assert.equal(s.taskState("y"), "processing");
  const out = s.handle([worker("a", 2)]);
  // x (lost with the old incarnation) is recomputed; y waits for it there (speculatively)
  assert.deepEqual(placed(out), ["x@a", "y@a"]);
  assert.deepEqual(computes(out)[1]?.deps, [{ key: "x", holders: ["a"], nbytes: 8 }]);
  assert.equal(s.taskState("y"), "processing");
  assert.equal(s.workers()[0]?.nthreads, 2);
  assert.equal(s.task("y")?.deaths, 0);
});

test("no-worker tasks are placed on a newcomer that can run them, in one pass", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  const tasks = Array.from({ length: 50 }, (_, i) =>
    task(`g${i}`, [], { resources: { GPU: i % 2 === 0 ? 1 : 4 } }),
  );
  s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.equal(s.counts()["no-worker"], 50);
  assert.equal(computes(s.handle([worker("g1", 1, { resources: { GPU: 1 } })])).length, 25);
  assert.equal(computes(s.handle([worker("g4", 1, { resources: { GPU: 4 } })])).length, 25);
  assert.equal(s.counts()["no-worker"], 0);
});

/** x computed on a, then `n` tasks that read it; where they are placed once x finishes. */
function fanOut(n: number, xBytes: number, config = {}): string[] {
  const s = scheduler(config);
  s.handle([worker("a"), worker("b")]);
  const tasks = [task("x"), ...Array.from({ length: n }, (_, i) => task(`d${i}`, ["x"]))];
  const out = s.handle([
    graph(
      tasks,
      tasks.slice(1).map((t) => t.key),
    ),
  ]);
  assert.deepEqual(placed(out), ["x@a"], "fan-out dependents are not speculated onto x's worker");
  assert.equal(s.taskState("d0"), "waiting");
  return placed(s.handle([finished("a", "x", xBytes)]));
}

test("a fan-out of a small input (a broadcast table) spreads over the workers by load", () => {
  const got = fanOut(6, 30_000);
  assert.deepEqual(new Set(got.map((p) => p.split("@")[1])), new Set(["a", "b"]));
  assert.equal(got.filter((p) => p.endsWith("@a")).length, 3);
});

test("a fan-out of a big input stays with its holder (moving it costs more than queueing)", () => {
  assert.deepEqual(
    fanOut(6, 1e9).map((p) => p.split("@")[1]),
    ["a", "a", "a", "a", "a", "a"],
  );
});

test("with fanOutByLoad off a fan-out goes to the input's holder", () => {
  const s = scheduler({ fanOutByLoad: false });
  s.handle([worker("a"), worker("b")]);
  const tasks = [task("x"), ...Array.from({ length: 4 }, (_, i) => task(`d${i}`, ["x"]))];
  const out = s.handle([
    graph(
      tasks,
      tasks.slice(1).map((t) => t.key),
    ),
  ]);
  // speculatively assigned behind x, all on a
  assert.deepEqual(placed(out), ["x@a", "d0@a", "d1@a", "d2@a", "d3@a"]);
});

test("two readers of one input are not a fan-out: a diamond's sides still follow their input", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [task("x"), task("l", ["x"]), task("r", ["x"])];
  assert.deepEqual(placed(s.handle([graph(tasks, ["l", "r"])])), ["x@a", "l@a", "r@a"]);
});
