import assert from "node:assert/strict";
import { test } from "node:test";
import { BarnError } from "../../../src/errors.js";
import { WorkerState } from "../../../src/worker/state.js";
import { add, ct, fail, free, ok, run, worker } from "./helpers.js";

test("a task with no inputs executes at once and reports its result", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("a")), ["execute a"]);
  assert.equal(ws.stateOf("a"), "executing");
  const out = ws.handle([ok("a", 16, 0.25)]);
  assert.equal(out.length, 1);
  assert.deepEqual(
    { ...out[0], stimulusId: "" },
    {
      type: "send-task-finished",
      key: "a",
      nbytes: 16,
      duration: 0.25,
      runId: -1,
      stimulusId: "",
    },
  );
  assert.deepEqual(ws.memoryKeys(), ["a"]);
  assert.equal(ws.executingCount, 0);
});

test("ready tasks run in priority order (lower tuple first, then first come)", () => {
  const ws = worker();
  assert.deepEqual(run(ws, ct("busy")), ["execute busy"]);
  run(
    ws,
    ct("c", { priority: [1, 5] }),
    ct("a", { priority: [0, 9] }),
    ct("d", { priority: [1, 5] }),
    ct("b", { priority: [1] }),
  );
  const order: string[] = [];
  let last = "busy";
  for (;;) {
    const out = run(ws, ok(last));
    const ex = out.find((o) => o.startsWith("execute "));
    if (ex === undefined) break;
    last = ex.slice(8);
    order.push(last);
  }
  assert.deepEqual(order, ["a", "b", "c", "d"]);
});

test("at most nthreads tasks execute at once", () => {
  const ws = worker({ nthreads: 2 });
  assert.deepEqual(run(ws, ct("a"), ct("b"), ct("c")), ["execute a", "execute b"]);
  assert.equal(ws.executingCount, 2);
  assert.equal(ws.counts().ready, 1);
  assert.deepEqual(run(ws, ok("b")), ["finished b", "execute c"]);
});

test("resources limit concurrency: {GPU:1} tasks on a worker with GPU 2 run 2 at a time", () => {
  const ws = worker({ nthreads: 8, resources: { GPU: 2 } });
  const g = { resources: { GPU: 1 } };
  const out = run(ws, ct("g1", g), ct("g2", g), ct("g3", g), ct("cpu"));
  assert.deepEqual(out, ["execute g1", "execute g2", "execute cpu"]);
  assert.deepEqual(run(ws, ok("cpu")), ["finished cpu"]);
  assert.deepEqual(run(ws, ok("g1")), ["finished g1", "execute g3"]);
  assert.equal(ws.dump().freeResources.GPU, 0);
  run(ws, fail("g2"), ok("g3"));
  assert.equal(ws.dump().freeResources.GPU, 2);
});

test("a constrained task that does not fit does not block unconstrained ones", () => {
  const ws = worker({ nthreads: 2, resources: { GPU: 1 } });
  const out = run(ws, ct("g1", { resources: { GPU: 1 } }), ct("g2", { resources: { GPU: 1 } }));
  assert.deepEqual(out, ["execute g1"]);
  assert.deepEqual(run(ws, ct("cpu", { priority: [9] })), ["execute cpu"]);
});

test("execute-failure reports send-task-erred and frees the thread", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b"));
  assert.deepEqual(run(ws, fail("a")), ["erred a", "execute b"]);
  assert.equal(ws.stateOf("a"), "error");
  assert.equal(ws.dump().tasks.a?.error, "boom a");
  assert.deepEqual(run(ws, free("a")), ["stopped a"]);
  assert.equal(ws.stateOf("a"), "released");
});

test("a compute-task for a key already in memory answers send-task-finished at once", () => {
  const ws = worker();
  run(ws, ct("a"));
  run(ws, ok("a", 32, 0.5));
  const out = ws.handle([ct("a")]);
  assert.deepEqual(
    out.map((o) => o.type),
    ["send-task-finished"],
  );
  assert.equal(out[0]?.type === "send-task-finished" && out[0].nbytes, 32);
});

test("a duplicate compute-task for a waiting, ready or executing key is a no-op", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b"), ct("c", { deps: { x: ["p1"] } }));
  assert.deepEqual(run(ws, ct("a"), ct("b"), ct("c", { deps: { x: ["p1"] } })), []);
  assert.deepEqual(ws.counts(), { ...ws.counts(), executing: 1, ready: 1, waiting: 1, flight: 1 });
});

test("free-keys while executing cancels; the result is discarded, only its stop is sent", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b"));
  assert.deepEqual(run(ws, free("a")), [], "still running: its stop is said when it returns");
  assert.equal(ws.stateOf("a"), "cancelled");
  assert.equal(ws.executingCount, 1, "a cancelled task still holds its thread");
  assert.deepEqual(run(ws, ok("a")), ["release a", "stopped a", "execute b"]);
  assert.equal(ws.stateOf("a"), "released");
  assert.deepEqual(run(ws, ct("c"), free("c")), ["stopped c"]);
  assert.deepEqual(run(ws, ok("b"), fail("c")), ["finished b"]);
});

