/**
 * A task thread that outgrows its heap limit (`memoryLimit`, `--memory-limit`: the thread's
 * resourceLimits) is killed by Node with ERR_WORKER_OUT_OF_MEMORY. Both pools (threads and
 * worker processes) name that death the same way, in their logs and in the KilledWorker error
 * the user gets, so "out of memory" is never lost on the way.
 */
/** A worker thread killed by its resourceLimits (Node's ERR_WORKER_OUT_OF_MEMORY). */
export function isOutOfMemory(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY";
}

/** What a worker's out-of-memory death is called, in logs and KilledWorker errors. */
export function outOfMemoryReason(limit: number | undefined): string {
  const mib = limit === undefined ? "" : ` of ${Math.ceil(limit / 2 ** 20)} MiB`;
  return `out of memory: the task thread reached its heap limit${mib} (memoryLimit)`;
}
