/**
 * The whole memory of a worker, measured: its process's RSS when it has a process of its own
 * (`barn worker`), else (a worker thread sharing a process) its isolate's heap in use plus its
 * external memory (ArrayBuffers, Buffers: where typed arrays and Batches live). The thread
 * figure is an estimate: memory shared between threads counts in each.
 */
export function measureMemory(ownProcess: boolean): number {
  if (ownProcess) return process.memoryUsage.rss();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}
