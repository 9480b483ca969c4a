/**
 * Work stealing in the scheduler: balance picks moves from saturated to idle workers and sends
 * steal-requests; the victim's steal-response moves the task (new runId) or leaves it; every
 * race (victim or thief dies, the task finishes, is released or cancelled meanwhile, a late or
 * stale answer) leaves a valid state. validate() runs after every handle().
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  SchedulerEvent,
  SchedulerInstruction,
  StealRequest,
} from "../../../src/scheduler/protocol.js";
import type { SchedulerState } from "../../../src/scheduler/state.js";
import {
  cancel,
  computes,
  finished,
  freed,
  graph,
  placed,
  release,
  removeWorker,
  scatter,
  scheduler,
  task,
  worker,
} from "./helpers.js";

let n = 0;

/**
 * These tests pile tasks onto the holder of the input they all read, to steal them from there:
 * with fanOutByLoad on, the scheduler would spread that fan-out when placing it.
 */
const PILE = { fanOutByLoad: false };

const balance = (): SchedulerEvent => ({ type: "balance", stimulusId: `balance-${++n}` });

function answer(worker: string, key: string, stolen: boolean, state = "ready") {
  return {
    type: "steal-response",
    stimulusId: `steal-answer-${++n}`,
    worker,
    key,
    stolen,
    state,
  } satisfies SchedulerEvent;
}

const steals = (ins: readonly SchedulerInstruction[]): string[] =>
  ins
    .filter((i): i is StealRequest => i.type === "steal-request")
    .map((i) => `${i.key}@${i.worker}`);

/**
 * Workers a and b (one thread each); x scattered to a; t0..t5 map over x, so all go to a.
 * t0 finishes in 50 ms: the group's estimate is known, a holds t1..t5 and b idles.
 */
function pileOnA(config = {}): SchedulerState {
  const s = scheduler({ ...PILE, ...config });
  s.handle([worker("a"), worker("b"), scatter("a", ["x"])]);
  const tasks = Array.from({ length: 6 }, (_, i) => task(`t${i}`, ["x"], { group: "slow" }));
  const out = s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.deepEqual(new Set(computes(out).map((c) => c.worker)), new Set(["a"]));
  for (const c of computes(out)) firstRunId.set(c.key, c.runId);
  s.handle([finished("a", "t0", 8, 0.05)]);
  return s;
}

/** The runId of each task's first compute-task in the last pileOnA(). */
const firstRunId = new Map<string, number>();

test("balance asks the saturated worker for its least urgent tasks, as many as pay off", () => {
  const s = pileOnA();
  assert.equal(s.wantsBalance(), true);
  const out = s.handle([balance()]);
  // a holds 0.25 s of work, b none: t5 and t4 move (then a would finish sooner than b)
  assert.deepEqual(steals(out), ["t5@a", "t4@a"]);
  assert.equal(computes(out).length, 0, "nothing moves before the victim answers");
  assert.equal(s.stealsInFlight, 2);
  assert.equal(s.task("t5")?.processingOn, "a");
  assert.match(s.story("t5").at(-1)?.note ?? "", /steal requested: a -> b/);
  // a second balance does not ask again for tasks in flight, nor for more (they count as moved)
  assert.deepEqual(steals(s.handle([balance()])), []);
});

test("stolen: the task moves to the thief with a new runId; the victim is not told again", () => {
  const s = pileOnA();
  s.handle([balance()]);
  const before = s.story("t5");
  const runId = computes(s.handle([answer("a", "t5", true)]))[0]?.runId;
  assert.equal(s.task("t5")?.processingOn, "b");
  assert.equal(s.stealsInFlight, 1);
  const out = s.handle([]);
  assert.deepEqual(out, []);
  const story = s.story("t5").slice(before.length);
  assert.deepEqual(
    story.map((r) => `${r.from}->${r.to}${r.note === undefined ? "" : ` ${r.note}`}`),
    ["processing->processing stolen from a (was ready) for b", "processing->processing"],
  );
  assert.ok(runId !== undefined && runId !== firstRunId.get("t5"));
  // the compute-task names where x is, so b fetches it
  const again = pileOnA();
  again.handle([balance()]);
  const ct = computes(again.handle([answer("a", "t5", true)]))[0];
  assert.equal(ct?.worker, "b");
  assert.deepEqual(ct?.deps, [{ key: "x", holders: ["a"], nbytes: 100 }]);
  // b's result is taken; a late result from a (the old attempt) is ignored and freed there
  const late = again.handle([finished("a", "t5", 8, 0.05, "late", firstRunId.get("t5"))]);
  assert.deepEqual(freed(late), ["t5@a"]);
  assert.equal(again.taskState("t5"), "processing");
  again.handle([finished("b", "t5", 8, 0.05, "b-done", ct?.runId)]);
  assert.equal(again.taskState("t5"), "memory");
  assert.deepEqual(again.whoHas(["t5"]), { t5: ["b"] });
});

