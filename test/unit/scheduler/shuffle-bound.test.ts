/**
 * The scheduler's side of the P2P shuffle: a transfer task's manifest is bound to the worker
 * that computed it (it names files there), so losing that worker drops every copy and the
 * manifest is recomputed; an output task that reports SHUFFLE_INPUT_LOST runs again instead of
 * erring (up to allowedFailures).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes, type ErrorData } from "../../../src/errors.js";
import type { SchedulerEvent } from "../../../src/scheduler/protocol.js";
import {
  erreds,
  finished,
  graph,
  placed,
  removeWorker,
  scatter,
  scheduler,
  task,
  worker,
} from "./helpers.js";

const T0 = "p2p-transfer-shuffle-x-0";
const T1 = "p2p-transfer-shuffle-x-1";

function lostInput(w: string, key: string, runId: number | undefined): SchedulerEvent {
  const error: ErrorData = {
    name: "BarnError",
    code: ErrorCodes.SHUFFLE_INPUT_LOST,
    message: "a P2P shuffle could not read its pieces from worker a",
    key,
  };
  return {
    type: "task-erred",
    stimulusId: `erred-${key}-${Math.random()}`,
    worker: w,
    key,
    error,
    runId,
  };
}

function shuffleGraph(): SchedulerEvent {
  return graph(
    [
      task(T0, [], { workers: ["a"] }),
      task(T1, [], { workers: ["b"] }),
      task("unpack-0", [T0, T1], { workers: ["b"] }),
    ],
    ["unpack-0"],
  );
}

test("a manifest's copies go with the worker that computed it, and it is recomputed", () => {
  const s = scheduler();
  s.handle([worker("a"), worker("b"), worker("c"), shuffleGraph()]);
  s.handle([finished("a", T0)]);
  assert.deepEqual(placed(s.handle([finished("b", T1)])), ["unpack-0@b"]);
  // b holds a copy of T0 too (as after fetching it for unpack-0).
  s.handle([scatter("b", [T0])]);
  assert.deepEqual([...(s.task(T0)?.whoHas ?? [])].sort(), ["a", "b"]);
  const out = s.handle([removeWorker("a")]);
  // The copy on b is dropped with a's: T0 waits to be recomputed, unpack-0 waits for it.
  assert.notEqual(s.taskState(T0), "memory");
  assert.equal(s.taskState("unpack-0"), "waiting");
  assert.deepEqual(erreds(out), []);
});

test("an ordinary key keeps its other copies when a holder leaves", () => {
  const s = scheduler();
  s.handle([
    worker("a"),
    worker("b"),
    graph([task("x", [], { workers: ["a"] }), task("y", ["x"], { workers: ["b"] })], ["y"]),
  ]);
  s.handle([finished("a", "x")]);
  s.handle([scatter("b", ["x"])]);
  s.handle([removeWorker("a")]);
  assert.equal(s.taskState("x"), "memory");
});

test("SHUFFLE_INPUT_LOST reschedules the task, up to allowedFailures, then errs", () => {
  const s = scheduler({ allowedFailures: 2 });
  s.handle([worker("a"), worker("b"), shuffleGraph()]);
  s.handle([finished("a", T0)]);
  assert.deepEqual(placed(s.handle([finished("b", T1)])), ["unpack-0@b"]);
  for (let i = 0; i < 2; i++) {
    const out = s.handle([lostInput("b", "unpack-0", undefined)]);
    assert.deepEqual(erreds(out), [], `attempt ${i}`);
    assert.deepEqual(placed(out), ["unpack-0@b"], `attempt ${i} runs again`);
  }
  const out = s.handle([lostInput("b", "unpack-0", undefined)]);
  assert.equal(erreds(out).length, 1);
  assert.equal(s.taskState("unpack-0"), "erred");
});
