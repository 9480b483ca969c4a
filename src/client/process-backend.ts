/**
 * `Client.connect({ processes: true })`: a scheduler in this process listening on loopback
 * (a SchedulerNode, with a fresh random token) and worker processes started against it. The
 * client drives the scheduler directly, as with threads; only the workers are remote.
 */
import { randomBytes } from "node:crypto";
import { LocalBackend } from "../deploy/local-backend.js";
import { ProcessCluster } from "../deploy/process-cluster.js";
import { SchedulerNode } from "../deploy/scheduler-node.js";
import { createLogger } from "../diagnostics/log.js";
import type { Resources } from "../protocol/ids.js";
import type { SchedulerConfig } from "../scheduler/protocol.js";

export interface ProcessBackendOptions {
  readonly workers?: number | undefined;
  readonly threadsPerWorker?: number | undefined;
  readonly memoryLimit?: number | undefined;
  readonly localDirectory?: string | undefined;
  readonly resources?: Resources | undefined;
  readonly config?: Partial<SchedulerConfig> | undefined;
  /** How long to wait for the workers to join. Default 30 s. */
  readonly startTimeoutMs?: number | undefined;
}

export async function startProcessBackend(o: ProcessBackendOptions): Promise<LocalBackend> {
  const log = createLogger({ level: "warn", component: "barn" });
  const token = randomBytes(24).toString("hex");
  const node = await SchedulerNode.start({
    address: "tcp://127.0.0.1:0",
    token,
    config: o.config,
    // A script that forgets `client.close()` still exits after its last line (KeepAlive holds
    // it while a Future is awaited); the children exit with it (their stdin lifeline closes).
    unref: true,
    log,
  });
  const cluster = ProcessCluster.start(node.address, {
    workers: o.workers,
    threadsPerWorker: o.threadsPerWorker,
    memoryLimit: o.memoryLimit,
    localDirectory: o.localDirectory,
    resources: o.resources,
    token,
    log,
  });
  const shutdown = async () => {
    await cluster.close();
    await node.close();
  };
  try {
    await node.workers.waitForWorkers(cluster.size, o.startTimeoutMs ?? 30_000);
  } catch (err) {
    await shutdown();
    throw err;
  }
  node.server.flush();
  const backend = new LocalBackend(node.server, node.workers, {
    kind: "processes",
    ownsPool: false,
    onClose: shutdown,
  });
  processClusters.set(backend, cluster);
  return backend;
}

/** The process cluster behind a backend (tests kill its workers). */
export const processClusters = new WeakMap<LocalBackend, ProcessCluster>();
