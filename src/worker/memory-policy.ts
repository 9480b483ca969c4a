/**
 * When a worker moves results to disk and when it pauses: pure functions of one memory reading
 * (after dask.distributed's worker memory manager). The shell measures, asks, and acts.
 *
 * - target (0.6): managed bytes (results held in memory) above target x limit spill,
 *   least recently used first, until they are back at the target.
 * - spill (0.7): the whole worker's memory (its process, or for a worker thread its heap plus
 *   buffers) above spill x limit spills too, as many bytes as it stands above the target:
 *   memory the store does not account for still makes room by moving what it does.
 * - pause (0.8): above pause x limit the worker starts no task and fetches no input until it
 *   falls below again (the scheduler is told, and places work elsewhere).
 * - terminate (0.95): not read here; the nanny restarts a worker process past its own line
 *   (deploy/nanny.ts, default 1.25 of the limit).
 */
import type { Key } from "../graph/spec.js";
import type { MemoryFractions } from "../protocol/memory.js";

export { DEFAULT_MEMORY_FRACTIONS, type MemoryFractions } from "../protocol/memory.js";

/** One measurement of a worker. All in bytes. */
export interface MemoryReading {
  /** The worker's total budget (memoryLimit). */
  readonly limit: number;
  /** Bytes of results held in memory (measured by sizeof when stored). */
  readonly managed: number;
  /** The worker's whole memory: its process's RSS, or a thread's heap and buffers. */
  readonly total: number;
}

/** Bytes of results to move to disk now (0: none). Never more than `managed`. */
export function bytesToSpill(r: MemoryReading, f: MemoryFractions): number {
  if (f.target === false) return 0;
  const target = f.target * r.limit;
  let want = r.managed - target;
  if (f.spill !== false && r.total > f.spill * r.limit) want = Math.max(want, r.total - target);
  return Math.max(0, Math.min(r.managed, want));
}

/**
 * Below this share of the limit in results, a worker does not pause: what pausing waits for
 * (spilling) could not bring it down, and a worker whose own baseline (Node, its heap) sits
 * above the pause line would wait forever. Its tasks run; the heap limit still stops a runaway.
 */
export const PAUSE_MIN_MANAGED = 0.1;

/** Whether the worker should be paused after this reading. */
export function shouldPause(r: MemoryReading, f: MemoryFractions): boolean {
  return (
    f.pause !== false && r.total > f.pause * r.limit && r.managed > PAUSE_MIN_MANAGED * r.limit
  );
}

/**
 * The least recently used results whose bytes add up to `bytes` (or all there are), oldest
 * first. `entries` iterates oldest first; `skip` names results that cannot move now (being
 * written or in use).
 */
export function chooseSpill(
  entries: Iterable<readonly [Key, number]>,
  bytes: number,
  skip: (key: Key) => boolean,
): Key[] {
  const out: Key[] = [];
  let sum = 0;
  if (bytes <= 0) return out;
  for (const [key, nbytes] of entries) {
    if (skip(key)) continue;
    out.push(key);
    sum += nbytes;
    if (sum >= bytes) break;
  }
  return out;
}
