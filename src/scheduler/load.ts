/**
 * What adaptive scaling observes (deploy/adaptive-policy.ts): the work not done yet, in tasks
 * and in expected seconds (each task at its group's observed mean duration), and each worker's
 * occupancy. O(tasks): asked about once per adaptive interval, not per event.
 */
import type { SchedulerCore } from "./core.js";
import type { WorkerId } from "./protocol.js";

export interface WorkerLoad {
  readonly id: WorkerId;
  readonly name: string;
  readonly nthreads: number;
  /** Tasks assigned there now. */
  readonly processing: number;
  /** Results held there (primary copies and replicas). */
  readonly keys: number;
  readonly nbytes: number;
  readonly retiring: boolean;
}

export interface SchedulerLoad {
  /** Tasks waiting, queued, in no-worker or processing. */
  readonly tasks: number;
  /** Their expected run time, seconds of one thread. */
  readonly seconds: number;
  readonly workers: readonly WorkerLoad[];
}

export function schedulerLoad(s: SchedulerCore): SchedulerLoad {
  let tasks = 0;
  let seconds = 0;
  const unknown = s.config.unknownTaskDuration;
  for (const ts of s.tasks.values()) {
    const st = ts.state;
    if (st === "memory" || st === "released" || st === "erred" || st === "forgotten") continue;
    tasks++;
    seconds += ts.group.estimate(unknown);
  }
  const workers = s.workerList.map((ws) => ({
    id: ws.id,
    name: ws.name,
    nthreads: ws.nthreads,
    processing: ws.processing.length,
    keys: ws.held.length + ws.replicas.size,
    nbytes: ws.nbytes,
    retiring: ws.retiring,
  }));
  return { tasks, seconds, workers };
}
