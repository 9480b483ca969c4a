/**
 * Test helpers for the graph module: random DAGs for property tests, a tiny plain-JS evaluator
 * used as the oracle, and the "live results" measure of an execution order.
 */
import fc from "fast-check";
import { runFused } from "../../../src/graph/fuse.js";
import {
  alias,
  data,
  type Graph,
  type GraphNode,
  type Key,
  ref,
  TaskRef,
  task,
} from "../../../src/graph/spec.js";

const MOD = 1_000_003;

/** A graph from entries of mixed node kinds (a bare `new Map([...])` infers too narrow a type). */
export function graphOf(entries: readonly (readonly [Key, GraphNode])[]): Graph {
  return new Map(entries);
}

/** Order-sensitive, so a wrong argument order changes the value. */
export function weighted(c: number, ...xs: number[]): number {
  let acc = c;
  for (let j = 0; j < xs.length; j++) acc = (acc + xs[j]! * (j + 2)) % MOD;
  return acc;
}

/** Same, with the inputs nested inside plain objects and arrays. */
export function weightedNested(c: number, parts: { v: number }[], extra: { w: number[] }): number {
  return weighted(c, ...parts.map((p) => p.v), ...extra.w);
}

interface NodeSpec {
  deps: number[];
  /** Depend on the previous node only, so that linear chains are common. */
  chain: boolean;
  kind: "task" | "data" | "alias";
  c: number;
  nested: boolean;
  rank: number;
}

const nodeSpec: fc.Arbitrary<NodeSpec> = fc.record({
  deps: fc.array(fc.nat(), { maxLength: 4 }),
  chain: fc.constantFrom(true, true, false),
  kind: fc.constantFrom("task" as const, "task" as const, "data" as const, "alias" as const),
  c: fc.integer({ min: -50, max: 50 }),
  nested: fc.boolean(),
  rank: fc.nat(),
});

/** Random DAGs of up to `max` nodes ("k0".. "kN"), inserted in a random (not topological) order. */
export function dagArb(max = 40): fc.Arbitrary<Graph> {
  return fc.array(nodeSpec, { minLength: 1, maxLength: max }).map(buildDag);
}

function buildDag(specs: NodeSpec[]): Graph {
  const nodes: [Key, GraphNode, number][] = specs.map((s, i) => {
    const deps = i === 0 ? [] : s.chain ? [i - 1] : [...new Set(s.deps.map((d) => d % i))];
    return [`k${i}`, makeNode(s, deps), s.rank];
  });
  nodes.sort((a, b) => a[2] - b[2]);
  return new Map(nodes.map(([k, n]) => [k, n]));
}

function makeNode(s: NodeSpec, deps: number[]): GraphNode {
  if (s.kind === "data" || deps.length === 0) {
    return s.kind === "task" ? task(weighted, s.c) : data(s.c);
  }
  if (s.kind === "alias") return alias(`k${deps[0]}`);
  const refs = deps.map((d) => ref(`k${d}`));
  if (!s.nested) return task(weighted, s.c, ...refs);
  const half = Math.ceil(refs.length / 2);
  return task(
    weightedNested,
    s.c,
    refs.slice(0, half).map((r) => ({ v: r })),
    { w: refs.slice(half) },
  );
}

/** Replace TaskRefs inside plain arrays and objects; written independently of refs.ts. */
function fill(v: unknown, get: (k: Key) => unknown): unknown {
  if (v instanceof TaskRef) return get(v.key);
  if (Array.isArray(v)) return v.map((x) => fill(x, get));
  if (typeof v === "object" && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, get)]));
  }
  return v;
}

/** Every key's value, computing nodes whenever their inputs are ready (fused via runFused). */
export function evaluate(graph: Graph): Map<Key, unknown> {
  const values = new Map<Key, unknown>();
  const get = (k: Key): unknown => {
    if (!values.has(k)) throw new Error(`not ready: ${k}`);
    return values.get(k);
  };
  while (values.size < graph.size) {
    const before = values.size;
    for (const [key, node] of graph) {
      if (values.has(key)) continue;
      try {
        values.set(key, evalNode(node, get));
      } catch (e) {
        if (!(e instanceof Error && e.message.startsWith("not ready"))) throw e;
      }
    }
    if (values.size === before) throw new Error("evaluate: stuck (cycle or missing key)");
  }
  return values;
}

function evalNode(node: GraphNode, get: (k: Key) => unknown): unknown {
  switch (node.kind) {
    case "data":
      return node.value;
    case "alias":
      return get(node.target);
    case "task":
      return node.fn(...(fill(node.args, get) as unknown[]));
    case "fused":
      return runFused(node, get, (fn, args) => fn(...args));
  }
}

/**
 * Running tasks one at a time in `rank` order, the most results alive at once: a result is
 * alive from when it is computed until its last dependent has run.
 */
export function maxLive(deps: ReadonlyMap<Key, readonly Key[]>, rank: ReadonlyMap<Key, number>) {
  const users = new Map<Key, number>();
  for (const ds of deps.values()) for (const d of ds) users.set(d, (users.get(d) ?? 0) + 1);
  const sequence = [...rank.keys()].sort((a, b) => rank.get(a)! - rank.get(b)!);
  let live = 0;
  let max = 0;
  for (const key of sequence) {
    if ((users.get(key) ?? 0) > 0) live++;
    for (const d of deps.get(key) ?? []) {
      const left = users.get(d)! - 1;
      users.set(d, left);
      if (left === 0) live--;
    }
    max = Math.max(max, live);
  }
  return max;
}

/** Ancestors of `keys` (and the keys), computed naively. */
export function ancestors(deps: ReadonlyMap<Key, readonly Key[]>, keys: Iterable<Key>): Set<Key> {
  const out = new Set<Key>();
  const todo = [...keys];
  while (todo.length > 0) {
    const k = todo.pop()!;
    if (out.has(k)) continue;
    out.add(k);
    todo.push(...(deps.get(k) ?? []));
  }
  return out;
}
