/**
 * A worker's memory budget and spill folder, as both pools (threads and `barn worker`
 * processes) set them up: the limit (memoryLimit, or by default the machine's memory shared
 * among the workers), the heap limit derived from it (only when the user set one, so a runaway
 * thread dies with the named out-of-memory error), and a folder of its own under the local
 * directory, removed when the worker goes.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { availableParallelism, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { DEFAULT_MEMORY_FRACTIONS, type WorkerMemoryInit } from "../protocol/memory.js";

/** The machine's memory, or the container's limit when that is lower (cgroups). */
export function machineMemory(): number {
  const total = totalmem();
  const constrained = (process as { constrainedMemory?: () => number }).constrainedMemory?.() ?? 0;
  return constrained > 0 && constrained < total ? constrained : total;
}

/** The default limit of one of `workers` workers on this machine. */
export function defaultMemoryLimit(workers: number): number {
  return Math.floor(machineMemory() / Math.max(1, workers));
}

/** `barn worker`'s default (Dask's): the machine's memory x min(1, nthreads / cores). */
export function defaultProcessMemoryLimit(nthreads: number): number {
  return Math.floor(machineMemory() * Math.min(1, nthreads / availableParallelism()));
}

/** A fresh folder path (not created: the worker makes it on its first spill) for one worker. */
export function workerDirectory(base: string | undefined, name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 40);
  return join(
    base ?? tmpdir(),
    `barn-worker-${safe}-${process.pid}-${randomBytes(3).toString("hex")}`,
  );
}

export function memoryInit(limit: number, dir: string, ownProcess: boolean): WorkerMemoryInit {
  return { limit, localDirectory: dir, ownProcess, fractions: DEFAULT_MEMORY_FRACTIONS };
}

/**
 * The young generation (where V8 puts new objects, collected by scavenges) of a worker with a
 * small limit, MiB: a sixteenth of the limit, at least 8. V8 sizes it by the machine, not by
 * the limit: Node 24's task threads grew theirs enough that 256 MiB workers of a P2P merge
 * passed the nanny's line and were restarted; capped, the merge fits (the peaks are printed by
 * test/integration/frame-p2p-scale.test.ts, on Node 20 and 24). Limits from 768 MiB up keep V8's own size (3 x 16 MiB
 * semi-spaces on Node 20): more scavenges would cost time there for no need.
 */
export function youngGenerationMb(limit: number): number | undefined {
  const mb = Math.max(YOUNG_MIN_MB, Math.floor(limit / 2 ** 20 / YOUNG_SHARE));
  return mb < YOUNG_DEFAULT_MB ? mb : undefined;
}
const YOUNG_SHARE = 16;
const YOUNG_MIN_MB = 8;
const YOUNG_DEFAULT_MB = 48;

/**
 * The resourceLimits of a task thread: a heap limit only when the user set memoryLimit, and
 * then a young generation sized to it (youngGenerationMb).
 */
export function heapLimits(
  explicit: number | undefined,
): { maxOldGenerationSizeMb: number; maxYoungGenerationSizeMb?: number } | undefined {
  if (!explicit) return undefined;
  const young = youngGenerationMb(explicit);
  const old = Math.ceil(explicit / 2 ** 20);
  return young === undefined
    ? { maxOldGenerationSizeMb: old }
    : { maxOldGenerationSizeMb: old, maxYoungGenerationSizeMb: young };
}

/**
 * Node flags for a worker process started with an explicit memory limit, for its main thread
 * (the task thread has heapLimits): the same young generation, as semi-spaces (a third of it
 * each). They go before the parent's own flags, so a --max-semi-space-size of the user's wins.
 */
export function processHeapFlags(explicit: number | undefined): string[] {
  const young = explicit ? youngGenerationMb(explicit) : undefined;
  return young === undefined ? [] : [`--max-semi-space-size=${Math.max(1, Math.round(young / 3))}`];
}

/** Remove a worker's folder and what is in it; one that never was created is fine. */
export async function removeWorkerDirectory(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}
