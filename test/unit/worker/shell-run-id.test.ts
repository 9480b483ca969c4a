/**
 * The worker shell echoes the runId of the attempt a result belongs to, even when the scheduler
 * frees the key and sends it again while that result is still queued in the shell (issue 16.8:
 * the kill -9 soak's hang). A real WorkerShell with plain-object ports; no threads.
 */
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { test } from "node:test";
import { joinKeys, packCompute } from "../../../src/protocol/ops-codec.js";
import type { FromWorker } from "../../../src/protocol/worker-messages.js";
import type { ComputeTask } from "../../../src/scheduler/protocol.js";
import { shipFunction } from "../../../src/shipping/ship.js";
import { WorkerShell } from "../../../src/worker/shell.js";

test("a result queued before a newer compute-task of its key reports its own runId", {
  timeout: 10_000,
}, async () => {
  const finished: (string | number)[][] = [];
  const shell = new WorkerShell(
    { id: "w", name: "w", nthreads: 1, resources: {} },
    {
      postMessage: (m: unknown) => {
        const msg = m as FromWorker;
        if (msg.t !== "report") return;
        const f = msg.finished;
        for (let i = 0; i < f.length; i += 4) finished.push([f[i]!, f[i + 3]!]);
      },
    },
  );
  // Longer than a time slice: the shell stops after it, its result still queued.
  const slow = () => {
    const end = performance.now() + 10;
    while (performance.now() < end) {
      // busy
    }
    return 1;
  };
  const def = shipFunction(slow);
  const attempt = (runId: number): ComputeTask => ({
    type: "compute-task",
    worker: "w",
    key: "a",
    run: { f: def.id, a: [] },
    deps: [],
    priority: [0, 0, 0],
    runId,
    stimulusId: `compute-${runId}`,
  });
  shell.onSchedulerMessage({
    t: "ops",
    stim: "s1",
    fns: [def],
    compute: packCompute([attempt(1)]),
  });
  // Right after the slice that runs attempt 1: the scheduler frees `a` and sends attempt 2.
  setImmediate(() => {
    shell.onSchedulerMessage({ t: "ops", stim: "s2", free: joinKeys(["a"]) });
    shell.onSchedulerMessage({ t: "ops", stim: "s3", compute: packCompute([attempt(2)]) });
  });
  const deadline = Date.now() + 5_000;
  while (finished.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(finished, [
    ["a", 1],
    ["a", 2],
  ]);
});
