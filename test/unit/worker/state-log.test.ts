import assert from "node:assert/strict";
import { test } from "node:test";
import { BarnError } from "../../../src/errors.js";
import { defaultWorkerConfig, WorkerState } from "../../../src/worker/state.js";
import { WorkerCore } from "../../../src/worker/state-core.js";
import { TransitionLog } from "../../../src/worker/state-log.js";
import { TRANSITIONS, transition } from "../../../src/worker/state-transitions.js";
import { validate } from "../../../src/worker/state-validate.js";
import { FETCH, MEMORY, READY, WorkerTask } from "../../../src/worker/worker-task.js";
import { ct, free, got, ok, run, worker } from "./helpers.js";

test("story(key) replays a task's transitions with their stimulus ids and times", () => {
  let now = 100;
  const ws = new WorkerState("w0", { nthreads: 1, validate: true }, () => now);
  const c = ct("t", { deps: { a: ["p1"] } });
  ws.handle([c]);
  now = 101;
  ws.handle([got("p1", ["a"])]);
  now = 102;
  ws.handle([ok("t")]);
  const story = ws.story("t").map((e) => `${e.from}->${e.to}@${e.time}`);
  assert.deepEqual(story, [
    "released->waiting@100",
    "waiting->ready@101",
    "ready->executing@101",
    "executing->memory@102",
  ]);
  assert.equal(ws.story("t")[0]?.stimulusId, c.stimulusId);
  const a = ws.story("a").map((e) => `${e.from}->${e.to}`);
  assert.deepEqual(a, ["released->fetch", "fetch->flight", "flight->memory", "memory->released"]);
});

test("the transition log is a bounded ring buffer", () => {
  const log = new TransitionLog(3);
  for (let i = 0; i < 5; i++) log.record(`k${i}`, 0, 1, `s${i}`, i);
  assert.deepEqual(
    log.story().map((e) => e.key),
    ["k2", "k3", "k4"],
  );
  assert.equal(log.total, 5);
  const none = new TransitionLog(0);
  none.record("k", 0, 1, "s", 0);
  assert.deepEqual(none.story(), []);
  const ws = worker({ transitionLogLength: 2 });
  run(ws, ct("a"));
  run(ws, ok("a"));
  assert.deepEqual(
    ws.story("a").map((e) => e.to),
    ["executing", "memory"],
  );
});

test("an illegal transition throws BarnError INTERNAL carrying the task's story", () => {
  const w = new WorkerCore("w0", { ...defaultWorkerConfig, nthreads: 1 }, () => 0);
  const ts = new WorkerTask("k", [0], 0);
  w.tasks.set("k", ts);
  w.stim = "s1";
  ts.spec = ct("k");
  ts.requested = true;
  transition(w, ts, READY);
  assert.throws(
    () => transition(w, ts, FETCH),
    (e: unknown) =>
      e instanceof BarnError &&
      e.code === "BARN_INTERNAL" &&
      e.key === "k" &&
      e.message.includes("illegal transition ready->fetch for task k") &&
      e.message.includes("story: released->ready (s1"),
  );
  assert.ok(TRANSITIONS.includes("ready->executing"));
  assert.ok(!TRANSITIONS.includes("memory->executing"));
});

test("validate() names the key and the broken invariant", () => {
  const ws = worker();
  run(ws, ct("a"));
  const w = new WorkerCore("w0", { ...defaultWorkerConfig, nthreads: 1 }, () => 0);
  const ts = new WorkerTask("x", [0], 0);
  w.tasks.set("x", ts);
  w.stateCounts[MEMORY]!++;
  ts.s = MEMORY;
  assert.throws(
    () => validate(w),
    (e: unknown) =>
      e instanceof BarnError &&
      e.code === "BARN_INTERNAL" &&
      e.key === "x" &&
      /requested or needed/.test(e.message),
  );
});

test("dump() is JSON-safe and counts()/memoryKeys() summarise the state", () => {
  const ws = worker({ nthreads: 2 });
  run(ws, ct("a"), ct("b", { deps: { x: ["p1"] } }));
  run(ws, ok("a"));
  const d = JSON.parse(JSON.stringify(ws.dump()));
  assert.equal(d.tasks.a.state, "memory");
  assert.equal(d.tasks.b.state, "waiting");
  assert.deepEqual(d.tasks.b.dependencies, ["x"]);
  assert.deepEqual(d.inFlight, { p1: ["x"] });
  assert.deepEqual(ws.counts(), {
    fetch: 0,
    flight: 1,
    missing: 0,
    waiting: 1,
    ready: 0,
    executing: 0,
    cancelled: 0,
    memory: 1,
    error: 0,
    released: 0,
  });
  assert.deepEqual(ws.memoryKeys(), ["a"]);
  run(ws, free("a", "b"));
  run(ws, got("p1", ["x"]));
  assert.deepEqual(ws.dump().tasks, {});
});
