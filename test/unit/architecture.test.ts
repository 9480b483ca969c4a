/**
 * The dependency rule of docs/architecture.md, checked from the real imports of src/ (static
 * `import`/`export ... from` and dynamic `import("...")` with a literal), so the layering stays
 * true as the code moves. The rules are the document's, one test each.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SRC = join(ROOT, "src");

interface Edge {
  readonly from: string; // path under src/, posix, with .ts
  readonly to: string; // a path under src/ (.ts) or a bare specifier such as "node:fs"
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\sfrom\s+["']([^"']+)["']|(?:^|[\s;])import\s+["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/gm;

function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, "");
  const from = relative(SRC, file).split("\\").join("/");
  const out: Edge[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec === undefined) continue;
    if (!spec.startsWith(".")) {
      out.push({ from, to: spec });
      continue;
    }
    const to = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, ".ts");
    out.push({ from, to });
  }
  return out;
}

const EDGES = sourceFiles(SRC).flatMap(edgesOf);
const internal = (e: Edge): boolean => !e.to.startsWith("node:") && e.to.endsWith(".ts");
const folderOf = (path: string): string => {
  const parts = path.split("/");
  if (parts.length === 1) return parts[0] as string; // a top-level file such as errors.ts
  return parts[0] === "collections" ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
};

function violations(pred: (e: Edge) => boolean): string[] {
  return EDGES.filter(pred).map((e) => `${e.from} -> ${e.to}`);
}

test("the import scan sees the code base", () => {
  assert.ok(EDGES.length > 300, `only ${EDGES.length} imports found: the scanner is broken`);
  assert.ok(EDGES.some((e) => e.from === "scheduler/server.ts" && e.to === "scheduler/state.ts"));
  assert.ok(EDGES.some((e) => e.to === "node:worker_threads"));
});

test("kernels import nothing but their own files", () => {
  assert.deepEqual(
    violations((e) => e.from.startsWith("kernels/") && !e.to.startsWith("kernels/")),
    [],
  );
});

const PURE_CORE = (path: string): boolean =>
  path.startsWith("graph/") ||
  path.startsWith("protocol/") ||
  (path.startsWith("scheduler/") && path !== "scheduler/server.ts") ||
  /^worker\/(state[^/]*|worker-task|protocol)\.ts$/.test(path);

test("the pure cores import no node:* module, no transport, nothing from client/ or deploy/", () => {
  assert.deepEqual(
    violations(
      (e) =>
        PURE_CORE(e.from) &&
        (!internal(e) ||
          /^(transport|client|deploy|cli|diagnostics)\//.test(e.to) ||
          e.to === "scheduler/server.ts" ||
          e.to === "worker/shell.ts"),
    ),
    [],
  );
});

test("the scheduler reaches workers only through protocol/, never worker/", () => {
  assert.deepEqual(
    violations((e) => e.from.startsWith("scheduler/") && e.to.startsWith("worker/")),
    [],
  );
});

test("client/ reaches workers only through the Backend seam (the sync backend runs tasks inline with the worker's executor)", () => {
  const inline = new Set(["worker/executor.ts", "worker/sizeof.ts"]);
  assert.deepEqual(
    violations(
      (e) =>
        e.from.startsWith("client/") &&
        /^(worker|scheduler\/server)/.test(e.to) &&
        !(e.from === "client/sync-backend.ts" && inline.has(e.to)),
    ),
    [],
  );
});

test("transport/ knows nothing of tasks, and only deploy/ and the remote backend use it", () => {
  assert.deepEqual(
    violations(
      (e) =>
        e.from.startsWith("transport/") &&
        internal(e) &&
        !e.to.startsWith("transport/") &&
        e.to !== "errors.ts" &&
        e.to !== "version.ts",
    ),
    [],
  );
  assert.deepEqual(
    violations(
      (e) =>
        e.to.startsWith("transport/") &&
        !e.from.startsWith("transport/") &&
        !e.from.startsWith("deploy/") &&
        e.from !== "client/remote-backend.ts",
    ),
    [],
  );
});

test("errors.ts depends on nothing, version.ts on node:fs only", () => {
  assert.deepEqual(
    violations((e) => e.from === "errors.ts" || (e.from === "version.ts" && e.to !== "node:fs")),
    [],
  );
});

test("protocol/ sits below scheduler, worker, client and deploy", () => {
  assert.deepEqual(
    violations(
      (e) =>
        e.from.startsWith("protocol/") &&
        /^(scheduler|worker|client|deploy|transport|cli|collections)\//.test(e.to),
    ),
    [],
  );
});

test("no two folders import each other, directly or through others", () => {
  const graph = new Map<string, Set<string>>();
  for (const e of EDGES) {
    if (!internal(e)) continue;
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    let set = graph.get(a);
    if (set === undefined) graph.set(a, (set = new Set()));
    set.add(b);
  }
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, "open");
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const s = state.get(m);
      if (s === "open") cycles.push([...stack.slice(stack.indexOf(m)), m].join(" -> "));
      else if (s === undefined) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of [...graph.keys()].sort()) if (!state.has(n)) visit(n);
  assert.deepEqual(cycles, []);
});
