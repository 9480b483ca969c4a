/**
 * The whole memory of a worker, measured: its process's RSS when it has a process of its own
 * (`barn worker`), else (a worker thread sharing a process) its managed bytes plus its
 * isolate's heap in use. The thread figure is an estimate: buffers that are garbage but not yet
 * collected are not in it (Node's `external` figure keeps counting freed buffers for a while,
 * which would hold a paused worker paused), and results made of plain objects count twice.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export function measureMemory(ownProcess: boolean, managed: number): number {
  if (ownProcess) return process.memoryUsage.rss();
  return managed + getHeapStatistics().used_heap_size;
}

let gc: (() => void) | null | undefined;

/**
 * Run a full garbage collection now, if this isolate allows it: results moved to disk free
 * their buffers only when collected, and a paused worker allocates nothing that would make V8
 * collect, so without this its RSS (and its pause) could stay up forever.
 */
export function collectGarbage(): boolean {
  if (gc === undefined) {
    try {
      setFlagsFromString("--expose-gc");
      gc = runInNewContext("gc") as () => void;
    } catch {
      gc = null; // flags frozen or gc not exposable here: rely on V8's own collections
    }
  }
  gc?.();
  return gc !== null;
}
