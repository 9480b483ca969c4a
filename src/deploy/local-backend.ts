/**
 * A scheduler in this process: a SchedulerServer around the pure SchedulerState, driving a
 * pool of workers. The embedded default is a ThreadCluster of worker threads; with
 * `processes: true` the pool is worker processes over loopback, and `barn scheduler` serves
 * remote clients through one of these per scheduler (deploy/client-session.ts).
 */

import { type DashboardOptions, DashboardServer } from "../dashboard/server.js";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type {
  Backend,
  BackendReport,
  CallBatch,
  FetchResult,
  LoadInfo,
  WorkerInfo,
} from "../protocol/backend.js";
import type { ClientId, TaskSubmission, WorkerId } from "../protocol/ids.js";
import type { WorkerMemory } from "../protocol/memory.js";
import { submission } from "../protocol/submission.js";
import { SchedulerServer, type SchedulerServerOptions } from "../scheduler/server.js";
import type { ShippedFn } from "../shipping/ship.js";
import { markBuffers, unmarkBuffers } from "../worker/share.js";
import { retireWorkers } from "./retire.js";
import { ThreadCluster, type ThreadClusterOptions } from "./thread-cluster.js";
import type { WorkerPool } from "./worker-pool.js";

export class LocalBackend implements Backend {
  readonly kind: "local" | "processes";
  readonly server: SchedulerServer;
  readonly cluster: WorkerPool;
  /** Closing the last client closes the pool too (the embedded clusters); not on `barn scheduler`. */
  readonly #ownsPool: boolean;
  /** Extra cleanup on close (the process cluster's scheduler node). */
  readonly #onClose: (() => Promise<void>) | undefined;
  #nextScatter = 0;
  /** The dashboard this backend serves (started by `startDashboard`), closed with it. */
  dashboard: DashboardServer | undefined;

  constructor(
    server: SchedulerServer,
    cluster: WorkerPool,
    options: {
      kind?: "local" | "processes";
      ownsPool?: boolean;
      onClose?: () => Promise<void>;
    } = {},
  ) {
    this.server = server;
    this.cluster = cluster;
    this.kind = options.kind ?? "local";
    this.#ownsPool = options.ownsPool ?? true;
    this.#onClose = options.onClose;
  }

  static async start(
    options: ThreadClusterOptions & SchedulerServerOptions = {},
  ): Promise<LocalBackend> {
    const server = new SchedulerServer(options);
    const cluster = await ThreadCluster.start(server, options);
    server.flush();
    return new LocalBackend(server, cluster);
  }

  /** Serve the dashboard of this backend's scheduler (docs/diagnostics.md). */
  async startDashboard(options: DashboardOptions = {}): Promise<DashboardServer> {
    this.dashboard ??= await DashboardServer.start(this.server, options);
    return this.dashboard;
  }

  open(client: ClientId, onReports: (reports: BackendReport[]) => void): void {
    this.server.addClient(client, onReports);
  }

  submit(
    client: ClientId,
    tasks: readonly TaskSubmission[],
    wanted: readonly Key[],
    fns: readonly ShippedFn[],
  ): void {
    if (fns.length > 0) this.server.registerFunctions(fns);
    this.server.enqueue({
      type: "update-graph",
      stimulusId: this.server.stimulus("update-graph"),
      client,
      tasks,
      wanted,
    });
  }

  submitCalls(client: ClientId, batch: CallBatch): void {
    const { fn, columns, keys, options } = batch;
    const tasks = new Array<TaskSubmission>(keys.length);
    const single = columns.length === 1 ? columns[0]! : undefined;
    for (let i = 0; i < keys.length; i++) {
      const args = single !== undefined ? [single[i]] : columns.map((c) => c[i]);
      tasks[i] = submission(keys[i]!, { f: fn.id, a: args }, [], fn.name, options);
    }
    this.submit(client, tasks, keys, batch.fresh);
  }

  desire(client: ClientId, keys: readonly Key[]): void {
    const stimulusId = this.server.stimulus("desire");
    this.server.enqueue({ type: "client-desires-keys", stimulusId, client, keys });
  }

