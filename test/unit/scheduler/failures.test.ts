import assert from "node:assert/strict";
import { test } from "node:test";
import {
  computes,
  erred,
  erreds,
  finished,
  freed,
  graph,
  inMemory,
  missing,
  placed,
  release,
  removeWorker,
  scheduler,
  task,
  worker,
} from "./helpers.js";

test("retries: a failing task runs again until its retries are spent, then errs", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph([task("flaky", [], { retries: 2 })], ["flaky"])]);
  for (let i = 0; i < 2; i++) {
    const out = s.handle([erred("a", "flaky")]);
    // the failed attempt is freed on the worker before the new compute-task
    assert.deepEqual(
      out.map((x) => x.type),
      ["free-keys", "compute-task"],
    );
    assert.equal(s.taskState("flaky"), "processing");
  }
  const last = s.handle([erred("a", "flaky", "third time")]);
  assert.deepEqual(freed(last), ["flaky@a"]);
  const [e] = erreds(last);
  assert.equal(e?.key, "flaky");
  assert.equal(e?.error.message, "third time");
  assert.equal(e?.error.key, "flaky");
  assert.equal(s.taskState("flaky"), "erred");
  assert.deepEqual(s.handle([release(["flaky"])]), []);
  assert.equal(s.size, 0);
});

test("a retry that succeeds reports the result", () => {
  const s = scheduler();
  s.handle([worker("a"), graph([task("x", [], { retries: 1 })], ["x"])]);
  s.handle([erred("a", "x")]);
  assert.deepEqual(
    inMemory(s.handle([finished("a", "x")])).map((m) => m.key),
    ["x"],
  );
});

test("an error propagates to every dependent and to the clients that want them", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  const tasks = [task("x"), task("y", ["x"]), task("z", ["y"]), task("w", ["x"]), task("ok")];
  s.handle([graph(tasks, ["z", "w", "ok"], "c1"), graph([], ["y"], "c2")]);
  const out = s.handle([erred("a", "x", "bad input")]);
  const got = erreds(out).map((e) => [e.client, e.key, e.error.key, e.error.message]);
  // each dependent errs with x's error: the data names x, the task that failed
  assert.deepEqual(got.sort(), [
    ["c1", "w", "x", "bad input"],
    ["c1", "z", "x", "bad input"],
    ["c2", "y", "x", "bad input"],
  ]);
  for (const k of ["x", "y", "z", "w"]) assert.notEqual(s.taskState(k), "waiting");
  assert.equal(s.taskState("z"), "erred");
  assert.equal(s.taskState("ok"), "processing");
  // a new task on top of an erred one errs at once; resubmitting an erred key reports it
  const more = s.handle([graph([task("v", ["z"]), task("z")], ["v", "z"], "c3")]);
  assert.deepEqual(
    erreds(more)
      .map((e) => e.key)
      .sort(),
    ["v", "z"],
  );
  s.handle([release(["z", "w", "ok"], "c1"), release(["y"], "c2"), release(["v", "z"], "c3")]);
  assert.equal(s.size, 0); // ok was still processing: it is freed on its worker
  assert.equal(s.taskState("ok"), "forgotten");
});

test("KilledWorker: a task that was running on allowedFailures + 1 dying workers errs", () => {
  const s = scheduler({ allowedFailures: 1 });
  s.handle([worker("a"), worker("b"), worker("c")]);
  s.handle([graph([task("crash"), task("after", ["crash"])], ["after"])]);
  const w1 = s.task("crash")?.processingOn ?? "";
  const out1 = s.handle([removeWorker(w1)]);
  const w2 = computes(out1)[0]?.worker ?? "";
  assert.notEqual(w2, w1);
  assert.equal(s.task("crash")?.deaths, 1);
  const out2 = s.handle([removeWorker(w2)]);
  // crash erred; its error went to its dependent, and then nobody needed it any more
  assert.deepEqual(
    s.story("crash").map((r) => `${r.from}->${r.to}`),
    [
      "released->queued",
      "queued->processing",
      "processing->waiting",
      "waiting->queued",
      "queued->processing",
      "processing->erred",
      "erred->released",
    ],
  );
  assert.equal(s.taskState("after"), "erred");
  const [e] = erreds(out2);
  assert.equal(e?.key, "after");
  assert.equal(e?.error.code, "BARN_KILLED_WORKER");
  assert.match(e?.error.message ?? "", /task crash was running on 2 workers that died/);
  assert.match(e?.error.message ?? "", /allowedFailures/);
  assert.match(e?.error.message ?? "", /memory/);
});

