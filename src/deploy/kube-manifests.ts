/**
 * The Kubernetes objects of a KubeCluster, as plain data (pure): the token's Secret, the
 * scheduler's Pod and Service, and one Pod per worker. The token reaches the pods through the
 * Secret (an env var's secretKeyRef), never in a pod spec. A user's template is merged over
 * each pod (objects key by key, arrays replaced whole except `containers`, merged by index),
 * so a node selector, resources or a sidecar can be added without restating the rest.
 * deploy/kubernetes/ holds the same objects as plain manifests.
 */

export interface KubeSpec {
  /** Prefix of every object's name, and the app.kubernetes.io/instance label. Default "barn". */
  readonly name: string;
  readonly namespace: string;
  /** Image with node and barn installed (deploy/Dockerfile builds one). */
  readonly image: string;
  readonly port: number;
  readonly threadsPerWorker: number;
  /** Heap limit of a worker's task thread, e.g. "2GiB" (also passed to --memory-limit). */
  readonly memoryLimit?: string | undefined;
  /** Merged over the scheduler pod. */
  readonly schedulerTemplate?: Record<string, unknown> | undefined;
  /** Merged over every worker pod. */
  readonly workerTemplate?: Record<string, unknown> | undefined;
}

type Manifest = Record<string, unknown>;

const labels = (s: KubeSpec, component: string) => ({
  "app.kubernetes.io/name": "barn",
  "app.kubernetes.io/instance": s.name,
  "app.kubernetes.io/component": component,
});

export const secretName = (s: KubeSpec) => `${s.name}-token`;
export const serviceName = (s: KubeSpec) => `${s.name}-scheduler`;

/** The scheduler's address inside the cluster (the Service's DNS name). */
export function inClusterAddress(s: KubeSpec): string {
  return `tcp://${serviceName(s)}.${s.namespace}.svc.cluster.local:${s.port}`;
}

export function secretManifest(s: KubeSpec, token: string): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: secretName(s), namespace: s.namespace, labels: labels(s, "token") },
    type: "Opaque",
    stringData: { token },
  };
}

const tokenEnv = (s: KubeSpec) => ({
  name: "BARN_TOKEN",
  valueFrom: { secretKeyRef: { name: secretName(s), key: "token" } },
});

export function schedulerPodManifest(s: KubeSpec): Manifest {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${s.name}-scheduler`,
      namespace: s.namespace,
      labels: labels(s, "scheduler"),
    },
    spec: {
      restartPolicy: "Always",
      containers: [
        {
          name: "scheduler",
          image: s.image,
          args: ["scheduler", "--host", "0.0.0.0", "--port", String(s.port)],
          env: [tokenEnv(s)],
          ports: [{ name: "barn", containerPort: s.port, protocol: "TCP" }],
          readinessProbe: { tcpSocket: { port: s.port }, periodSeconds: 2 },
        },
      ],
    },
  };
  return merge(pod, s.schedulerTemplate ?? {});
}

export function serviceManifest(s: KubeSpec): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: serviceName(s), namespace: s.namespace, labels: labels(s, "scheduler") },
    spec: {
      selector: labels(s, "scheduler"),
      ports: [{ name: "barn", port: s.port, targetPort: s.port, protocol: "TCP" }],
    },
  };
}

export function workerPodManifest(s: KubeSpec, worker: string): Manifest {
  const args = ["worker", inClusterAddress(s), "--name", worker];
  args.push("--nthreads", String(s.threadsPerWorker), "--death-timeout", "60");
  if (s.memoryLimit !== undefined) args.push("--memory-limit", s.memoryLimit);
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: worker,
      namespace: s.namespace,
      labels: { ...labels(s, "worker"), "barn.dev/worker": worker },
    },
    spec: {
      // The manager replaces a worker that died; a pod that exits (retired) stays done.
      restartPolicy: "Never",
      containers: [{ name: "worker", image: s.image, args, env: [tokenEnv(s)] }],
    },
  };
  return merge(pod, s.workerTemplate ?? {});
}

/** `over` merged into `base` (see the file comment); neither is changed. */
export function merge(base: Manifest, over: Manifest): Manifest {
  const out: Manifest = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = base[k];
    if (k === "containers" && Array.isArray(b) && Array.isArray(v)) {
      out[k] = v.map((c, i) => (i < b.length ? merge(b[i] as Manifest, c as Manifest) : c));
      for (let i = v.length; i < b.length; i++) (out[k] as unknown[]).push(b[i]);
    } else if (isObject(b) && isObject(v)) out[k] = merge(b, v);
    else out[k] = v;
  }
  return out;
}

function isObject(v: unknown): v is Manifest {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
