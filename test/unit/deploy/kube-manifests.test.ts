/**
 * KubeCluster's objects and the plain manifests under deploy/kubernetes/, validated against
 * the Kubernetes OpenAPI definitions (test/fixtures/k8s: the v1.34 definitions of the types
 * they use, as @kubernetes/client-node 1.4.0 ships them; scripts/k8s-openapi-subset.mjs
 * regenerates the file): every property known with the right type, every required one there.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadAllYaml } from "@kubernetes/client-node";
import { specOf } from "../../../src/client/kube-cluster.js";
import {
  schedulerPodManifest,
  secretManifest,
  serviceManifest,
  workerPodManifest,
} from "../../../src/deploy/kube-manifests.js";
import { OptionError } from "../../../src/errors.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const DEFS = (
  JSON.parse(readFileSync(join(ROOT, "test/fixtures/k8s/openapi-v1.34-subset.json"), "utf8")) as {
    definitions: Record<string, { properties: Record<string, string>; required: string[] }>;
  }
).definitions;

const KINDS: Record<string, string> = {
  Pod: "V1Pod",
  Service: "V1Service",
  Secret: "V1Secret",
  Deployment: "V1Deployment",
};

/** Problems of `v` as an instance of OpenAPI type `type`, with their paths. */
function check(v: unknown, type: string, path: string, out: string[]): void {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) {
    if (!Array.isArray(v)) out.push(`${path}: expected an array`);
    else for (let i = 0; i < v.length; i++) check(v[i], arr[1]!, `${path}[${i}]`, out);
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof v !== "object" || v === null) out.push(`${path}: expected a map`);
    else for (const [k, x] of Object.entries(v)) check(x, map[1]!, `${path}.${k}`, out);
    return;
  }
  switch (type) {
    case "string":
      if (typeof v !== "string") out.push(`${path}: expected a string, got ${JSON.stringify(v)}`);
      return;
    case "number":
      if (typeof v !== "number") out.push(`${path}: expected a number, got ${JSON.stringify(v)}`);
      return;
    case "boolean":
      if (typeof v !== "boolean") out.push(`${path}: expected a boolean`);
      return;
    case "IntOrString":
      if (typeof v !== "number" && typeof v !== "string")
        out.push(`${path}: expected int or string`);
      return;
    case "any":
      return;
  }
  const def = DEFS[type];
  if (def === undefined) {
    out.push(`${path}: type ${type} is not in the pinned definitions`);
    return;
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    out.push(`${path}: expected an object (${type})`);
    return;
  }
  for (const [k, x] of Object.entries(v)) {
    const t = def.properties[k];
    if (t === undefined) out.push(`${path}.${k}: no such field in ${type}`);
    else check(x, t, `${path}.${k}`, out);
  }
  for (const r of def.required) {
    if (!(r in v)) out.push(`${path}: ${type} requires ${r}`);
  }
}

function problems(m: Record<string, unknown>): string[] {
  const type = KINDS[String(m.kind)];
  if (type === undefined) return [`unknown kind ${String(m.kind)}`];
  const out: string[] = [];
  check(m, type, String(m.kind), out);
  return out;
}

const spec = specOf({
  image: "registry.example/barn:0.1.0",
  name: "demo",
  namespace: "science",
  threadsPerWorker: 2,
  memoryLimit: "2GiB",
  workerTemplate: {
    spec: {
      nodeSelector: { pool: "compute" },
      containers: [{ resources: { limits: { memory: "3Gi", cpu: "2" } } }],
    },
  },
});

test("KubeCluster's Secret, scheduler Pod, Service and worker Pod are valid Kubernetes objects", () => {
  for (const m of [
    secretManifest(spec, "t0ken"),
    schedulerPodManifest(spec),
    serviceManifest(spec),
    workerPodManifest(spec, "demo-worker-0"),
  ]) {
    assert.deepEqual(problems(m), [], `${String(m.kind)}`);
  }
});

test("the validator catches a wrong field, a wrong type and a missing required field (it can fail)", () => {
  const pod = workerPodManifest(spec, "w") as { spec: { containers: Record<string, unknown>[] } };
  const bad = structuredClone(pod);
  bad.spec.containers[0]!.imagePullPolicyy = "Always";
  bad.spec.containers[0]!.args = "worker";
  delete bad.spec.containers[0]!.name;
  const p = problems(bad);
  assert.equal(p.length, 3, p.join("\n"));
});

test("the token is only in the Secret; pods take it from there", () => {
  const text = JSON.stringify([
    schedulerPodManifest(spec),
    workerPodManifest(spec, "w"),
    serviceManifest(spec),
  ]);
  assert.ok(!text.includes("t0ken"));
  assert.match(text, /"secretKeyRef":\{"name":"demo-token","key":"token"\}/);
  assert.deepEqual((secretManifest(spec, "t0ken") as { stringData: object }).stringData, {
    token: "t0ken",
  });
});

test("a worker template is merged over the default pod, not in place of it", () => {
  const pod = workerPodManifest(spec, "demo-worker-0") as {
    spec: {
      nodeSelector: object;
      containers: { name: string; image: string; args: string[]; resources: object }[];
    };
  };
  assert.deepEqual(pod.spec.nodeSelector, { pool: "compute" });
  const c = pod.spec.containers[0]!;
  assert.equal(c.name, "worker");
  assert.equal(c.image, "registry.example/barn:0.1.0");
  assert.deepEqual(c.resources, { limits: { memory: "3Gi", cpu: "2" } });
  assert.deepEqual(c.args.slice(0, 2), [
    "worker",
    "tcp://demo-scheduler.science.svc.cluster.local:8786",
  ]);
  assert.ok(c.args.includes("--memory-limit") && c.args.includes("2GiB"));
});

test("the plain manifests under deploy/kubernetes/ are valid too", () => {
  const dir = join(ROOT, "deploy/kubernetes");
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), "utf8")) as Record<string, unknown>[]);
  assert.ok(docs.length >= 3);
  for (const d of docs) assert.deepEqual(problems(d), [], String(d.kind));
});

test("KubeCluster options are checked at the boundary", () => {
  assert.throws(() => specOf({} as never), OptionError);
  assert.throws(() => specOf({ image: "x", name: "Not_A_Label" }), /DNS label/);
});
