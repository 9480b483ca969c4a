/**
 * State-machine overhead per tiny task: compute-task -> execute -> execute-success ->
 * send-task-finished, 100k independent tasks on one thread, events built beforehand so only
 * handle() is timed. "resultsKept" leaves all 100k results in memory (the state grows: GC and
 * Map growth dominate); "resultsFreed" adds free-keys -> release-data per task (steady state).
 * Prints the median of 5 runs in µs/task; the bound asserted is loose (shared machines).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { WComputeTask, WorkerEvent } from "../../../src/worker/protocol.js";
import { WorkerState } from "../../../src/worker/state.js";

const N = 100_000;

/** Built once, before any timing, as one-event batches (what handle() is given). */
const ct: WComputeTask[] = [];
const ok: WorkerEvent[][] = [];
const free: WorkerEvent[][] = [];
const one: WComputeTask[][] = [];
for (let i = 0; i < N; i++) {
  const key = `task-${i}`;
  const stimulusId = `s-${i}`;
  ct.push({ type: "compute-task", stimulusId, key, run: null, deps: [], priority: [0, i] });
  one.push([ct[i]!]);
  ok.push([{ type: "execute-success", stimulusId, key, nbytes: 8, duration: 1e-6 }]);
  free.push([{ type: "free-keys", stimulusId, keys: [key] }]);
}

/** One handle() per event, as a worker thread feeding results back one by one would. */
function perEvent(withFree: boolean): number {
  const ws = new WorkerState("w0", { nthreads: 1 });
  let n = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    n += ws.handle(one[i]!).length;
    n += ws.handle(ok[i]!).length;
    if (withFree) n += ws.handle(free[i]!).length;
  }
  const us = ((performance.now() - t0) * 1000) / N;
  assert.equal(n, withFree ? 3 * N : 2 * N);
  return us;
}

/** Batches of 1000 compute-tasks, results fed back in one handle() per batch. */
function batched(): number {
  const ws = new WorkerState("w0", { nthreads: 1 });
  const B = 1000;
  let n = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i += B) {
    n += ws.handle(ct.slice(i, i + B)).length;
    for (let j = i; j < i + B; j++) n += ws.handle(ok[j]!).length;
  }
  const us = ((performance.now() - t0) * 1000) / N;
  assert.equal(n, 2 * N);
  return us;
}

test("state-machine overhead per tiny task (µs/task, 100k tasks, nthreads 1)", () => {
  const median = (f: () => number) => {
    const runs = [f(), f(), f(), f(), f()].sort((x, y) => x - y);
    return +runs[2]!.toFixed(3);
  };
  const kept = median(() => perEvent(false));
  const freed = median(() => perEvent(true));
  const batch = median(batched);
  const usPerTask = { resultsKept: kept, resultsFreed: freed, batched1000: batch };
  console.log(JSON.stringify({ bench: "worker-state", tasks: N, usPerTask }));
  assert.ok(freed < 20 && kept < 20, `overhead ${freed} / ${kept} µs/task`);
});