  release(client: ClientId, keys: readonly Key[]): void {
    const stimulusId = this.server.stimulus("release");
    this.server.enqueue({ type: "client-releases-keys", stimulusId, client, keys });
  }

  cancel(client: ClientId, keys: readonly Key[]): void {
    this.server.enqueue({
      type: "cancel",
      stimulusId: this.server.stimulus("cancel"),
      client,
      keys,
    });
  }

  /** Fetch values from their holders, one request per worker, all in parallel. */
  async fetch(keys: readonly Key[]): Promise<FetchResult> {
    this.server.flush();
    const state = this.server.state;
    const byWorker = new Map<WorkerId, number[]>();
    const missing: number[] = [];
    for (let i = 0; i < keys.length; i++) {
      const w = state.holderOf(keys[i]!);
      if (w === undefined) {
        missing.push(i);
        continue;
      }
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, (list = []));
      list.push(i);
    }
    const values = new Array<unknown>(keys.length);
    await Promise.all(
      [...byWorker].map(async ([w, idx]) => {
        try {
          const r = await this.cluster.getData(
            w,
            idx.map((i) => keys[i]!),
          );
          const gone = r.missing.length > 0 ? new Set(r.missing) : undefined;
          let j = 0;
          for (const i of idx) {
            if (gone?.has(keys[i]!)) missing.push(i);
            else values[i] = unmarkBuffers(r.values[j++]);
          }
        } catch (err) {
          // Only a lost worker means "fetch again once the scheduler has recomputed it"; any
          // other failure is the caller's error, not a reason to loop.
          if (!(err instanceof BarnError && err.code === ErrorCodes.WORKER_LOST)) throw err;
          for (const i of idx) missing.push(i);
        }
      }),
    );
    return { values, missing };
  }

  inMemory(key: Key): boolean {
    this.server.flush();
    return this.server.state.holderOf(key) !== undefined;
  }

  async scatter(
    client: ClientId,
    keys: readonly Key[],
    values: readonly unknown[],
    workers?: readonly WorkerId[],
  ): Promise<void> {
    const ids = workers && workers.length > 0 ? [...workers] : this.cluster.workerIds();
    if (ids.length === 0)
      throw new BarnError(ErrorCodes.NO_VALID_WORKER, "no workers to scatter to");
    const byWorker = new Map<WorkerId, number[]>();
    keys.forEach((_, i) => {
      const w = ids[(this.#nextScatter++ + i) % ids.length]!;
      let l = byWorker.get(w);
      if (l === undefined) byWorker.set(w, (l = []));
      l.push(i);
    });
    await Promise.all(
      [...byWorker].map(async ([w, idx]) => {
        const ks = idx.map((i) => keys[i]!);
        const nbytes = await this.cluster.putData(
          w,
          ks,
          idx.map((i) => markBuffers(values[i])),
        );
        this.server.enqueue({
          type: "scatter-data",
          stimulusId: this.server.stimulus("scatter"),
          client,
          worker: w,
          keys: ks.map((key, j) => ({ key, nbytes: nbytes[j] ?? 0 })),
        });
      }),
    );
  }

  workers(): WorkerInfo[] {
    return this.server.state
      .workers()
      .map((w) => ({ id: w.id, name: w.name, nthreads: w.nthreads }));
  }

  async dump(): Promise<unknown> {
    this.server.flush();
    return this.server.state.dump();
  }

  async memoryReport(): Promise<WorkerMemory[]> {
    this.server.flush();
    return this.server.memoryReport();
  }

  async story(key: Key): Promise<unknown[]> {
    return this.server.state.story(key);
  }

  retireWorkers(ids: readonly WorkerId[]): Promise<WorkerId[]> {
    return retireWorkers(this.server, this.cluster, ids);
  }

  async load(): Promise<LoadInfo> {
    this.server.flush();
    return this.server.state.load();
  }

  async close(client: ClientId): Promise<void> {
    this.server.removeClient(client);
    await this.dashboard?.close();
    if (this.#ownsPool) {
      this.server.close();
      await this.cluster.close();
    }
    await this.#onClose?.();
  }
}
