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

/** The resourceLimits of a task thread: a heap limit only when the user set memoryLimit. */
export function heapLimits(
  explicit: number | undefined,
): { maxOldGenerationSizeMb: number } | undefined {
  return explicit ? { maxOldGenerationSizeMb: Math.ceil(explicit / 2 ** 20) } : undefined;
}

/** Remove a worker's folder and what is in it; one that never was created is fine. */
export async function removeWorkerDirectory(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}
