import assert from "node:assert/strict";
import { test } from "node:test";
import { BarnError } from "../../../src/errors.js";
import { SchedulerCore } from "../../../src/scheduler/core.js";
import { TransitionLog } from "../../../src/scheduler/log.js";
import { defaultSchedulerConfig } from "../../../src/scheduler/protocol.js";
import { SchedulerState } from "../../../src/scheduler/state.js";
import { STATES, stateCode } from "../../../src/scheduler/task-state.js";
import { transitionKeys } from "../../../src/scheduler/transitions.js";
import { finished, graph, release, scheduler, task, worker } from "./helpers.js";

function core(): SchedulerCore {
  const config = { ...defaultSchedulerConfig, validate: true, speculativeAssignment: false };
  return new SchedulerCore(config, () => 1.5);
}

test("an illegal transition throws INTERNAL with the task's story", () => {
  const c = core();
  c.handle([worker("a"), graph([task("x"), task("y", ["x"])], ["y"], "c1", "submit")]);
  const y = c.tasks.get("y")!;
  assert.equal(y.state, "waiting");
  assert.throws(
    () => c.transition(y, "memory", null),
    (e: unknown) =>
      e instanceof BarnError &&
      e.code === "BARN_INTERNAL" &&
      e.key === "y" &&
      /illegal transition waiting -> memory/.test(e.message) &&
      /released -> waiting \(submit\)/.test(e.message),
  );
});

test("validate names the key and the broken invariant", () => {
  const c = core();
  c.handle([worker("a"), graph([task("x"), task("y", ["x"])], ["y"])]);
  const y = c.tasks.get("y")!;
  y.waitingOn = 7;
  assert.throws(
    () => c.handle([]),
    (e: unknown) =>
      e instanceof BarnError &&
      e.key === "y" &&
      /waitingOn 7, 1 deps not in memory/.test(e.message),
  );
  y.waitingOn = 1;
  const x = c.tasks.get("x")!;
  x.waiters = 0;
  assert.throws(() => c.handle([]), /waiters 0, but 1 dependents are active/);
});

test("the transition table is keyed by legal state pairs and every state code round-trips", () => {
  for (const k of transitionKeys) {
    const [from, to] = k.split("->");
    assert.ok(STATES.includes(from as never) && STATES.includes(to as never), k);
    // The one self-transition: a stolen task moves from its victim to its thief.
    if (k !== "processing->processing") assert.notEqual(from, to);
  }
  for (const [i, s] of STATES.entries()) assert.equal(stateCode(s), i);
  assert.ok(!transitionKeys.some((k) => k.startsWith("forgotten->")), "forgotten is final");
});

test("the transition log is a bounded ring: old entries fall off", () => {
  const log = new TransitionLog(3);
  log.record("a", 0, 1, "s1", 1);
  log.record("b", 0, 1, "s2", 2);
  log.record("a", 1, 4, "s3", 3);
  log.record("a", 4, 5, "s4", 4);
  assert.deepEqual(
    log.story("a").map((r) => `${r.from}->${r.to}@${r.stimulusId}`),
    ["waiting->processing@s3", "processing->memory@s4"],
  );
  assert.deepEqual(log.story("b").length, 1);
  assert.deepEqual(
    log.tail(2).map((r) => r.key),
    ["a", "a"],
  );
  const none = new TransitionLog(0);
  none.record("a", 0, 1, "s", 0);
  assert.deepEqual(none.story("a"), []);
});