test("an expected worker removal does not count as a death", () => {
  const s = scheduler({ allowedFailures: 0 });
  s.handle([worker("a"), worker("b"), graph([task("t", [], { workers: ["a", "b"] })], ["t"])]);
  const w = s.task("t")?.processingOn ?? "";
  const out = s.handle([removeWorker(w, true)]);
  assert.equal(computes(out).length, 1);
  assert.equal(s.task("t")?.deaths, 0);
});

test("worker death mid-graph: lost results are recomputed from lineage", () => {
  const s = scheduler({ speculativeAssignment: false }); // step by step (speculation.test.ts)
  s.handle([worker("a"), worker("b")]);
  // a -> b -> c (chain on worker a); d is independent on worker b; e needs c and d
  const tasks = [
    task("a1"),
    task("a2", ["a1"]),
    task("a3", ["a2"]),
    task("d", [], { workers: ["b"] }),
    task("e", ["a3", "d"], { workers: ["b"] }),
  ];
  s.handle([graph(tasks, ["e"])]);
  s.handle([finished("a", "a1"), finished("b", "d", 8)]);
  s.handle([finished("a", "a2")]);
  assert.equal(s.taskState("a1"), "released"); // freed: nobody needs it any more
  const out = s.handle([finished("a", "a3", 8)]);
  assert.deepEqual(placed(out), ["e@b"]);
  // Worker a dies before e fetched a3: a3 is lost, a2 and a1 were released long ago.
  const death = s.handle([removeWorker("a")]);
  // e is rescheduled (b is told to drop its attempt); a1 is recomputed on b, the only worker
  assert.deepEqual(freed(death), ["e@b"]);
  assert.deepEqual(placed(death), ["a1@b"]);
  assert.equal(s.taskState("e"), "waiting");
  assert.equal(s.taskState("a3"), "waiting");
  assert.equal(s.taskState("a2"), "waiting");
  assert.deepEqual(placed(s.handle([finished("b", "a1")])), ["a2@b"]);
  assert.deepEqual(placed(s.handle([finished("b", "a2")])), ["a3@b"]);
  const again = s.handle([finished("b", "a3")]);
  const ct = computes(again)[0];
  assert.equal(ct?.key, "e");
  assert.deepEqual(
    ct?.deps.map((d) => [d.key, d.holders]),
    [
      ["a3", ["b"]],
      ["d", ["b"]],
    ],
  );
  assert.deepEqual(
    inMemory(s.handle([finished("b", "e")])).map((m) => m.key),
    ["e"],
  );
});

test("a wanted result lost with its worker is recomputed and reported again", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b"), graph([task("x", [], { workers: ["a", "b"] })], ["x"])]);
  const w = s.task("x")?.processingOn ?? "";
  s.handle([finished(w, "x")]);
  const out = s.handle([removeWorker(w)]);
  assert.equal(computes(out).length, 1);
  const other = computes(out)[0]!.worker;
  assert.notEqual(other, w);
  assert.deepEqual(
    inMemory(s.handle([finished(other, "x")])).map((m) => m.holders),
    [[other]],
  );
});

test("missing-data: the holder is dropped; with no holder left the key is recomputed", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([
    graph([task("x", [], { workers: ["a"] }), task("y", ["x"], { workers: ["b"] })], ["y"]),
  ]);
  assert.deepEqual(placed(s.handle([finished("a", "x")])), ["y@b"]);
  const out = s.handle([missing("b", "x", "a")]);
  // a is told to drop what it does not have, b to drop y; x is computed again on a
  assert.deepEqual(freed(out), ["x@a", "y@b"]);
  assert.deepEqual(placed(out), ["x@a"]);
  assert.equal(s.taskState("y"), "waiting");
  assert.deepEqual(placed(s.handle([finished("a", "x")])), ["y@b"]);
});

