import assert from "node:assert/strict";
import { test } from "node:test";
import { add, ct, free, got, lost, ok, run, worker } from "./helpers.js";

test("inputs on peers are fetched in one batch per peer, then the task runs", () => {
  const ws = worker();
  const out = run(ws, ct("t", { deps: { a: ["p1"], b: ["p2"], c: ["p1"] } }));
  assert.deepEqual(out.sort(), ["gather p1 a,c", "gather p2 b"]);
  assert.equal(ws.stateOf("t"), "waiting");
  assert.deepEqual(run(ws, got("p1", ["a", "c"])), []);
  assert.deepEqual(run(ws, got("p2", ["b"])), ["execute t"]);
  assert.equal(ws.dump().tasks.a?.nbytes, 8);
});

test("batches follow task priority and respect transferBatchKeys and transferConcurrency", () => {
  const ws = worker({ transferBatchKeys: 2, transferConcurrency: 1 });
  const out = run(
    ws,
    ct("late", { priority: [5], deps: { x: ["p1"], y: ["p1"], z: ["p1"] } }),
    ct("soon", { priority: [1], deps: { u: ["p2"] } }),
  );
  assert.deepEqual(out, ["gather p2 u"]);
  assert.deepEqual(run(ws, got("p2", ["u"])), ["execute soon", "gather p1 x,y"]);
  assert.deepEqual(run(ws, got("p1", ["x", "y"])), ["gather p1 z"]);
  assert.deepEqual(run(ws, got("p1", ["z"])), []);
  assert.deepEqual(run(ws, ok("soon")), ["finished soon", "release u", "execute late"]);
});

test("the scheduler's input sizes bound a batch by transferBatchBytes (large spilled inputs are not fetched all at once)", () => {
  const ws = worker({ transferConcurrency: 1 }); // default transferBatchBytes: 50 MB
  const big = 32 * 2 ** 20;
  const deps = ["a", "b", "c", "d", "e"].map((key) => ({ key, holders: ["p1"], nbytes: big }));
  const out = run(ws, { ...ct("t"), deps });
  // Without the sizes every input counts 0 bytes and one batch asks p1 for all five at once.
  assert.deepEqual(out, ["gather p1 a,b"]);
  assert.deepEqual(run(ws, got("p1", ["a", "b"])), ["gather p1 c,d"]);
  assert.deepEqual(run(ws, got("p1", ["c", "d"])), ["gather p1 e"]);
  assert.deepEqual(run(ws, got("p1", ["e"])), ["execute t"]);
});

test("a key with several holders is batched with the other keys of a free holder", () => {
  const ws = worker();
  const out = run(ws, ct("t", { deps: { a: ["p1"], b: ["p2", "p1"] } }));
  assert.deepEqual(out, ["gather p1 a,b"]);
});

test("a holder without the key -> next holder -> send-missing-data for each", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("t", { deps: { a: ["p1", "p2"] } })), ["gather p1 a"]);
  assert.deepEqual(run(ws, got("p1", [], ["a"])), ["gather p2 a"]);
  assert.deepEqual(run(ws, got("p2", [], ["a"])), ["missing a@p1", "missing a@p2"]);
  assert.equal(ws.stateOf("a"), "missing");
  assert.equal(ws.stateOf("t"), "waiting");
  // The scheduler re-sends the task with a new holder: the input is fetched from it.
  assert.deepEqual(run(ws, ct("t", { deps: { a: ["p3"] } })), ["gather p3 a"]);
  assert.deepEqual(run(ws, got("p3", ["a"])), ["execute t"]);
});

test("a gather failure fails its keys and the peer is avoided for other keys", () => {
  const ws = worker({ transferConcurrency: 1 });
  run(ws, ct("t", { deps: { a: ["p1", "p2"] } }));
  run(ws, ct("u", { priority: [1], deps: { b: ["p1"], c: ["p1", "p3"] } }));
  assert.deepEqual(run(ws, lost("p1", ["a"])), ["missing b@p1", "gather p2 a"]);
  assert.equal(ws.stateOf("b"), "missing");
  assert.deepEqual(ws.dump().badPeers, ["p1"]);
  assert.deepEqual(run(ws, got("p2", ["a"])), ["execute t", "gather p3 c"]);
  // A compute-task naming p1 again vouches for it.
  assert.deepEqual(run(ws, got("p3", ["c"]), ct("v", { deps: { d: ["p1"] } })), ["gather p1 d"]);
  assert.deepEqual(ws.dump().badPeers, []);
});

