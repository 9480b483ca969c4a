/**
 * A task freed while processing (cancel) must stop within cancelGracePeriod, or its worker is
 * restarted: dropped from the state at once (its other tasks move, counting no death) and
 * named in a restart-worker instruction. Events in, instructions out, time injected.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SchedulerEvent, SchedulerInstruction } from "../../../src/scheduler/protocol.js";
import { SchedulerState } from "../../../src/scheduler/state.js";
import { cancel, computes, erred, finished, graph, placed, task, worker } from "./helpers.js";

function setup(grace = 2) {
  const clock = { t: 0 };
  const s = new SchedulerState({
    config: { validate: true, cancelGracePeriod: grace, workStealing: false },
    clock: () => clock.t,
  });
  return { s, clock };
}

const check = (): SchedulerEvent => ({
  type: "check-stopping",
  stimulusId: `check-${Math.random()}`,
});
const stopped = (w: string, ...keys: string[]): SchedulerEvent => ({
  type: "task-stopped",
  stimulusId: `stopped-${keys.join(",")}`,
  worker: w,
  keys,
});
const restarts = (ins: readonly SchedulerInstruction[]) =>
  ins.filter((i) => i.type === "restart-worker");

test("a cancelled task confirmed stopped within the grace period restarts nothing", () => {
  const { s, clock } = setup();
  s.handle([worker("a"), graph([task("spin")], ["spin"])]);
  s.handle([cancel(["spin"])]);
  assert.equal(s.wantsStopCheck(), true);
  clock.t = 1;
  s.handle([stopped("a", "spin")]);
  assert.equal(s.wantsStopCheck(), false);
  clock.t = 10;
  assert.deepEqual(restarts(s.handle([check()])), []);
});

test("a cancelled task still running past the grace period restarts its worker; its queued work moves", () => {
  const { s, clock } = setup(2);
  s.handle([worker("a", 1), worker("b", 1)]);
  // Two roots, one per worker; then more work lands on both.
  s.handle([graph([task("spin"), task("other")], ["spin", "other"])]);
  const onA = s.workers().find((w) => w.id === "a");
  assert.equal(onA?.processing, 1);
  const spinOn = s.task("spin")?.processingOn;
  const otherOn = spinOn === "a" ? "b" : "a";
  s.handle([finished(otherOn, "other")]);
  s.handle([cancel(["spin"])]);
  const queued = s.handle([
    graph([task("t1"), task("t2"), task("t3"), task("t4")], ["t1", "t2", "t3", "t4"]),
  ]);
  assert.ok(placed(queued).length > 0);
  clock.t = 1.9;
  assert.deepEqual(restarts(s.handle([check()])), [], "within the grace period");
  clock.t = 2.5;
  const out = s.handle([check()]);
  const r = restarts(out);
  assert.equal(r.length, 1);
  assert.equal(r[0]!.worker, spinOn);
  assert.deepEqual(r[0]!.type === "restart-worker" && r[0]!.keys, ["spin"]);
  assert.match(r[0]!.type === "restart-worker" ? r[0]!.reason : "", /cancel/);
  // The stuck worker is gone from the state; nothing is sent to it, its tasks went elsewhere.
  assert.deepEqual(
    s.workers().map((w) => w.id),
    [otherOn],
  );
  assert.ok(computes(out).every((c) => c.worker === otherOn));
  for (const k of ["t1", "t2", "t3", "t4"]) {
    const info = s.task(k);
    assert.ok(info?.state !== "processing" || info.processingOn === otherOn, k);
    assert.equal(info?.deaths, 0, "a restart counts no death");
  }
  assert.equal(s.wantsStopCheck(), false);
});

test("a late result of the cancelled attempt also confirms it stopped", () => {
  const { s, clock } = setup(1);
  s.handle([worker("a"), graph([task("x")], ["x"])]);
  s.handle([cancel(["x"])]);
  s.handle([finished("a", "x")]);
  clock.t = 5;
  assert.deepEqual(restarts(s.handle([check()])), []);
});

test("a key sent again to the same worker is no longer awaited (its run carries on)", () => {
  const { s, clock } = setup(1);
  s.handle([worker("a"), graph([task("x")], ["x"])]);
  s.handle([cancel(["x"])]);
  s.handle([graph([task("x")], ["x"])]);
  assert.equal(s.task("x")?.processingOn, "a");
  clock.t = 5;
  assert.deepEqual(restarts(s.handle([check()])), []);
});

test("cancelGracePeriod: Infinity never restarts; a negative one is refused", () => {
  const { s, clock } = setup(Number.POSITIVE_INFINITY);
  s.handle([worker("a"), graph([task("x")], ["x"])]);
  s.handle([cancel(["x"])]);
  assert.equal(s.wantsStopCheck(), false);
  clock.t = 1e6;
  assert.deepEqual(restarts(s.handle([check()])), []);
  assert.throws(
    () => new SchedulerState({ config: { cancelGracePeriod: -1 } }),
    /cancelGracePeriod/,
  );
});

test("a task the scheduler moves for its own reasons (a retry) is not watched", () => {
  const { s, clock } = setup(1);
  s.handle([worker("a"), worker("b"), graph([task("x", [], { retries: 1 })], ["x"])]);
  const on = s.task("x")?.processingOn ?? "";
  s.handle([erred(on, "x")]);
  assert.equal(s.wantsStopCheck(), false);
  clock.t = 5;
  assert.deepEqual(restarts(s.handle([check()])), []);
});