test("not stolen (already running or done there): nothing moves", () => {
  const s = pileOnA();
  s.handle([balance()]);
  const out = s.handle([answer("a", "t5", false, "executing")]);
  assert.deepEqual(out, []);
  assert.equal(s.task("t5")?.processingOn, "a");
  assert.equal(s.stealsInFlight, 1);
  assert.match(s.story("t5").at(-1)?.note ?? "", /steal refused by a \(executing there\)/);
});

test("the task finishes on the victim meanwhile: the late answer is ignored", () => {
  const s = pileOnA();
  s.handle([balance()]);
  s.handle([finished("a", "t5", 8, 0.05)]);
  assert.equal(s.taskState("t5"), "memory");
  assert.equal(s.stealsInFlight, 2, "kept, not live, until the answer comes");
  assert.deepEqual(s.handle([answer("a", "t5", false, "memory")]), []);
  assert.equal(s.taskState("t5"), "memory");
  assert.match(s.story("t5").at(-1)?.note ?? "", /ignored: the task moved on/);
  assert.equal(s.stealsInFlight, 1);
});

test("the victim dies with steals in flight: its tasks are rescheduled, answers ignored", () => {
  const s = pileOnA();
  s.handle([balance()]);
  const out = s.handle([removeWorker("a")]);
  assert.equal(s.stealsInFlight, 0);
  // x was only on a: it is lost (scattered data cannot be recomputed), so the map errs
  assert.equal(s.taskState("t5"), "erred");
  assert.deepEqual(s.handle([answer("a", "t5", true)]), []);
  assert.equal(computes(out).length, 0);
});

test("the victim dies with steals in flight, its input recomputable: all rerun on the living", () => {
  const s = scheduler(PILE);
  s.handle([worker("a"), worker("b")]);
  const tasks = [
    task("x"),
    ...Array.from({ length: 5 }, (_, i) => task(`t${i}`, ["x"], { group: "slow" })),
  ];
  s.handle([
    graph(
      tasks,
      tasks.slice(1).map((t) => t.key),
    ),
  ]);
  const onA = s.task("x")?.processingOn;
  assert.equal(onA, "a");
  s.handle([finished("a", "x", 8, 0.01)]);
  s.handle([finished("a", "t0", 8, 0.05)]);
  assert.deepEqual(steals(s.handle([balance()])), ["t4@a", "t3@a"]);
  const out = s.handle([removeWorker("a")]);
  assert.equal(s.stealsInFlight, 0);
  assert.equal(s.taskState("t4"), "processing"); // speculated onto b behind x
  assert.deepEqual(placed(out).sort(), ["t0@b", "t1@b", "t2@b", "t3@b", "t4@b", "x@b"]);
  assert.deepEqual(s.handle([answer("a", "t4", true), answer("a", "t3", false)]), []);
  assert.equal(s.task("t4")?.processingOn, "b");
});

test("tasks restricted to the victim are never stolen", () => {
  const s = scheduler(PILE);
  s.handle([worker("a"), worker("b"), scatter("a", ["x"])]);
  const tasks = Array.from({ length: 4 }, (_, i) =>
    task(`t${i}`, ["x"], { group: "slow", workers: ["a"] }),
  );
  s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  s.handle([finished("a", "t0", 8, 0.05)]);
  assert.equal(s.wantsBalance(), true);
  assert.deepEqual(steals(s.handle([balance()])), []);
});

test("the task is released (client drops it) meanwhile: the victim is told, the answer ignored", () => {
  const s = pileOnA();
  s.handle([balance()]);
  const out = s.handle([release(["t5"])]);
  assert.deepEqual(freed(out), ["t5@a"]);
  assert.equal(s.stealsInFlight, 2, "kept (stale) until the answer comes");
  assert.deepEqual(s.handle([answer("a", "t5", true)]), []);
  assert.equal(s.stealsInFlight, 1);
  assert.equal(s.taskState("t5"), "forgotten");
});

