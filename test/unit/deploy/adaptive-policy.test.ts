import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decide,
  desiredWorkers,
  initialPolicyState,
  type PolicyState,
  resolveAdaptOptions,
} from "../../../src/deploy/adaptive-policy.js";
import { OptionError } from "../../../src/errors.js";
import type { LoadInfo } from "../../../src/protocol/backend.js";

type W = LoadInfo["workers"][number];
const w = (id: string, o: Partial<W> = {}): W => ({
  id,
  name: id,
  nthreads: 1,
  processing: 0,
  keys: 0,
  nbytes: 0,
  retiring: false,
  ...o,
});
const load = (tasks: number, seconds: number, workers: W[]): LoadInfo => ({
  tasks,
  seconds,
  workers,
});

test("the count follows the work: seconds of work over the target duration, within bounds", () => {
  const o = resolveAdaptOptions({ minimum: 1, maximum: 8, targetDuration: 2 });
  assert.equal(desiredWorkers(load(0, 0, [w("a")]), o), 1); // minimum
  assert.equal(desiredWorkers(load(100, 10, [w("a")]), o), 5); // 10 s / 2 s
  assert.equal(desiredWorkers(load(1000, 100, [w("a")]), o), 8); // maximum
  // No more workers than tasks, whatever their length.
  assert.equal(desiredWorkers(load(3, 300, [w("a")]), o), 3);
  // Threads per worker count: 2 threads do 2 s of work per second.
  assert.equal(desiredWorkers(load(100, 8, [w("a", { nthreads: 2 })]), o), 2);
});

test("some work always asks for a worker, even with minimum 0 and tiny tasks", () => {
  const o = resolveAdaptOptions({ maximum: 4 });
  assert.equal(desiredWorkers(load(1, 0.001, []), o), 1);
  assert.equal(desiredWorkers(load(0, 0, []), o), 0);
});

test("up at once; down only after `wait` decisions in a row agree (hysteresis)", () => {
  const o = resolveAdaptOptions({ minimum: 1, maximum: 4, wait: 3, targetDuration: 1 });
  const busy = load(40, 40, [w("a", { processing: 1 })]);
  const up = decide(busy, 1, o, initialPolicyState);
  assert.equal(up.target, 4);
  const idle = load(0, 0, [w("a"), w("b"), w("c"), w("d")]);
  let s: PolicyState = initialPolicyState;
  for (let i = 0; i < 2; i++) {
    const d = decide(idle, 4, o, s);
    assert.equal(d.target, 4, `decision ${i + 1} keeps the workers`);
    assert.deepEqual(d.retire, []);
    s = d.state;
  }
  const down = decide(idle, 4, o, s);
  assert.equal(down.target, 1);
  assert.equal(down.retire.length, 3);
});

test("a burst between lulls resets the count of down votes (no flapping)", () => {
  const o = resolveAdaptOptions({ minimum: 1, maximum: 4, wait: 2, targetDuration: 1 });
  const idle = load(0, 0, [w("a"), w("b")]);
  const s1 = decide(idle, 2, o, initialPolicyState).state;
  const burst = decide(load(2, 2, [w("a"), w("b")]), 2, o, s1);
  assert.equal(burst.state.downVotes, 0);
  const d = decide(idle, 2, o, burst.state);
  assert.deepEqual(d.retire, [], "one lull after a burst retires nobody");
});

test("only idle workers are retired, those holding the fewest bytes first", () => {
  const o = resolveAdaptOptions({ minimum: 0, maximum: 4, wait: 1 });
  const ws = [
    w("busy", { processing: 2 }),
    w("big", { keys: 5, nbytes: 5000 }),
    w("small", { keys: 1, nbytes: 10 }),
    w("empty"),
  ];
  const d = decide(load(1, 0.001, ws), 4, o, initialPolicyState);
  assert.equal(d.target, 1);
  assert.deepEqual(d.retire, ["empty", "small", "big"]);
  const d2 = decide(load(0, 0, [w("busy", { processing: 1 }), w("x")]), 2, o, initialPolicyState);
  assert.deepEqual(d2.retire, ["x"], "the busy worker stays even when the load says 0");
});

test("the last worker holding results is never retired", () => {
  const o = resolveAdaptOptions({ minimum: 0, maximum: 4, wait: 1 });
  const d = decide(load(0, 0, [w("a", { keys: 1, nbytes: 8 }), w("b")]), 2, o, initialPolicyState);
  assert.deepEqual(d.retire, ["b"]);
  assert.equal(d.target, 1);
  const e = decide(load(0, 0, [w("a")]), 1, o, initialPolicyState);
  assert.deepEqual(e.retire, ["a"], "with nothing held, scaling to 0 is fine");
});

test("bad adapt options are OptionErrors naming the option", () => {
  assert.throws(() => resolveAdaptOptions({ minimum: -1 }), OptionError);
  assert.throws(() => resolveAdaptOptions({ minimum: 3, maximum: 2 }), /maximum/);
  assert.throws(() => resolveAdaptOptions({ targetDuration: 0 }), /targetDuration/);
  assert.throws(() => resolveAdaptOptions({ wait: 0.5 }), /wait/);
  assert.equal(resolveAdaptOptions({}).maximum, Number.POSITIVE_INFINITY);
});