test("queries: counts, workers, whoHas, task, dump (JSON)", () => {
  const s = scheduler();
  s.handle([worker("a", 2, { name: "alpha", resources: { GPU: 1 } })]);
  s.handle([graph([task("x"), task("y", ["x"])], ["y"])]);
  s.handle([finished("a", "x", 100)]);
  assert.deepEqual(s.workers(), [
    {
      id: "a",
      name: "alpha",
      nthreads: 2,
      resources: { GPU: 1 },
      processing: 1,
      keys: 1,
      nbytes: 100,
      paused: false,
    },
  ]);
  assert.equal(s.counts().processing, 1);
  assert.equal(s.counts().memory, 1);
  assert.deepEqual(s.whoHas(["x", "y", "nope"]), { x: ["a"], y: [], nope: [] });
  assert.equal(s.task("y")?.processingOn, "a");
  assert.deepEqual(s.task("y")?.deps, ["x"]);
  const dump = JSON.parse(JSON.stringify(s.dump())) as Record<string, unknown>;
  assert.equal((dump.counts as Record<string, number>).memory, 1);
  assert.equal((dump.tasks as unknown[]).length, 2);
  assert.ok(Array.isArray((dump.log as { tail: unknown[] }).tail));
  assert.equal((s.dump(1) as { tasksOmitted: number }).tasksOmitted, 1);
  assert.equal(s.taskState("nope"), "forgotten");
  s.validate();
});

test("options are validated at the boundary with errors that name the option", () => {
  assert.throws(() => new SchedulerState({ config: { workerSaturation: 0 } }), /workerSaturation/);
  assert.throws(() => new SchedulerState({ config: { allowedFailures: -1 } }), /allowedFailures/);
  assert.throws(
    () => new SchedulerState({ config: { transitionLogLength: 1.5 } }),
    /transitionLogLength/,
  );
  assert.throws(
    () => new SchedulerState({ config: { validate: "yes" as unknown as boolean } }),
    (e: unknown) => e instanceof BarnError && e.code === "BARN_INVALID_OPTION",
  );
  const s = new SchedulerState({
    config: { workerSaturation: Number.POSITIVE_INFINITY, validate: undefined },
  });
  assert.equal(s.config.workerSaturation, Number.POSITIVE_INFINITY);
  assert.equal(s.config.validate, false);
});

test("the clock is read once per handle() and stamps the log", () => {
  let t = 10;
  let reads = 0;
  const s = new SchedulerState({
    clock: () => {
      reads++;
      return t;
    },
  });
  s.handle([worker("a"), graph([task("x")], ["x"])]);
  t = 20;
  s.handle([finished("a", "x")]);
  assert.equal(reads, 2);
  assert.deepEqual(
    s.story("x").map((r) => r.time),
    [10, 10, 20],
  );
});

test("groupCounts: live tasks per group and state, kept as tasks move (validate checks them)", () => {
  const s = scheduler({ speculativeAssignment: false });
  s.handle([
    worker("a"),
    graph(
      [
        task("inc-1", [], { group: "inc" }),
        task("inc-2", [], { group: "inc" }),
        task("sum-1", ["inc-1", "inc-2"], { group: "sum" }),
      ],
      ["sum-1"],
    ),
  ]);
  const states = (name: string) => s.groupCounts().get(name)?.states;
  assert.deepEqual(states("inc"), { processing: 2 });
  assert.deepEqual(states("sum"), { waiting: 1 });
  s.handle([finished("a", "inc-1"), finished("a", "inc-2")]);
  assert.deepEqual(states("inc"), { memory: 2 });
  assert.deepEqual(states("sum"), { processing: 1 });
  s.handle([finished("a", "sum-1")]);
  assert.deepEqual(states("inc"), { released: 2 }, "the inputs are released once the sum holds");
  assert.deepEqual(states("sum"), { memory: 1 });
  assert.equal(s.groupCounts().get("sum")?.finished, 1);
  s.handle([release(["sum-1"])]);
  assert.deepEqual(states("sum"), {});
  assert.deepEqual(states("inc"), {}, "all forgotten");
  s.validate();
});

test("validate names a group whose state counter drifted", () => {
  const c = core();
  c.handle([worker("a"), graph([task("x", [], { group: "g" })], ["x"])]);
  c.groups.get("g")!.counts[0]!++;
  assert.throws(
    () => c.handle([]),
    (e: unknown) =>
      e instanceof BarnError &&
      e.code === "BARN_INTERNAL" &&
      /group g's state counter 0/.test(e.message),
  );
});
