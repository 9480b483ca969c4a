// Writes test/fixtures/k8s/openapi-v1.34-subset.json: the Kubernetes OpenAPI definitions
// (v1.34.0, as @kubernetes/client-node 1.4.0 generates its models from them) of the objects
// Barn's manifests use, and every type they reach: properties with their types, and the
// required ones. Run after upgrading the client: node scripts/k8s-openapi-subset.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
const pkg = dirname(require.resolve("@kubernetes/client-node/package.json"));
const models = join(pkg, "dist/gen/models");
const roots = ["V1Pod", "V1Service", "V1Secret", "V1Deployment", "V1Namespace"];

const defs = {};
const queue = [...roots];
while (queue.length > 0) {
  const name = queue.pop();
  if (defs[name]) continue;
  const js = readFileSync(join(models, `${name}.js`), "utf8");
  const dts = readFileSync(join(models, `${name}.d.ts`), "utf8");
  const m = /attributeTypeMap = (\[[\s\S]*?\n\]);/.exec(js);
  if (!m) throw new Error(`no attributeTypeMap in ${name}`);
  const attrs = JSON.parse(m[1]);
  const properties = {};
  for (const a of attrs) {
    properties[a.baseName] = a.type;
    for (const t of a.type.match(/\b(V\d\w+|Core\w+)\b/g) ?? []) queue.push(t);
  }
  const required = attrs
    .filter((a) => new RegExp(`'${a.name}': `).test(dts))
    .map((a) => a.baseName);
  defs[name] = { properties, required };
}
const out = {
  source: "@kubernetes/client-node 1.4.0 generated models (OpenAPI spec v1.34.0)",
  definitions: Object.fromEntries(Object.entries(defs).sort(([a], [b]) => (a < b ? -1 : 1))),
};
writeFileSync(
  new URL("../test/fixtures/k8s/openapi-v1.34-subset.json", import.meta.url),
  `${JSON.stringify(out, null, 1)}\n`,
);
console.log(`${Object.keys(defs).length} definitions`);
