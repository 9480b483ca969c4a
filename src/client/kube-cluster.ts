/**
 * KubeCluster (after dask-kubernetes' classic KubeCluster): a Secret holding a fresh token,
 * a scheduler Pod and its Service, and one Pod per worker from a template users can override
 * (deploy/kube-manifests.ts). Works in a pod (in-cluster service account) or from a
 * kubeconfig (`KubeConfig.loadFromDefault()`); from outside the cluster the scheduler's
 * Service must be reachable: pass `schedulerAddress` (a port-forward or a LoadBalancer).
 * Not exercised against a cluster in the test suite; docs/deploy.md has the manual procedure.
 */
import { randomBytes } from "node:crypto";
import type { CoreV1Api, KubeConfig, V1Pod } from "@kubernetes/client-node";
import {
  inClusterAddress,
  type KubeSpec,
  schedulerPodManifest,
  secretManifest,
  serviceManifest,
  serviceName,
  workerPodManifest,
} from "../deploy/kube-manifests.js";
import type { LaunchedWorker } from "../deploy/launcher.js";
import type { LogBuffer } from "../deploy/log-buffer.js";
import { ManagedCluster, type ManagedParts } from "../deploy/managed-cluster.js";
import { BarnError, ErrorCodes, OptionError } from "../errors.js";
import { RemoteControl } from "./remote-control.js";

export interface KubeClusterOptions {
  /** Name prefix of every object. Default "barn". */
  readonly name?: string | undefined;
  /** Default "default". */
  readonly namespace?: string | undefined;
  /** An image with node and barn (deploy/Dockerfile). Required. */
  readonly image: string;
  /** Workers to start. Default 1. */
  readonly workers?: number | undefined;
  readonly threadsPerWorker?: number | undefined;
  /** e.g. "2GiB": the task thread's heap limit. */
  readonly memoryLimit?: string | undefined;
  /** Default 8786. */
  readonly port?: number | undefined;
  /** Merged over the scheduler pod / every worker pod (kube-manifests.ts `merge`). */
  readonly schedulerTemplate?: Record<string, unknown> | undefined;
  readonly workerTemplate?: Record<string, unknown> | undefined;
  /** Where this process reaches the scheduler. Default: the Service's in-cluster DNS name. */
  readonly schedulerAddress?: string | undefined;
  /** Default: KubeConfig.loadFromDefault() (KUBECONFIG, ~/.kube/config, or in-cluster). */
  readonly kubeConfig?: KubeConfig | undefined;
  /** How long pods may take to start and register, ms. Default 5 min (image pulls). */
  readonly startTimeoutMs?: number | undefined;
}

export class KubeCluster extends ManagedCluster {
  constructor(options: KubeClusterOptions) {
    const spec = specOf(options);
    super((logs) => startKube(options, spec, logs), {
      workers: options.workers ?? 1,
      namePrefix: `${spec.name}-worker`,
      startTimeoutMs: options.startTimeoutMs ?? 300_000,
    });
  }

  static async start(options: KubeClusterOptions): Promise<KubeCluster> {
    const c = new KubeCluster(options);
    try {
      return await c.ready();
    } catch (err) {
      await c.close();
      throw err;
    }
  }
}

export function specOf(o: KubeClusterOptions): KubeSpec {
  if (typeof o !== "object" || o === null || typeof o.image !== "string" || o.image === "") {
    throw new OptionError(
      'KubeCluster needs an image with node and barn installed, e.g. { image: "registry/barn:0.1.0" } (deploy/Dockerfile builds one)',
    );
  }
  const name = o.name ?? "barn";
  if (!/^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/.test(name)) {
    throw new OptionError(
      `KubeCluster name must be a DNS label (lowercase letters, digits, '-'); got ${JSON.stringify(name)}`,
    );
  }
  return {
    name,
    namespace: o.namespace ?? "default",
    image: o.image,
    port: o.port ?? 8786,
    threadsPerWorker: o.threadsPerWorker ?? 1,
    memoryLimit: o.memoryLimit,
    schedulerTemplate: o.schedulerTemplate,
    workerTemplate: o.workerTemplate,
  };
}

