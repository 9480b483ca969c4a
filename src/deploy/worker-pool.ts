/**
 * What a scheduler in this process needs of the workers it drives, whatever they are: threads
 * of this process (ThreadCluster) or processes on this or other machines (RemoteWorkers).
 * Task traffic goes through the SchedulerServer's worker links; this is the rest: direct data
 * requests for gather and scatter, and debugging dumps.
 */
import type { Key } from "../graph/spec.js";
import type { WorkerId } from "../protocol/ids.js";

export interface WorkerPool {
  workerIds(): WorkerId[];
  /** Values of `keys` held by worker `id`, and the keys it did not have. */
  getData(
    id: WorkerId,
    keys: readonly Key[],
  ): Promise<{ readonly values: readonly unknown[]; readonly missing: readonly Key[] }>;
  /** Place values on worker `id`; returns their sizes in bytes. */
  putData(
    id: WorkerId,
    keys: readonly Key[],
    values: readonly unknown[],
  ): Promise<readonly number[]>;
  /** A worker's state machine dump (JSON), for debugging. */
  dumpWorker(id: WorkerId): Promise<unknown>;
  /**
   * Stop worker `id` for good, without a replacement: graceful retirement (retire.ts), after
   * the scheduler removed it. Optional: a pool that cannot stop its workers leaves them be.
   */
  retire?(id: WorkerId): Promise<void>;
  close(): Promise<void>;
}
