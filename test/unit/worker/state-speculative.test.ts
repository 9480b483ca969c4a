/**
 * Speculative assignment on the worker: the scheduler sends a task whose input is still being
 * computed here (its holders name this worker, w0). The task waits for it locally and runs when
 * it finishes; the input is never fetched from a peer.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ct, fail, free, ok, run, worker } from "./helpers.js";

const here = ["w0"];

test("a chain sent in one batch runs step by step without fetching or asking", () => {
  const ws = worker();
  const out = run(ws, ct("a"), ct("b", { deps: { a: here } }), ct("c", { deps: { b: here } }));
  assert.deepEqual(out, ["execute a"]);
  assert.equal(ws.stateOf("b"), "waiting");
  assert.equal(ws.stateOf("c"), "waiting");
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute b"]);
  assert.deepEqual(run(ws, ok("b")), ["finished b", "execute c"]);
  assert.deepEqual(run(ws, ok("c")), ["finished c"]);
  // the scheduler holds every result until it frees it
  assert.deepEqual(ws.memoryKeys().sort(), ["a", "b", "c"]);
  assert.deepEqual(run(ws, free("a", "b")), ["release a", "release b"]);
});

test("a dependent that arrives before its input's compute-task waits for it", () => {
  const ws = worker();
  const out = run(ws, ct("b", { deps: { a: here } }), ct("a"));
  assert.deepEqual(out, ["execute a"]);
  assert.equal(ws.stateOf("b"), "waiting");
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute b"]);
});

test("an input waiting for a peer's data and a local one: only the peer's is fetched", () => {
  const ws = worker();
  const out = run(ws, ct("a"), ct("c", { deps: { a: here, x: ["p1"] } }));
  assert.deepEqual(out, ["execute a", "gather p1 x"]);
});

test("an input that errs here: only its error is reported and the dependent never runs", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b", { deps: { a: here } }));
  assert.deepEqual(run(ws, fail("a")), ["erred a"]);
  assert.equal(ws.stateOf("b"), "waiting");
  // a speculated task sent before the scheduler heard of the error waits too (no fetch)
  assert.deepEqual(run(ws, ct("c", { deps: { a: here } })), []);
  assert.equal(ws.stateOf("a"), "error");
  // the scheduler errs the dependents and frees everything
  assert.deepEqual(run(ws, free("a", "b", "c")), ["stopped a", "stopped b", "stopped c"]);
  assert.deepEqual(ws.counts(), { ...ws.counts(), error: 0, waiting: 0 });
  assert.equal(ws.dump().tasks.a, undefined);
});

test("a retried input runs again here and then feeds its waiting dependent", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b", { deps: { a: here } }));
  run(ws, fail("a"));
  // the retry stays on this worker: free-keys for the failed attempt, then a compute-task
  assert.deepEqual(run(ws, free("a"), ct("a")), ["stopped a", "execute a"]);
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute b"]);
});

test("an input freed while a local dependent needs it still runs for it", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b", { deps: { a: here } }));
  // it runs for b, which the scheduler still wants here: not stuck, so "stopped" for a
  assert.deepEqual(run(ws, free("a")), ["stopped a"]);
  assert.equal(ws.stateOf("a"), "executing", "kept: b needs it");
  // not reported (the scheduler no longer wants it here), but b runs
  assert.deepEqual(run(ws, ok("a")), ["execute b"]);
  // once b is done nobody needs a: its result goes
  assert.deepEqual(run(ws, ok("b")), ["finished b", "release a"]);
});

test("freeing the dependent first, then its running input, cancels the input", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b", { deps: { a: here } }));
  assert.deepEqual(run(ws, free("b", "a")), ["stopped b"]);
  assert.equal(ws.stateOf("a"), "cancelled");
  assert.equal(ws.stateOf("b"), "released");
  assert.deepEqual(run(ws, ok("a")), ["release a", "stopped a"]);
});

test("freeing the running input first, then its dependent, cancels the input too", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b", { deps: { a: here } }));
  assert.deepEqual(run(ws, free("a", "b")), ["stopped b"]);
  assert.equal(ws.stateOf("a"), "cancelled");
  assert.deepEqual(run(ws, fail("a")), ["stopped a"]);
  assert.equal(ws.stateOf("a"), "released");
});

test("a rescheduled dependent sent again waits for the input once more", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b", { deps: { a: here } }));
  assert.deepEqual(run(ws, free("b"), ct("b", { deps: { a: here } })), ["stopped b"]);
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute b"]);
});

test("a dependent of an input waiting for a peer waits for the whole chain", () => {
  const ws = worker({ nthreads: 2 });
  const out = run(ws, ct("a", { deps: { x: ["p1"] } }), ct("b", { deps: { a: here } }));
  assert.deepEqual(out, ["gather p1 x"]);
  assert.equal(ws.stateOf("b"), "waiting");
  assert.deepEqual(
    run(ws, {
      type: "gather-dep-success",
      stimulusId: "got",
      peer: "p1",
      nbytes: { x: 8 },
      missing: [],
    }),
    ["execute a"],
  );
  assert.deepEqual(run(ws, ok("a")), ["finished a", "release x", "execute b"]);
});