test("the task is cancelled meanwhile: the answer is ignored", () => {
  const s = pileOnA();
  s.handle([balance()]);
  s.handle([cancel(["t4"])]);
  assert.equal(s.taskState("t4"), "forgotten");
  assert.deepEqual(s.handle([answer("a", "t4", true)]), []);
});

test("released and submitted again meanwhile: not asked again until the old answer came", () => {
  const s = pileOnA();
  s.handle([balance()]);
  s.handle([release(["t5"])]);
  const out = s.handle([graph([task("t5", ["x"], { group: "slow" })], ["t5"])]);
  assert.equal(computes(out)[0]?.worker, "a");
  // the victim answers by key: an answer now could be about either attempt, so no new request
  assert.ok(!steals(s.handle([balance()])).includes("t5@a"));
  // the old answer (the victim dropped the old attempt; the new one reaches it afterwards),
  // which cannot be told apart from an answer about the new attempt: it is ignored
  assert.deepEqual(s.handle([answer("a", "t5", true, "ready")]), []);
  assert.equal(s.task("t5")?.processingOn, "a");
  // the other requests are refused (running there): now t5 may be asked for again, and moves
  s.handle([answer("a", "t4", false, "executing"), answer("a", "t3", false, "executing")]);
  assert.equal(s.stealsInFlight, 0);
  assert.ok(steals(s.handle([balance()])).includes("t5@a"));
  assert.deepEqual(placed(s.handle([answer("a", "t5", true, "ready")])), ["t5@b"]);
});

test("a retry on the victim with a steal in flight: the answer is ignored, never lost", () => {
  const s = pileOnA();
  s.handle([graph([task("r", ["x"], { group: "slow", retries: 1 })], ["r"])]);
  const asked = steals(s.handle([balance()]));
  assert.ok(asked.includes("r@a"), asked.join(","));
  // r throws on a, and is retried there (b idles but r's runId changes)
  s.handle([
    {
      type: "task-erred",
      stimulusId: "boom",
      worker: "a",
      key: "r",
      error: { name: "Error", code: "BARN_TASK_FAILED", message: "x" },
    },
  ]);
  const second = steals(s.handle([balance()]));
  assert.ok(!second.includes("r@a"), "not asked again before the first answer");
  // the answer to the first request: the worker no longer knew r (it erred): kept
  const n = s.stealsInFlight;
  assert.deepEqual(s.handle([answer("a", "r", false, "released")]), []);
  assert.equal(s.stealsInFlight, n - 1);
  assert.equal(s.task("r")?.processingOn, "a");
});

test("the thief dies meanwhile: a stolen task goes to the best worker now", () => {
  const s = pileOnA();
  s.handle([worker("c")]);
  s.handle([balance()]);
  const asked = s.dump() as { steals: { key: string; thief: string }[] };
  const t5 = asked.steals.find((st) => st.key === "t5");
  assert.ok(t5 !== undefined);
  s.handle([removeWorker(t5.thief)]);
  assert.equal(s.stealsInFlight, asked.steals.length, "the victim's tasks are not touched");
  const out = s.handle([answer("a", "t5", true)]);
  const to = computes(out)[0]?.worker;
  assert.ok(to !== undefined && to !== t5.thief, `went to ${to}`);
});

test("the thief dies and the victim is the best worker now: it gets the task back", () => {
  const s = pileOnA();
  s.handle([balance()]);
  s.handle([removeWorker("b")]);
  assert.deepEqual(placed(s.handle([answer("a", "t5", true)])), ["t5@a"]);
  assert.equal(s.task("t5")?.processingOn, "a");
});

test("a stale answer from a worker the steal was not asked of is ignored", () => {
  const s = pileOnA();
  s.handle([balance()]);
  assert.deepEqual(s.handle([answer("b", "t5", true)]), []);
  assert.equal(s.task("t5")?.processingOn, "a");
  assert.equal(s.stealsInFlight, 2, "the request to a is still answered later");
});