test("a compute-task for a cancelled key resumes it and keeps its result", () => {
  const ws = worker();
  run(ws, ct("a"));
  run(ws, free("a"));
  assert.deepEqual(run(ws, ct("a")), []);
  assert.equal(ws.stateOf("a"), "executing");
  assert.deepEqual(run(ws, ok("a")), ["finished a"]);
});

test("free-keys of waiting and ready tasks forgets them", () => {
  const ws = worker();
  run(ws, ct("a"), ct("b"), ct("c", { deps: { x: ["p1"] } }));
  assert.deepEqual(run(ws, free("b", "c", "unknown")), [
    "stopped b",
    "stopped c",
    "stopped unknown",
  ]);
  assert.deepEqual(run(ws, ok("a")), ["finished a"]);
  assert.equal(ws.stateOf("b"), "released");
  assert.equal(ws.stateOf("c"), "released");
});

test("free-keys of a memory key releases its data", () => {
  const ws = worker();
  run(ws, ct("a"));
  run(ws, ok("a"));
  assert.deepEqual(run(ws, free("a")), ["release a"]);
  assert.deepEqual(ws.memoryKeys(), []);
});

test("add-data places keys in memory and wakes tasks that need them", () => {
  const ws = worker();
  run(ws, ct("b", { deps: { a: ["p1"] } }));
  run(ws, add("a", "z"));
  assert.deepEqual(ws.memoryKeys().sort(), ["a", "z"]);
  assert.equal(ws.stateOf("b"), "executing");
  assert.deepEqual(run(ws, ok("b"), free("b")), ["finished b", "release b"]);
  assert.equal(ws.stateOf("a"), "memory", "scattered data stays until freed");
  assert.deepEqual(run(ws, free("a", "z")), ["release a", "release z"]);
});

test("a local input computed here feeds a dependent without fetching", () => {
  const ws = worker();
  run(ws, ct("a"));
  assert.deepEqual(run(ws, ct("b", { deps: { a: ["w0"] } })), []);
  assert.deepEqual(run(ws, ok("a")), ["finished a", "execute b"]);
});

test("bad options are rejected at the boundary with a message naming them", () => {
  assert.throws(() => new WorkerState("w", { nthreads: 0 }), /nthreads must be an integer >= 1/);
  assert.throws(
    () => new WorkerState("w", { nthreads: 1, transferConcurrency: 1.5 }),
    /transferConcurrency/,
  );
  assert.throws(
    () => new WorkerState("w", { nthreads: 1, resources: { GPU: -1 } }),
    (e: unknown) => e instanceof BarnError && e.code === "BARN_INVALID_OPTION",
  );
  const ws = new WorkerState("w", { nthreads: 2, transferBatchKeys: undefined });
  assert.equal(ws.config.transferBatchKeys, 1000);
  assert.equal(ws.config.transferBatchBytes, 50_000_000);
});

/** The runIds of the reports in `out`, as "key:runId". */
const reported = (out: readonly { type: string; key?: string; runId?: number }[]) =>
  out
    .filter((i) => i.type === "send-task-finished" || i.type === "send-task-erred")
    .map((i) => `${i.key}:${i.runId}`);

test("a result handled before a newer compute-task of its key is reported with its own runId", () => {
  // The soak's hang (issue 16.8): the scheduler freed `a` (its input was lost with a dead peer)
  // and sent it again (runId 2) while attempt 1 was finishing here. The runId used to be taken
  // when the message arrived, so attempt 1's result, still queued, went out as attempt 2's:
  // the scheduler took `a` for done while this worker freed it and computed it again, and
  // whatever then needed `a` here waited for ever once that recompute lost its inputs.
  const ws = worker();
  run(ws, ct("a", { runId: 1 }));
  const out = ws.handle([ok("a"), free("a"), ct("a", { runId: 2 })]);
  assert.deepEqual(reported(out), ["a:1"], "attempt 1's result says attempt 1");
  assert.equal(ws.stateOf("a"), "executing", "attempt 2 runs");
  assert.deepEqual(reported(ws.handle([ok("a")])), ["a:2"]);
});

test("runIds: a repeat answered from memory, a failure and a cancelled run taken over", () => {
  const ws = worker();
  run(ws, ct("a", { runId: 1 }));
  ws.handle([ok("a")]);
  assert.deepEqual(reported(ws.handle([ct("a", { runId: 5 })])), ["a:5"]);
  run(ws, ct("b", { runId: 2 }));
  assert.deepEqual(reported(ws.handle([fail("b")])), ["b:2"]);
  run(ws, ct("c", { runId: 3 }));
  // Freed while running (cancelled), then asked again: the running call's result is attempt 4.
  ws.handle([free("c"), ct("c", { runId: 4 })]);
  assert.deepEqual(reported(ws.handle([ok("c")])), ["c:4"]);
});