async function startKube(
  o: KubeClusterOptions,
  s: KubeSpec,
  logs: LogBuffer,
): Promise<ManagedParts> {
  // Loaded here, not when barn is imported: the client is large and only this manager needs
  // it. Not a literal specifier, so that bundles of task modules importing barn (esbuild
  // follows literal dynamic imports) do not carry it.
  const name = "@kubernetes/client-node";
  const k8s = (await import(name)) as typeof import("@kubernetes/client-node");
  const kc = o.kubeConfig ?? new k8s.KubeConfig();
  if (o.kubeConfig === undefined) kc.loadFromDefault();
  const api = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = s.namespace;
  const token = randomBytes(24).toString("hex");
  const created: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const del of created.reverse()) await del().catch(() => {});
  };
  try {
    await api.createNamespacedSecret({ namespace, body: secretManifest(s, token) });
    created.push(() => api.deleteNamespacedSecret({ name: `${s.name}-token`, namespace }));
    await api.createNamespacedService({ namespace, body: serviceManifest(s) });
    created.push(() => api.deleteNamespacedService({ name: serviceName(s), namespace }));
    const pod = schedulerPodManifest(s) as V1Pod;
    await api.createNamespacedPod({ namespace, body: pod });
    const schedPod = pod.metadata!.name!;
    created.push(() => api.deleteNamespacedPod({ name: schedPod, namespace }));
    await waitRunning(api, namespace, schedPod, o.startTimeoutMs ?? 300_000);
    logs.add("scheduler", `pod ${schedPod} running`);
    const address = o.schedulerAddress ?? inClusterAddress(s);
    const control = await RemoteControl.connect(address, { token, timeoutMs: 60_000 });
    return {
      schedulerAddress: address,
      control,
      launcher: {
        launch: async (name) => launchWorkerPod(api, s, name, logs),
      },
      clientBackend: () => control.clientBackend(),
      closeScheduler: async () => {
        await control.close();
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err instanceof BarnError
      ? err
      : new BarnError(
          ErrorCodes.CONNECT_FAILED,
          `KubeCluster in namespace ${namespace}: ${(err as Error).message}`,
          { cause: err },
        );
  }
}

async function launchWorkerPod(
  api: CoreV1Api,
  s: KubeSpec,
  name: string,
  logs: LogBuffer,
): Promise<LaunchedWorker> {
  const namespace = s.namespace;
  await api.createNamespacedPod({ namespace, body: workerPodManifest(s, name) as V1Pod });
  let stopped = false;
  // A pod's end is seen by polling its phase (a watch would need a long-lived request per pod).
  const exited = (async () => {
    for (;;) {
      await new Promise((r) => setTimeout(r, 2_000).unref());
      if (stopped) return 0;
      try {
        const p = await api.readNamespacedPod({ name, namespace });
        const phase = p.status?.phase;
        if (phase === "Succeeded") return 0;
        if (phase === "Failed") {
          logs.add(name, `pod failed: ${p.status?.reason ?? ""} ${p.status?.message ?? ""}`);
          return 1;
        }
      } catch (err) {
        logs.add(name, `pod gone: ${(err as Error).message}`);
        return null;
      }
    }
  })();
  return {
    name,
    host: name,
    exited,
    stop: async () => {
      stopped = true;
      await api.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 5 }).catch(() => {});
    },
  };
}

async function waitRunning(api: CoreV1Api, namespace: string, name: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await api.readNamespacedPod({ name, namespace });
    if (p.status?.phase === "Running") return;
    if (p.status?.phase === "Failed" || Date.now() > deadline) {
      throw new BarnError(
        ErrorCodes.TIMEOUT,
        `pod ${namespace}/${name} is ${p.status?.phase ?? "unknown"} (${p.status?.reason ?? "no reason given"}); check kubectl describe pod ${name}`,
      );
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
