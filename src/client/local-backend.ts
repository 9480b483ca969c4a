/**
 * The embedded default: the scheduler runs in this thread (a SchedulerServer around the pure
 * SchedulerState) and a LocalCluster of worker threads runs the tasks.
 */

import { LocalCluster, type LocalClusterOptions } from "../deploy/local-cluster.js";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Key } from "../graph/spec.js";
import type { ClientId, TaskSubmission, WorkerId } from "../scheduler/protocol.js";
import {
  type ClientReport,
  SchedulerServer,
  type SchedulerServerOptions,
} from "../scheduler/server.js";
import type { ShippedFn } from "../shipping/ship.js";
import type { Backend, FetchResult, WorkerInfo } from "./backend.js";

export class LocalBackend implements Backend {
  readonly kind = "local" as const;
  readonly server: SchedulerServer;
  readonly cluster: LocalCluster;
  #nextScatter = 0;

  private constructor(server: SchedulerServer, cluster: LocalCluster) {
    this.server = server;
    this.cluster = cluster;
  }

  static async start(
    options: LocalClusterOptions & SchedulerServerOptions = {},
  ): Promise<LocalBackend> {
    const server = new SchedulerServer(options);
    const cluster = await LocalCluster.start(server, options);
    server.flush();
    return new LocalBackend(server, cluster);
  }

  open(client: ClientId, onReports: (reports: ClientReport[]) => void): void {
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
    const whoHas = this.server.state.whoHas(keys);
    const byWorker = new Map<WorkerId, Key[]>();
    const missing: Key[] = [];
    for (const k of keys) {
      const w = whoHas[k]?.[0];
      if (w === undefined) {
        missing.push(k);
        continue;
      }
      let list = byWorker.get(w);
      if (list === undefined) byWorker.set(w, (list = []));
      list.push(k);
    }
    const values = new Map<Key, unknown>();
    await Promise.all(
      [...byWorker].map(async ([w, ks]) => {
        try {
          const r = await this.cluster.getData(w, ks);
          const gone = new Set(r.missing);
          let i = 0;
          for (const k of ks) {
            if (gone.has(k)) missing.push(k);
            else values.set(k, r.values[i++]);
          }
        } catch {
          for (const k of ks) missing.push(k);
        }
      }),
    );
    return { values, missing };
  }

  inMemory(key: Key): boolean {
    this.server.flush();
    return (this.server.state.whoHas([key])[key]?.length ?? 0) > 0;
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
          idx.map((i) => values[i]),
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

  dump(): unknown {
    this.server.flush();
    return this.server.state.dump();
  }

  story(key: Key): unknown[] {
    return this.server.state.story(key);
  }

  async close(client: ClientId): Promise<void> {
    this.server.removeClient(client);
    await this.cluster.close();
  }
}
