/**
 * The scheduler's shell keeps the order of what the core tells one worker. A worker applies an
 * ops message's free-keys before its compute-tasks and those before its steal requests; when
 * the core frees a key after sending it in the same batch (the kill -9 soak's hang, issue
 * 16.8: a task sent to a worker, then taken back because a dead worker held its input), the
 * two must not travel in one message, or the worker keeps computing a task the scheduler
 * thinks it dropped, and dependents later sent there wait for that stale attempt for ever.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { splitKeys, unpackCompute } from "../../../src/protocol/ops-codec.js";
import type { ToWorker } from "../../../src/protocol/worker-messages.js";
import { SchedulerServer } from "../../../src/scheduler/server.js";

/** Apply ops messages as a worker does (free, then compute, then steal); the keys it runs. */
function workerKeys(messages: readonly ToWorker[]): Set<string> {
  const running = new Set<string>();
  for (const m of messages) {
    if (m.t !== "ops") continue;
    if (m.free !== undefined) for (const k of splitKeys(m.free)) running.delete(k);
    if (m.compute !== undefined) unpackCompute(m.compute, (t) => running.add(t.key));
    if (m.steal !== undefined) for (const k of splitKeys(m.steal)) running.delete(k);
  }
  return running;
}

test("a task sent to a worker and freed in the same batch is not left running there", () => {
  const server = new SchedulerServer({ config: { validate: true, workStealing: false } });
  const sent = new Map<string, ToWorker[]>([
    ["w0", []],
    ["w1", []],
  ]);
  for (const id of ["w0", "w1"]) {
    server.addWorker(
      id,
      { post: (m) => sent.get(id)!.push(m) },
      {
        name: id,
        nthreads: 1,
        resources: {},
      },
    );
  }
  server.addClient("c", () => {});
  server.flush();
  const run = { d: 1 };
  server.enqueue({
    type: "update-graph",
    stimulusId: "g",
    client: "c",
    wanted: ["x"],
    tasks: [
      { key: "a", deps: [], run, workers: ["w1"] },
      { key: "b", deps: [], run, workers: ["w0"] },
      { key: "x", deps: ["a", "b"], run },
    ],
  });
  server.flush();
  const report = (key: string, nbytes: number) => ({
    t: "report" as const,
    finished: [key, nbytes, 0.001, -1],
    erred: [],
    missing: [],
  });
  server.onWorkerReport("w1", report("a", 10));
  server.flush();
  sent.get("w0")!.length = 0;
  // One batch: b finishes on w0, so x goes there (most input bytes); then w1 dies with a,
  // so x is taken back from w0 until a is recomputed.
  server.onWorkerReport("w0", report("b", 1000));
  server.removeWorker("w1", false, "killed");
  server.flush();
  assert.equal(server.state.taskState("x"), "waiting");
  assert.ok(
    !workerKeys(sent.get("w0")!).has("x"),
    "w0 would go on computing x, which the scheduler took back",
  );
  server.close();
});
