/**
 * Work stealing on the worker: a steal-request drops a task that has not started here and
 * answers stolen; a running, finished, failed or locally awaited task stays and is answered
 * with its state.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ct, fail, free, got, ok, run, steal, worker } from "./helpers.js";

test("a ready task queued behind a running one is given up", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("a"), ct("b")), ["execute a"]);
  assert.deepEqual(run(ws, steal("b")), ["steal b stolen (ready)"]);
  assert.equal(ws.stateOf("b"), "released");
  // it never runs here: the next free thread finds nothing to do
  assert.deepEqual(run(ws, ok("a")), ["finished a"]);
  assert.equal(ws.story("b").at(-1)?.to, "released");
});

test("an executing task is kept and answered with its state", () => {
  const ws = worker();
  run(ws, ct("a"));
  assert.deepEqual(run(ws, steal("a")), ["steal a kept (executing)"]);
  assert.deepEqual(run(ws, ok("a")), ["finished a"]);
});

test("finished, failed, cancelled and unknown tasks are kept", () => {
  const ws = worker({ nthreads: 3 });
  run(ws, ct("m"), ct("e"), ct("c"));
  run(ws, ok("m"), fail("e"), free("c"));
  assert.equal(ws.stateOf("c"), "cancelled");
  assert.deepEqual(run(ws, steal("m", "e", "c", "nope")), [
    "steal m kept (memory)",
    "steal e kept (error)",
    "steal c kept (cancelled)",
    "steal nope kept (released)",
  ]);
  assert.equal(ws.stateOf("m"), "memory");
});

test("a task waiting for inputs in flight is given up; the inputs are dropped on arrival", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("t", { deps: { x: ["p1"], y: ["p1"] } })), ["gather p1 x,y"]);
  assert.deepEqual(run(ws, steal("t")), ["steal t stolen (waiting)"]);
  assert.equal(ws.stateOf("t"), "released");
  assert.equal(ws.stateOf("x"), "flight");
  // nobody here needs them any more: they are not kept
  assert.deepEqual(run(ws, got("p1", ["x", "y"])), ["release x", "release y"]);
  assert.deepEqual(ws.memoryKeys(), []);
});

test("a task waiting for inputs still to fetch is given up and the fetch never starts", () => {
  const ws = worker({ transferConcurrency: 1 });
  const out = run(
    ws,
    ct("first", { priority: [0], deps: { a: ["p1"] } }),
    ct("second", { priority: [1], deps: { b: ["p2"] } }),
  );
  assert.deepEqual(out, ["gather p1 a"]);
  assert.equal(ws.stateOf("b"), "fetch");
  assert.deepEqual(run(ws, steal("second")), ["steal second stolen (waiting)"]);
  assert.equal(ws.stateOf("b"), "released");
  assert.deepEqual(run(ws, got("p1", ["a"])), ["execute first"]);
});

test("a constrained task waiting for resources is given up", () => {
  const ws = worker({ nthreads: 2, resources: { GPU: 1 } });
  const g = { resources: { GPU: 1 } };
  assert.deepEqual(run(ws, ct("g1", g), ct("g2", g)), ["execute g1"]);
  assert.deepEqual(run(ws, steal("g2")), ["steal g2 stolen (ready)"]);
  assert.deepEqual(run(ws, ok("g1")), ["finished g1"]);
});

test("a task a local dependent waits for (speculative assignment) is kept", () => {
  const ws = worker();
  run(ws, ct("busy"), ct("a"), ct("b", { deps: { a: ["w0"] } }));
  assert.equal(ws.stateOf("a"), "ready");
  assert.deepEqual(run(ws, steal("a")), ["steal a kept (ready)"]);
  // the dependent itself may go: nothing here waits for it
  assert.deepEqual(run(ws, steal("b")), ["steal b stolen (waiting)"]);
  assert.deepEqual(run(ws, ok("busy")), ["finished busy", "execute a"]);
  assert.deepEqual(run(ws, ok("a")), ["finished a"]);
});

test("a task given up can be sent again later and runs", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b"));
  run(ws, steal("b"));
  assert.deepEqual(run(ws, ct("b")), []);
  assert.equal(ws.stateOf("b"), "ready");
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute b"]);
  assert.deepEqual(run(ws, ok("b")), ["finished b"]);
});

test("a steal request in the same batch as the task's compute-task finds it ready", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("a"), ct("b"), steal("b")), ["steal b stolen (ready)", "execute a"]);
});
