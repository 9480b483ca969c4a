import assert from "node:assert/strict";
import { test } from "node:test";
import type { TaskFinished } from "../../../src/scheduler/protocol.js";
import {
  computes,
  desire,
  finished,
  freed,
  graph,
  inMemory,
  placed,
  release,
  scheduler,
  task,
  worker,
} from "./helpers.js";

test("one task: submit, compute, report, release, forget", () => {
  const s = scheduler();
  assert.deepEqual(s.handle([worker("w1")]), []);
  const out = s.handle([graph([task("x")], ["x"], "c1", "submit-x")]);
  assert.equal(out.length, 1);
  const ct = computes(out)[0]!;
  assert.equal(ct.worker, "w1");
  assert.equal(ct.key, "x");
  assert.deepEqual(ct.run, { fn: "x" });
  assert.deepEqual(ct.deps, []);
  assert.deepEqual(ct.priority, [0, 1, 0]);
  assert.equal(ct.stimulusId, "submit-x");
  assert.equal(s.taskState("x"), "processing");

  const done = s.handle([finished("w1", "x", 64, 0.01, "fin-x")]);
  assert.deepEqual(done, [
    {
      type: "key-in-memory",
      client: "c1",
      key: "x",
      holders: ["w1"],
      nbytes: 64,
      stimulusId: "fin-x",
    },
  ]);
  assert.equal(s.taskState("x"), "memory");
  assert.deepEqual(s.whoHas(["x"]), { x: ["w1"] });
  assert.equal(s.workers()[0]!.nbytes, 64);

  const rel = s.handle([release(["x"])]);
  assert.deepEqual(freed(rel), ["x@w1"]);
  assert.equal(s.taskState("x"), "forgotten");
  assert.equal(s.size, 0);
  assert.deepEqual(
    s.story("x").map((r) => `${r.from}->${r.to}`),
    [
      "released->queued",
      "queued->processing",
      "processing->memory",
      "memory->released",
      "released->forgotten",
    ],
  );
});

test("story records the stimulus id and the clock of every transition", () => {
  const s = scheduler({ speculativeAssignment: false });
  s.handle([worker("w1"), graph([task("a"), task("b", ["a"])], ["b"], "c1", "S1")]);
  s.handle([finished("w1", "a", 8, 0.001, "S2")]);
  const story = s.story("b");
  assert.deepEqual(
    story.map((r) => [r.from, r.to, r.stimulusId]),
    [
      ["released", "waiting", "S1"],
      ["waiting", "processing", "S2"],
    ],
  );
  assert.ok(story[1]!.time > story[0]!.time);
  assert.deepEqual(s.story("a").at(-1)?.stimulusId, "S2");
  assert.deepEqual(s.story("nope"), []);
});

test("diamond: the sink runs once both sides are in memory, where the inputs are", () => {
  const s = scheduler({ speculativeAssignment: false }); // speculated: speculation.test.ts
  s.handle([worker("w1", 2)]);
  const tasks = [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])];
  assert.deepEqual(placed(s.handle([graph(tasks, ["d"])])), ["a@w1"]);
  assert.deepEqual(placed(s.handle([finished("w1", "a")])).sort(), ["b@w1", "c@w1"]);
  const afterB = s.handle([finished("w1", "b")]);
  assert.deepEqual(computes(afterB), []);
  assert.equal(s.taskState("d"), "waiting");
  const afterC = s.handle([finished("w1", "c")]);
  const [ct] = computes(afterC);
  assert.equal(ct?.key, "d");
  assert.deepEqual(
    ct?.deps.map((d) => [d.key, d.holders]),
    [
      ["b", ["w1"]],
      ["c", ["w1"]],
    ],
  );
  // a was released as soon as both its dependents were done
  assert.equal(s.taskState("a"), "released");
  const fin = s.handle([finished("w1", "d")]);
  assert.deepEqual(freed(fin), ["b@w1", "c@w1"]);
  assert.deepEqual(
    inMemory(fin).map((m) => m.key),
    ["d"],
  );
  assert.deepEqual(s.counts(), {
    released: 3,
    waiting: 0,
    queued: 0,
    "no-worker": 0,
    processing: 0,
    memory: 1,
    erred: 0,
    forgotten: 0,
  });
  s.handle([release(["d"])]);
  assert.equal(s.size, 0);
});