test("a failed gather of a key whose only holder failed reports it missing", () => {
  const ws = worker();
  run(ws, ct("t", { deps: { a: ["p1"] } }));
  assert.deepEqual(run(ws, lost("p1", ["a"])), ["missing a@p1"]);
  assert.deepEqual(run(ws, free("t")), ["stopped t"]);
  assert.deepEqual(ws.dump().tasks, {});
});

test("fetched inputs are released once their last local dependent finishes", () => {
  const ws = worker({ nthreads: 2 });
  run(ws, ct("t1", { deps: { a: ["p1"] } }), ct("t2", { deps: { a: ["p1"], b: ["p1"] } }));
  assert.deepEqual(run(ws, got("p1", ["a", "b"])), ["execute t1", "execute t2"]);
  assert.deepEqual(run(ws, ok("t1")), ["finished t1"]);
  assert.deepEqual(run(ws, ok("t2")).sort(), ["finished t2", "release a", "release b"]);
  assert.deepEqual(ws.memoryKeys().sort(), ["t1", "t2"]);
});

test("fetched inputs are released when their dependents are freed", () => {
  const ws = worker();
  run(ws, ct("busy"), ct("t", { deps: { a: ["p1"] } }));
  run(ws, got("p1", ["a"]));
  assert.equal(ws.stateOf("t"), "ready");
  assert.deepEqual(run(ws, free("t")), ["release a", "stopped t"]);
});

test("free-keys of a memory key still needed locally keeps it until its dependent finishes", () => {
  const ws = worker();
  run(ws, ct("busy"), ct("a"));
  run(ws, ok("busy"), ct("t", { deps: { a: ["w0"] } }));
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute t"]);
  assert.deepEqual(run(ws, free("a")), [], "t still needs a");
  assert.equal(ws.stateOf("a"), "memory");
  assert.deepEqual(run(ws, ok("t")), ["finished t", "release a"]);
});

test("a flight result arriving after its dependents were freed is released on arrival", () => {
  const ws = worker();
  run(ws, ct("t", { deps: { a: ["p1"], b: ["p1"] } }));
  assert.deepEqual(run(ws, free("t")), ["stopped t"]);
  assert.equal(ws.stateOf("a"), "flight");
  assert.deepEqual(run(ws, got("p1", ["a"], ["b"])), ["release a"]);
  assert.deepEqual(ws.dump().tasks, {});
});

test("a compute-task for a key in flight keeps the fetch and reports it on arrival", () => {
  const ws = worker();
  run(ws, ct("t", { deps: { a: ["p1"] } }));
  assert.deepEqual(run(ws, ct("a")), []);
  assert.deepEqual(run(ws, got("p1", ["a"])), ["finished a", "execute t"]);
  assert.deepEqual(run(ws, ok("t")), ["finished t"], "a is requested now: kept");
});

test("a compute-task for a key in flight computes it here if the fetch fails", () => {
  const ws = worker();
  run(ws, ct("t", { deps: { a: ["p1"] } }));
  run(ws, ct("a"));
  assert.deepEqual(run(ws, got("p1", [], ["a"])), ["execute a"]);
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute t"]);
});

test("a compute-task for a key waiting to be fetched computes it here instead", () => {
  const ws = worker({ transferConcurrency: 1 });
  run(ws, ct("t", { deps: { a: ["p1"], b: ["p2"] } }));
  assert.equal(ws.stateOf("b"), "fetch");
  assert.deepEqual(run(ws, ct("b")), ["execute b"]);
  assert.deepEqual(run(ws, ok("b"), got("p1", ["a"])), ["finished b", "execute t"]);
});

test("add-data over a key in flight wakes its dependents; the late copy is ignored", () => {
  const ws = worker();
  run(ws, ct("b", { deps: { a: ["p1"] } }));
  assert.deepEqual(run(ws, add("a")), ["execute b"]);
  assert.deepEqual(run(ws, got("p1", ["a"])), []);
  assert.equal(ws.stateOf("a"), "memory");
});

test("a holder that is this worker itself is skipped", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("t", { deps: { a: ["w0", "p1"] } })), ["gather p1 a"]);
  const ws2 = worker();
  assert.deepEqual(run(ws2, ct("t", { deps: { a: ["w0"] } })), []);
  assert.equal(ws2.stateOf("a"), "missing");
});
