/**
 * The one interface every cluster manager offers (after Dask's `Cluster`): a scheduler at an
 * address, workers the manager starts and stops, `scale`, `adapt`, `close`, `logs`. A client
 * connects to any of them with `Client.connect(cluster)`.
 */
import type { Backend, LoadInfo } from "../protocol/backend.js";
import type { WorkerId } from "../protocol/ids.js";
import type { AdaptOptions } from "./adaptive-policy.js";

export type { AdaptOptions } from "./adaptive-policy.js";

/** One worker a manager started. */
export interface ClusterWorker {
  /** The name it registers with (also its worker id on the scheduler, names being unique). */
  readonly name: string;
  /**
   * "starting": launched, not registered yet; "running": registered; "stopping": being
   * retired or stopped.
   */
  readonly status: "starting" | "running" | "stopping";
  /** Where it runs: "local", a host name, a pod name. */
  readonly host: string;
}

/** A running adaptive loop (`cluster.adapt(...)`). */
export interface Adaptive {
  /** The worker count it last asked for. */
  readonly target: number;
  /** Stop adapting; the workers stay as they are. */
  stop(): void;
}

export interface ClusterManager {
  /** The address clients and workers connect to, e.g. "tcp://127.0.0.1:41234". */
  readonly schedulerAddress: string;
  /** The workers this manager started and has not stopped. */
  readonly workers: readonly ClusterWorker[];
  /**
   * Run exactly `n` workers: start the missing ones and wait until they registered, or retire
   * the surplus gracefully (idle ones first; their results move to the others first).
   */
  scale(n: number): Promise<void>;
  /** Scale with the work, within `minimum..maximum` (adaptive-policy.ts); replaces a previous adapt. */
  adapt(options?: AdaptOptions): Adaptive;
  /** Recent log lines per component: "scheduler" and each worker's name. */
  logs(): Record<string, string[]>;
  /** Stop the workers and the scheduler; idempotent. */
  close(): Promise<void>;
  /** @internal What `Client.connect(cluster)` drives. */
  clientBackend(): Promise<Backend>;
}

/** Is `x` a cluster manager (for `Client.connect(cluster)`)? */
export function isClusterManager(x: unknown): x is ClusterManager {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as ClusterManager).clientBackend === "function" &&
    typeof (x as ClusterManager).scale === "function"
  );
}

/** The scheduler as a manager sees it: its load, and retirement. */
export interface SchedulerControl {
  load(): Promise<LoadInfo>;
  retire(ids: readonly WorkerId[]): Promise<WorkerId[]>;
}