test("a chain runs step by step: each finish places the next task in the same handle()", () => {
  const s = scheduler({ speculativeAssignment: false }); // speculated: speculation.test.ts
  s.handle([worker("w1"), worker("w2")]);
  const n = 50;
  const tasks = Array.from({ length: n }, (_, i) => task(`t${i}`, i === 0 ? [] : [`t${i - 1}`]));
  let out = s.handle([graph(tasks, [`t${n - 1}`])]);
  for (let i = 0; i < n; i++) {
    const [ct] = computes(out);
    assert.equal(ct?.key, `t${i}`);
    out = s.handle([finished(ct.worker, ct.key)]);
    if (i > 0) assert.deepEqual(freed(out), [`t${i - 1}@${ct.worker}`]);
  }
  assert.deepEqual(
    inMemory(out).map((m) => m.key),
    [`t${n - 1}`],
  );
  assert.equal(s.size, n);
  s.handle([release([`t${n - 1}`])]);
  assert.equal(s.size, 0);
});

test("a key already in memory is reported at once and not recomputed", () => {
  const s = scheduler();
  s.handle([worker("w1"), graph([task("x")], ["x"])]);
  s.handle([finished("w1", "x")]);
  const again = s.handle([graph([task("x", [], { run: "other" })], ["x"], "c2")]);
  assert.deepEqual(
    again.map((i) => i.type),
    ["key-in-memory"],
  );
  assert.equal(inMemory(again)[0]?.client, "c2");
  // c1 releases: c2 still holds it
  assert.deepEqual(freed(s.handle([release(["x"], "c1")])), []);
  assert.equal(s.taskState("x"), "memory");
  assert.deepEqual(freed(s.handle([release(["x"], "c2")])), ["x@w1"]);
  assert.equal(s.taskState("x"), "forgotten");
});

test("reference counting is per client, set semantics: one release drops a client's hold", () => {
  const s = scheduler();
  s.handle([worker("w1"), graph([task("x")], ["x"])]);
  s.handle([graph([task("x")], ["x"])]); // the same client submits the key again
  s.handle([finished("w1", "x")]);
  assert.deepEqual(freed(s.handle([release(["x"])])), ["x@w1"]);
  assert.equal(s.size, 0);
});

test("unwanted tasks of a submission are forgotten straight away", () => {
  const s = scheduler();
  s.handle([worker("w1")]);
  const out = s.handle([graph([task("a"), task("b", ["a"]), task("z")], ["a"])]);
  assert.deepEqual(placed(out), ["a@w1"]);
  assert.equal(s.taskState("b"), "forgotten");
  assert.equal(s.taskState("z"), "forgotten");
});

test("desires on an unknown key answers key-cancelled", () => {
  const s = scheduler();
  s.handle([worker("w1")]);
  const out = s.handle([desire(["ghost"], "c9")]);
  assert.deepEqual(
    out.map((i) => [i.type, "client" in i ? i.client : "", "key" in i ? i.key : ""]),
    [["key-cancelled", "c9", "ghost"]],
  );
});

test("a released intermediate is computed again when a client wants it later", () => {
  const s = scheduler();
  s.handle([worker("w1"), graph([task("a"), task("b", ["a"])], ["b"])]);
  s.handle([finished("w1", "a")]);
  s.handle([finished("w1", "b")]);
  assert.equal(s.taskState("a"), "released");
  const out = s.handle([desire(["a"])]);
  assert.deepEqual(placed(out), ["a@w1"]);
  assert.deepEqual(
    inMemory(s.handle([finished("w1", "a")])).map((m) => m.key),
    ["a"],
  );
  s.handle([release(["a", "b"])]);
  assert.equal(s.size, 0);
});

test("a finished event is marked with the group its task was counted in; a stale one is not", () => {
  const s = scheduler();
  s.handle([worker("w1"), graph([task("inc-1", [], { group: "adder" })], ["inc-1"])]);
  const ev = finished("w1", "inc-1") as TaskFinished;
  s.handle([ev]);
  assert.equal(ev.group, "adder");
  assert.equal(s.groupOf("inc-1"), "adder");
  // Again, from a worker that no longer runs it: nothing counted, nothing marked.
  const stale = finished("w1", "inc-1", 8, 0.001, "again", 999) as TaskFinished;
  s.handle([stale]);
  assert.equal(stale.group, undefined);
});
