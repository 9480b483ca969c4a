/**
 * The public LocalCluster (after Dask's `LocalCluster`): a scheduler in this process on
 * loopback, with a fresh random token, and workers on this machine, either WorkerNodes in this
 * process (their tasks on worker threads) or `barn worker` child processes. It is a
 * ClusterManager: `scale`, `adapt`, `close`, `logs`, and `Client.connect(cluster)`; several
 * clients may share it, and it outlives them. `Client.connect()` with no cluster keeps its
 * embedded thread pool (the fastest path: MessageChannels, no sockets).
 */
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { configuredNumber as configured } from "../config/values.js";
import { LocalBackend } from "../deploy/local-backend.js";
import { ProcessLauncher, ThreadLauncher } from "../deploy/local-launchers.js";
import type { LogBuffer } from "../deploy/log-buffer.js";
import { ManagedCluster, type ManagedParts } from "../deploy/managed-cluster.js";
import { SchedulerNode } from "../deploy/scheduler-node.js";
import { createLogger } from "../diagnostics/log.js";
import { withConfig } from "./configured.js";
import { type ConnectOptions, parseBytes, validateConnectOptions } from "./options.js";

export interface LocalClusterOptions
  extends Pick<
    ConnectOptions,
    "processes" | "workers" | "threadsPerWorker" | "memoryLimit" | "resources" | "schedulerConfig"
  > {
  /** How long a worker may take to register, ms. Default 60 s. */
  readonly startTimeoutMs?: number | undefined;
}

export class LocalCluster extends ManagedCluster {
  readonly processes: boolean;

  constructor(given: LocalClusterOptions = {}) {
    validateConnectOptions(given);
    const options = withConfig(given);
    const workers = options.workers ?? availableParallelism();
    super((logs) => startLocal(options, logs), {
      workers,
      namePrefix: options.processes ? "proc" : "thread",
      startTimeoutMs: options.startTimeoutMs ?? configured("cluster.startTimeoutMs"),
    });
    this.processes = options.processes === true;
  }

  /** Start a cluster and wait until its workers registered. */
  static async start(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const c = new LocalCluster(options);
    try {
      return await c.ready();
    } catch (err) {
      await c.close();
      throw err;
    }
  }
}

async function startLocal(o: LocalClusterOptions, logs: LogBuffer): Promise<ManagedParts> {
  const token = randomBytes(24).toString("hex");
  const node = await SchedulerNode.start({
    address: "tcp://127.0.0.1:0",
    token,
    config: o.schedulerConfig,
    // A script that forgets close() still exits after its last line (as processes: true).
    unref: true,
    log: createLogger({ level: "info", component: "scheduler", write: logs.writer("scheduler") }),
  });
  const spec = {
    scheduler: node.address,
    token,
    nthreads: o.threadsPerWorker ?? 1,
    memoryLimit: o.memoryLimit === undefined ? undefined : parseBytes("memoryLimit", o.memoryLimit),
    resources: o.resources,
    logs,
  };
  const kind = o.processes ? "processes" : "local";
  return {
    schedulerAddress: node.address,
    control: {
      load: () => node.backend.load(),
      retire: (ids) => node.backend.retireWorkers(ids),
    },
    launcher: o.processes ? new ProcessLauncher(spec) : new ThreadLauncher(spec),
    // Each client gets its own view of the one scheduler; closing it leaves the cluster up.
    clientBackend: async () =>
      new LocalBackend(node.server, node.workers, { kind, ownsPool: false }),
    closeScheduler: () => node.close(),
  };
}
