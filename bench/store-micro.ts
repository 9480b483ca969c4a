/**
 * The per-task path of a worker's result store: store a result and let the memory monitor see
 * it (as a task's success does), read it once (a dependent), delete it (released). Prints
 * µs/task for a worker thread and a worker process (which reads its RSS when it measures).
 * Run on two builds to compare (before `afterStore` existed, `check()` was called in its place):
 * `node dist/bench/store-micro.js [tasks] [rounds]`.
 */
import { DEFAULT_MEMORY_FRACTIONS } from "../src/protocol/memory.js";
import { MemoryMonitor } from "../src/worker/memory-monitor.js";
import { ResultStore } from "../src/worker/store.js";

function round(n: number, ownProcess: boolean): number {
  const store = new ResultStore(undefined);
  const init = {
    limit: 2 ** 32,
    localDirectory: "/nonexistent",
    ownProcess,
    fractions: DEFAULT_MEMORY_FRACTIONS,
  };
  const monitor = new MemoryMonitor(init, store, { send() {}, setPaused() {} });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    store.set(`k-${i}`, i, 8);
    monitor.afterStore();
    if (i >= 8) {
      store.get(`k-${i - 8}`);
      store.delete(`k-${i - 8}`);
    }
  }
  monitor.stop();
  return ((performance.now() - t0) * 1e3) / n;
}

const n = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
for (const ownProcess of [false, true]) {
  const xs = Array.from({ length: rounds }, () => round(n, ownProcess).toFixed(3));
  console.log(`${ownProcess ? "process" : "thread "} µs/task: ${xs.join(" ")}`);
}
