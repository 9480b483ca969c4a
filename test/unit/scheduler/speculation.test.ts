/**
 * Speculative assignment: a waiting task whose inputs not yet in memory all run on one worker
 * is sent there at once, so the worker chains them without a round trip. Events in,
 * instructions out; validate() runs after every handle().
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { SchedulerCore } from "../../../src/scheduler/core.js";
import { defaultSchedulerConfig } from "../../../src/scheduler/protocol.js";
import {
  cancel,
  cancelleds,
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

function chain(n: number, prefix = "t") {
  return Array.from({ length: n }, (_, i) =>
    task(`${prefix}${i}`, i === 0 ? [] : [`${prefix}${i - 1}`]),
  );
}

test("a chain goes to its root's worker in one handle(), each input named as held there", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const out = s.handle([graph(chain(5), ["t4"])]);
  const w = computes(out)[0]!.worker;
  assert.deepEqual(
    placed(out),
    ["t0", "t1", "t2", "t3", "t4"].map((k) => `${k}@${w}`),
  );
  assert.deepEqual(computes(out)[1]?.deps, [{ key: "t0", holders: [w] }]);
  assert.equal(s.workers().find((x) => x.id === w)?.processing, 5);
  // results come back in order; nothing is sent but frees of inputs nobody needs any more
  assert.deepEqual(s.handle([finished(w, "t0")]), []);
  for (let i = 1; i < 4; i++) {
    const next = s.handle([finished(w, `t${i}`)]);
    assert.deepEqual(computes(next), []);
    assert.deepEqual(freed(next), [`t${i - 1}@${w}`]);
  }
  const last = s.handle([finished(w, "t4")]);
  assert.deepEqual(
    inMemory(last).map((m) => m.key),
    ["t4"],
  );
  assert.deepEqual(freed(last), [`t3@${w}`]);
  assert.deepEqual(
    s.story("t2").map((r) => `${r.from}->${r.to}`),
    ["released->waiting", "waiting->processing", "processing->memory", "memory->released"],
  );
  s.handle([release(["t4"])]);
  assert.equal(s.size, 0);
});

test("a batch of results in one event is taken in order, the speculated ones included", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph(chain(4), ["t3"])]);
  const out = s.handle(["t0", "t1", "t2", "t3"].map((k) => finished("a", k)));
  assert.deepEqual(
    inMemory(out).map((m) => m.key),
    ["t3"],
  );
  assert.deepEqual(freed(out), ["t0@a", "t1@a", "t2@a"]);
});

test("with speculativeAssignment off a chain is placed one step per result", () => {
  const s = scheduler({ speculativeAssignment: false });
  s.handle([worker("a")]);
  assert.deepEqual(placed(s.handle([graph(chain(3), ["t2"])])), ["t0@a"]);
  assert.deepEqual(placed(s.handle([finished("a", "t0")])), ["t1@a"]);
});

test("diamond on one worker: both sides and the sink are speculated at once", () => {
  const s = scheduler();
  s.handle([worker("w1", 2)]);
  const tasks = [task("a"), task("b", ["a"]), task("c", ["a"]), task("d", ["b", "c"])];
  const out = s.handle([graph(tasks, ["d"])]);
  assert.deepEqual(placed(out), ["a@w1", "b@w1", "c@w1", "d@w1"]);
  assert.deepEqual(
    computes(out)[3]?.deps.map((d) => [d.key, d.holders]),
    [
      ["b", ["w1"]],
      ["c", ["w1"]],
    ],
  );
  s.handle(["a", "b", "c", "d"].map((k) => finished("w1", k)));
  assert.equal(s.taskState("d"), "memory");
});

test("diamond over two workers: the sink waits while its inputs run on different workers", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [
    task("l", [], { workers: ["a"] }),
    task("r", [], { workers: ["b"] }),
    task("sink", ["l", "r"]),
  ];
  assert.deepEqual(placed(s.handle([graph(tasks, ["sink"])])).sort(), ["l@a", "r@b"]);
  assert.equal(s.taskState("sink"), "waiting");
  // l is done, with a result worth keeping where it is: the sink waits and goes to it (locality)
  assert.deepEqual(placed(s.handle([finished("a", "l", 1_000_000)])), []);
  assert.equal(s.taskState("sink"), "waiting");
  assert.deepEqual(placed(s.handle([finished("b", "r", 8)])), ["sink@a"]);
});

test("diamond over two workers: once one side is in memory the sink may follow the other", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [
    task("l", [], { workers: ["a"] }),
    task("r", [], { workers: ["b"] }),
    task("sink", ["l", "r"]),
  ];
  s.handle([graph(tasks, ["sink"])]);
  // an empty result on a: b holds as many input bytes, so the sink waits for r on b
  const out = s.handle([finished("a", "l", 0)]);
  assert.deepEqual(placed(out), ["sink@b"]);
  assert.deepEqual(
    computes(out)[0]?.deps.map((d) => [d.key, d.holders]),
    [
      ["l", ["a"]],
      ["r", ["b"]],
    ],
  );
  assert.equal(s.task("sink")?.processingOn, "b");
});

test("a dependent restricted to another worker is not speculated", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  s.handle([
    graph([task("x", [], { workers: ["a"] }), task("y", ["x"], { workers: ["b"] })], ["y"]),
  ]);
  assert.equal(s.taskState("y"), "waiting");
  assert.deepEqual(placed(s.handle([finished("a", "x")])), ["y@b"]);
});

test("an input that errs: its speculated dependents err with its error and are freed", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph(chain(3), ["t2"])]);
  const out = s.handle([erred("a", "t0", "bad")]);
  assert.deepEqual(
    erreds(out).map((e) => [e.key, e.error.key, e.error.message]),
    [["t2", "t0", "bad"]],
  );
  assert.deepEqual(freed(out), ["t0@a", "t1@a", "t2@a"]);
  assert.deepEqual(computes(out), []);
  assert.equal(s.taskState("t2"), "erred");
  assert.deepEqual(
    s.story("t1").map((r) => `${r.from}->${r.to}`),
    ["released->waiting", "waiting->processing", "processing->erred", "erred->released"],
  );
  s.handle([release(["t2"])]);
  assert.equal(s.size, 0);
});

test("a retried input runs again on its worker; its speculated dependent stays there", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [task("x", [], { retries: 1 }), task("y", ["x"])];
  const first = s.handle([graph(tasks, ["y"])]);
  const w = computes(first)[0]!.worker;
  const yRun = computes(first)[1]!.runId;
  const out = s.handle([erred(w, "x")]);
  // the failed attempt is freed, then x is sent to the same worker again; y is left alone
  assert.deepEqual(
    out.map((i) => `${i.type} ${"keys" in i ? i.keys.join(",") : "key" in i ? i.key : ""}`),
    ["free-keys x", "compute-task x"],
  );
  assert.equal(computes(out)[0]?.worker, w);
  assert.equal(s.task("y")?.processingOn, w);
  assert.deepEqual(s.handle([finished(w, "x")]), []);
  const done = s.handle([finished(w, "y", 8, 0.001, undefined, yRun)]);
  assert.deepEqual(
    inMemory(done).map((m) => m.key),
    ["y"],
  );
});

test("its worker dies: the input counts a death, the speculated tasks none; all move together", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const first = s.handle([graph(chain(3), ["t2"])]);
  const w = computes(first)[0]!.worker;
  const other = w === "a" ? "b" : "a";
  const out = s.handle([removeWorker(w)]);
  assert.deepEqual(placed(out), [`t0@${other}`, `t1@${other}`, `t2@${other}`]);
  assert.deepEqual(
    ["t0", "t1", "t2"].map((k) => s.task(k)?.deaths),
    [1, 0, 0],
  );
});

test("KilledWorker on an input errs its speculated dependents with that error", () => {
  const s = scheduler({ allowedFailures: 0 });
  s.handle([worker("a"), worker("b")]);
  const first = s.handle([graph(chain(3), ["t2"])]);
  const out = s.handle([removeWorker(computes(first)[0]!.worker)]);
  assert.deepEqual(computes(out), []);
  const [e] = erreds(out);
  assert.equal(e?.key, "t2");
  assert.equal(e?.error.code, "BARN_KILLED_WORKER");
  assert.equal(e?.error.key, "t0");
  assert.equal(s.task("t1")?.deaths, 0);
});

test("an expected removal moves the chain without deaths", () => {
  const s = scheduler({ allowedFailures: 0 });
  s.handle([worker("a"), worker("b")]);
  const first = s.handle([graph(chain(2), ["t1"])]);
  const out = s.handle([removeWorker(computes(first)[0]!.worker, true)]);
  assert.equal(computes(out).length, 2);
  assert.equal(s.task("t0")?.deaths, 0);
});

test("cancelling an input cancels its speculated dependents and frees them on the worker", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph(chain(3), ["t1", "t2"])]);
  const out = s.handle([cancel(["t0"])]);
  assert.deepEqual(
    cancelleds(out)
      .map((c) => c.key)
      .sort(),
    ["t1", "t2"],
  );
  assert.deepEqual(freed(out), ["t0@a", "t1@a", "t2@a"]);
  assert.equal(s.size, 0);
});

test("releasing a speculated dependent frees it alone while its input is still wanted", () => {
  const s = scheduler();
  s.handle([worker("a")]);
  s.handle([graph(chain(2), ["t0", "t1"])]);
  assert.deepEqual(freed(s.handle([release(["t1"])])), ["t1@a"]);
  assert.equal(s.taskState("t0"), "processing");
});

test("missing-data from the worker computing the key itself changes nothing", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const first = s.handle([graph(chain(2), ["t1"])]);
  const w = computes(first)[0]!.worker;
  assert.deepEqual(s.handle([missing(w, "t0", w === "a" ? "b" : "a")]), []);
  assert.equal(s.task("t1")?.processingOn, w);
});

test("an input lost with its worker: the speculated dependent waits again; late reports ignored", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b")]);
  const tasks = [
    task("p", [], { workers: ["b"] }),
    task("x", [], { workers: ["a"] }),
    task("y", ["p", "x"]),
  ];
  s.handle([graph(tasks, ["y"])]);
  // p (empty) lands on b; y then follows x, still running on a
  const spec = s.handle([finished("b", "p", 0)]);
  assert.deepEqual(placed(spec), ["y@a"]);
  const oldRun = computes(spec)[0]!.runId;
  const out = s.handle([removeWorker("b", true)]);
  // p is gone and only b may compute it: y leaves a and waits, p waits for a worker named b
  assert.deepEqual(freed(out), ["y@a"]);
  assert.equal(s.taskState("y"), "waiting");
  assert.equal(s.taskState("p"), "no-worker");
  assert.equal(s.task("x")?.processingOn, "a");
  const back = s.handle([worker("b")]);
  assert.deepEqual(placed(back), ["p@b"]);
  const again = s.handle([finished("b", "p", 0)]);
  assert.deepEqual(placed(again), ["y@a"]);
  // a late report of the abandoned attempt (old runId) is ignored; the current one counts
  assert.deepEqual(
    s.handle([finished("a", "x"), finished("a", "y", 8, 0.001, undefined, oldRun)]),
    [],
  );
  assert.equal(s.taskState("y"), "processing");
  const newRun = computes(again)[0]!.runId;
  const done = s.handle([finished("a", "y", 8, 0.001, undefined, newRun)]);
  assert.deepEqual(
    inMemory(done).map((m) => m.key),
    ["y"],
  );
});

test("speculativeDepth bounds the speculated tasks per worker; the rest follow later", () => {
  const s = scheduler({ speculativeDepth: 2 });
  s.handle([worker("a")]);
  assert.deepEqual(placed(s.handle([graph(chain(6), ["t5"])])), ["t0@a", "t1@a", "t2@a"]);
  assert.equal(s.taskState("t3"), "waiting");
  assert.deepEqual(placed(s.handle([finished("a", "t0"), finished("a", "t1")])), []);
  // t3's input is done: t3 is placed as usual, and the next two follow it speculatively
  assert.deepEqual(placed(s.handle([finished("a", "t2")])), ["t3@a", "t4@a", "t5@a"]);
});

test("speculated tasks count against occupancy: roots go to the other worker", () => {
  const s = scheduler({ targetQueueSeconds: 0 });
  s.handle([worker("a"), worker("b")]);
  const first = s.handle([graph(chain(4), ["t3"])]);
  const w = computes(first)[0]!.worker;
  const roots = Array.from({ length: 2 }, (_, i) => task(`r${i}`));
  const out = s.handle([
    graph(
      roots,
      roots.map((t) => t.key),
    ),
  ]);
  assert.deepEqual(
    computes(out).map((c) => c.worker === w),
    [false, false],
  );
});

test("validate knows the speculation invariants", () => {
  const config = { ...defaultSchedulerConfig, validate: true };
  const c = new SchedulerCore(config, () => 0);
  c.handle([worker("a"), graph(chain(2), ["t1"])]);
  const t1 = c.tasks.get("t1")!;
  assert.equal(t1.waitingOn, 1);
  t1.waitingOn = 0;
  assert.throws(() => c.handle([]), /waitingOn 0, 1 deps still processing/);
  t1.waitingOn = 1;
  c.workers.get("a")!.speculative = 0;
  assert.throws(() => c.handle([]), /counts 0 speculated tasks, has 1/);
  c.workers.get("a")!.speculative = 1;
  c.handle([]);
  const off = new SchedulerCore({ ...config, speculativeAssignment: false }, () => 0);
  off.handle([worker("a"), graph(chain(2), ["t1"])]);
  assert.equal(off.tasks.get("t1")!.state, "waiting");
});

test("bad speculation options are rejected, naming the option", () => {
  assert.throws(() => scheduler({ speculativeDepth: -1 }), /speculativeDepth/);
  assert.throws(
    () => scheduler({ speculativeAssignment: "yes" as unknown as boolean }),
    /speculativeAssignment must be a boolean/,
  );
});