test("tasks of unknown or tiny duration are not stolen", () => {
  const s = scheduler(PILE);
  s.handle([worker("a"), worker("b"), scatter("a", ["x"])]);
  const tasks = Array.from({ length: 6 }, (_, i) => task(`t${i}`, ["x"], { group: "tiny" }));
  s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.deepEqual(steals(s.handle([balance()])), [], "unknown duration");
  s.handle([finished("a", "t0", 8, 0.001)]);
  assert.deepEqual(steals(s.handle([balance()])), [], "1 ms tasks");
});

test("tasks whose inputs cost too much to move are not stolen", () => {
  const s = scheduler(PILE);
  s.handle([worker("a"), worker("b"), scatter("a", ["x"], "c1", 1e9)]);
  const tasks = Array.from({ length: 6 }, (_, i) => task(`t${i}`, ["x"], { group: "slow" }));
  s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  s.handle([finished("a", "t0", 8, 0.05)]);
  // 1 GB at 100 MB/s is 10 s, for 50 ms of work
  assert.deepEqual(steals(s.handle([balance()])), []);
  // with a fast network it pays
  const fast = scheduler({ ...PILE, bandwidth: 1e12 });
  fast.handle([worker("a"), worker("b"), scatter("a", ["x"], "c1", 1e9)]);
  fast.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  fast.handle([finished("a", "t0", 8, 0.05)]);
  assert.deepEqual(steals(fast.handle([balance()])), ["t5@a", "t4@a"]);
});

test("a thief without the resources a task needs is never chosen", () => {
  const s = scheduler(PILE);
  s.handle([
    worker("a", 1, { resources: { GPU: 1 } }),
    worker("b"),
    worker("c", 1, { resources: { GPU: 1 } }),
  ]);
  s.handle([scatter("a", ["x"])]);
  const tasks = Array.from({ length: 5 }, (_, i) =>
    task(`g${i}`, ["x"], { group: "gpu", resources: { GPU: 1 } }),
  );
  // restricted tasks with deps go to the holder of x that can run them: a
  const out = s.handle([
    graph(
      tasks,
      tasks.map((t) => t.key),
    ),
  ]);
  assert.deepEqual(new Set(computes(out).map((c) => c.worker)), new Set(["a"]));
  s.handle([finished("a", "g0", 8, 0.05)]);
  assert.deepEqual(steals(s.handle([balance()])), ["g4@a", "g3@a"]);
  const inFlight = (s.dump() as { steals: { key: string; thief: string }[] }).steals;
  assert.deepEqual(
    inFlight.map((st) => st.thief),
    ["c", "c"],
  );
});

test("a task whose speculated dependent waits for it on the victim is not stolen", () => {
  const s = scheduler(PILE);
  s.handle([worker("a"), worker("b"), scatter("a", ["x"])]);
  const tasks = [
    ...Array.from({ length: 4 }, (_, i) => task(`t${i}`, ["x"], { group: "slow" })),
    task("next", ["t3"], { group: "slow" }),
  ];
  const out = s.handle([graph(tasks, ["t0", "t1", "t2", "next"])]);
  assert.ok(placed(out).includes("next@a"), "next is speculatively assigned to a");
  s.handle([finished("a", "t0", 8, 0.05)]);
  const asked = steals(s.handle([balance()]));
  assert.ok(!asked.includes("t3@a"), `asked ${asked.join(",")}`);
  assert.ok(!asked.includes("next@a"), "next waits for t3 on a");
});

test("work stealing off: no balance is wanted and a balance event does nothing", () => {
  const s = pileOnA({ workStealing: false });
  assert.equal(s.wantsBalance(), false);
  assert.deepEqual(s.handle([balance()]), []);
});

test("balance with no idle worker does nothing", () => {
  const s = pileOnA();
  s.handle([graph([task("other", [], { group: "slow" })], ["other"])]);
  assert.equal(s.task("other")?.processingOn, "b");
  assert.equal(s.wantsBalance(), false);
  assert.deepEqual(s.handle([balance()]), []);
});

test("work-stealing options are validated with errors that name them", () => {
  assert.throws(
    () => scheduler({ workStealingInterval: 0 }),
    /workStealingInterval must be a positive number/,
  );
  assert.throws(() => scheduler({ bandwidth: -1 }), /bandwidth must be a positive number/);
  assert.throws(
    () => scheduler({ workStealing: "yes" as unknown as boolean }),
    /workStealing must be a boolean/,
  );
});
