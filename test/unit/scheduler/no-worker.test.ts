/**
 * Tasks no worker can run: the warning (an instruction the shell logs, and a note in the story)
 * comes at once; with noWorkerTimeout on they err with NO_VALID_WORKER after that long, on a
 * tick event, time from the injected clock.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes } from "../../../src/errors.js";
import type { NoWorkerWarning, SchedulerInstruction } from "../../../src/scheduler/protocol.js";
import { SchedulerState } from "../../../src/scheduler/state.js";
import { computes, erreds, graph, removeWorker, task, worker } from "./helpers.js";

const warnings = (ins: readonly SchedulerInstruction[]): NoWorkerWarning[] =>
  ins.filter((i): i is NoWorkerWarning => i.type === "no-worker");

/** A scheduler whose clock the test moves (seconds). */
function clocked(noWorkerTimeout = 0): { s: SchedulerState; at: (t: number) => void } {
  let now = 0;
  const s = new SchedulerState({
    config: { validate: true, noWorkerTimeout },
    clock: () => now,
  });
  return { s, at: (t) => (now = t) };
}

const tick = (n: number) => ({ type: "tick" as const, stimulusId: `tick-${n}` });

test("a task asking for resources no worker has is warned about at once, log and story", () => {
  const { s } = clocked();
  s.handle([worker("w0", 1, { resources: { GPU: 1 } }), worker("w1", 1)]);
  const out = s.handle([graph([task("train", [], { resources: { GPU: 2 } })], ["train"])]);
  assert.equal(s.taskState("train"), "no-worker");
  const [w] = warnings(out);
  assert.equal(w?.key, "train");
  assert.match(w!.message, /no worker can run task train: it needs/);
  assert.match(w!.message, /needs resources \{GPU: 2\}/);
  assert.match(w!.message, /w0 \{GPU: 1\}, w1 \{\}/);
  const notes = s.story("train").map((r) => r.note ?? "");
  assert.ok(
    notes.some((n) => /no worker can run it.*GPU: 2/.test(n)),
    notes.join("\n"),
  );
});

test("restrictions naming no connected worker are warned about, naming them", () => {
  const { s } = clocked();
  s.handle([worker("w0")]);
  const out = s.handle([graph([task("t", [], { workers: ["gpu-box"] })], ["t"])]);
  assert.match(warnings(out)[0]!.message, /a worker among \[gpu-box\]; the workers offer: w0/);
});

test("with no worker at all the warning says none is connected", () => {
  const { s } = clocked();
  s.handle([worker("w0")]);
  s.handle([graph([task("a", [], { workers: ["w0"] })], ["a"])]);
  const out = s.handle([removeWorker("w0")]);
  assert.match(warnings(out)[0]!.message, /no worker is connected/);
});

test("without noWorkerTimeout a task waits (ticks change nothing) and runs when one joins", () => {
  const { s, at } = clocked(0);
  s.handle([worker("w0")]);
  s.handle([graph([task("t", [], { resources: { GPU: 1 } })], ["t"])]);
  at(3600);
  assert.deepEqual(s.handle([tick(1)]), []);
  assert.equal(s.taskState("t"), "no-worker");
  const out = s.handle([worker("gpu", 1, { resources: { GPU: 1 } })]);
  assert.deepEqual(
    computes(out).map((c) => c.key),
    ["t"],
  );
});

test("with noWorkerTimeout the task errs with NO_VALID_WORKER once it waited that long", () => {
  const { s, at } = clocked(10);
  s.handle([worker("w0", 1, { resources: { GPU: 1 } })]);
  at(1);
  s.handle([graph([task("t", [], { resources: { GPU: 2 } }), task("after", ["t"])], ["after"])]);
  at(10.5);
  assert.deepEqual(s.handle([tick(1)]), [], "9.5 s is not 10");
  assert.equal(s.taskState("t"), "no-worker");
  at(11);
  const out = s.handle([tick(2)]);
  const [e] = erreds(out);
  assert.equal(e?.key, "after", "the client hears about the key it wants");
  assert.equal(e!.error.code, ErrorCodes.NO_VALID_WORKER);
  assert.equal(e!.error.key, "t");
  assert.match(e!.error.message, /task t waited 10\.0 s \(noWorkerTimeout 10 s\)/);
  assert.match(e!.error.message, /needs resources \{GPU: 2\}; the workers offer: w0 \{GPU: 1\}/);
  assert.equal(s.taskState("after"), "erred");
});

test("the wait restarts each time a task enters no-worker", () => {
  const { s, at } = clocked(5);
  s.handle([worker("a")]);
  s.handle([graph([task("t", [], { workers: ["a"] })], ["t"])]);
  at(4);
  s.handle([removeWorker("a")]); // back to no-worker at t=4
  at(8);
  s.handle([tick(1)]);
  assert.equal(s.taskState("t"), "no-worker", "4 s in no-worker, not 8");
  at(9);
  assert.equal(erreds(s.handle([tick(2)]))[0]?.error.code, ErrorCodes.NO_VALID_WORKER);
});

test("noWorkerTimeout is validated", () => {
  assert.throws(
    () => new SchedulerState({ config: { noWorkerTimeout: -1 } }),
    (e: Error) => (e as { code?: string }).code === ErrorCodes.INVALID_OPTION,
  );
});
