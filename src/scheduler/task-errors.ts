/** The errors the scheduler itself gives tasks (as plain data: they go to clients). */
import { ErrorCodes, type ErrorData } from "../errors.js";
import type { Key } from "../graph/spec.js";

/**
 * Too many workers died while running the task. `reason`: why the last one died, as its pool
 * said (an out-of-memory death says "out of memory"), so the user need not dig in logs.
 */
export function killedWorker(
  key: Key,
  deaths: number,
  allowed: number,
  reason?: string | undefined,
): ErrorData {
  const last = reason === undefined || reason === "" ? "" : ` The last one: ${reason}.`;
  const oom = reason !== undefined && /out of memory/i.test(reason);
  return {
    name: "KilledWorkerError",
    code: ErrorCodes.KILLED_WORKER,
    message:
      `task ${key} was running on ${deaths} workers that died while running it.${last} ` +
      (oom
        ? "The task ran out of memory: use less memory per task (smaller partitions) or raise memoryLimit / --memory-limit "
        : "The task likely crashes its worker: check its memory use or native code ") +
      `(or raise allowedFailures, now ${allowed}, if the workers died for other reasons).`,
    key,
  };
}

/** Scattered data lost with its last copy: there is no run spec to compute it again. */
export function lostScatter(key: Key): ErrorData {
  return {
    name: "BarnError",
    code: ErrorCodes.UNKNOWN_KEY,
    message: `scattered data ${key} was lost (its worker left or it was released) and cannot be recomputed: scatter it again`,
    key,
  };
}

/** Never expected: an erred task without its error. */
export function lostError(key: Key): ErrorData {
  return { name: "BarnError", code: ErrorCodes.INTERNAL, message: `task ${key} erred`, key };
}