test("missing-data with another holder left: the dependent gets the current holders", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b"), worker("c")]);
  s.handle([
    graph([task("x", [], { workers: ["a"] }), task("y", ["x"], { workers: ["c"] })], ["y"]),
  ]);
  s.handle([
    finished("a", "x"),
    {
      type: "scatter-data",
      stimulusId: "sc",
      client: "c2",
      worker: "b",
      keys: [{ key: "x", nbytes: 8 }],
    },
  ]);
  assert.deepEqual(s.whoHas(["x"]), { x: ["a", "b"] });
  const out = s.handle([missing("c", "x", "a")]);
  assert.deepEqual(s.whoHas(["x"]), { x: ["b"] });
  assert.deepEqual(freed(out), ["x@a", "y@c"]);
  const ct = computes(out)[0];
  assert.equal(ct?.key, "y");
  assert.deepEqual(ct?.deps, [{ key: "x", holders: ["b"], nbytes: 8 }]);
});

test("stale messages: a finish from a worker the task was moved away from is freed there", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b"), graph([task("t", [], { workers: ["a", "b"] })], ["t"])]);
  const first = s.task("t")?.processingOn ?? "";
  const second = first === "a" ? "b" : "a";
  // first worker is gone (expected), t moves; a late finish from it is ignored
  s.handle([removeWorker(first, true)]);
  assert.equal(s.task("t")?.processingOn, second);
  assert.deepEqual(s.handle([finished(first, "t")]), []);
  // a finish for an unknown key or from a worker not running it: free it there
  s.handle([worker("c")]);
  assert.deepEqual(freed(s.handle([finished("c", "t")])), ["t@c"]);
  assert.deepEqual(freed(s.handle([finished("c", "nope")])), ["nope@c"]);
  assert.deepEqual(freed(s.handle([erred("c", "t")])), ["t@c"]);
  assert.equal(s.task("t")?.processingOn, second);
  // the real finish
  assert.deepEqual(inMemory(s.handle([finished(second, "t")])).length, 1);
  // a duplicate finish from the holder is a no-op
  assert.deepEqual(s.handle([finished(second, "t")]), []);
});

test("a result that arrives after the client released the key is dropped on the worker", () => {
  const s = scheduler();
  s.handle([worker("a"), graph([task("t")], ["t"])]);
  assert.deepEqual(freed(s.handle([release(["t"])])), ["t@a"]);
  assert.equal(s.taskState("t"), "forgotten");
  assert.deepEqual(freed(s.handle([finished("a", "t")])), ["t@a"]);
});

test("runId: reports of an abandoned attempt are ignored, even from the same worker", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  const r1 = computes(s.handle([graph([task("t", [], { retries: 1 })], ["t"])]))[0]!.runId;
  // the client drops t and submits it again: attempt 1 is freed, attempt 2 sent to a
  s.handle([release(["t"])]);
  const again = s.handle([graph([task("t", [], { retries: 1 })], ["t"])]);
  const r2 = computes(again)[0]!.runId;
  assert.notEqual(r1, r2);
  // attempt 1 had failed before it got the free-keys: its report must not cost a retry
  assert.deepEqual(s.handle([erred("a", "t", "old", r1)]), []);
  assert.equal(s.task("t")?.retries, 1);
  // nor may its late success stand for attempt 2 (the worker dropped it on free-keys)
  assert.deepEqual(s.handle([finished("a", "t", 8, 0.001, "late", r1)]), []);
  assert.equal(s.taskState("t"), "processing");
  assert.deepEqual(inMemory(s.handle([finished("a", "t", 8, 0.001, "now", r2)])).length, 1);
  // without a runId a report is taken for the current attempt (workers that do not echo it)
  s.handle([graph([task("u")], ["u"])]);
  assert.equal(inMemory(s.handle([finished("a", "u")])).length, 1);
});
