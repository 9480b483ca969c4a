import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { dependencies } from "../../../src/graph/deps.js";
import { order } from "../../../src/graph/order.js";
import { data, type Graph, type GraphNode, type Key, ref, task } from "../../../src/graph/spec.js";
import { dagArb, graphOf, maxLive } from "./helpers.js";

const f = (...xs: unknown[]) => xs;

function assertTopological(graph: Graph, rank: ReadonlyMap<Key, number>): void {
  assert.equal(rank.size, graph.size);
  assert.deepEqual(
    [...rank.values()].sort((a, b) => a - b),
    [...Array(graph.size).keys()],
  );
  for (const [key, deps] of dependencies(graph)) {
    for (const d of deps) {
      if (graph.has(d)) assert.ok(rank.get(d)! < rank.get(key)!, `${d} before ${key}`);
    }
  }
}

/** Pairwise sums of `leaves` inputs, leaves first, then each level: the submission order. */
function treeReduction(leaves: number): Graph {
  const entries: [Key, GraphNode][] = [];
  let level: Key[] = [];
  for (let i = 0; i < leaves; i++) {
    entries.push([`leaf-${i}`, task(f, i)]);
    level.push(`leaf-${i}`);
  }
  for (let depth = 0; level.length > 1; depth++) {
    const next: Key[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const key = `sum-${depth}-${i / 2}`;
      entries.push([key, task(f, ref(level[i]!), ref(level[i + 1]!))]);
      next.push(key);
    }
    level = next;
  }
  return graphOf(entries);
}

/** Kahn's algorithm level by level: the breadth-first order to compare against. */
function breadthFirst(graph: Graph): Map<Key, number> {
  const deps = dependencies(graph);
  const rank = new Map<Key, number>();
  while (rank.size < graph.size) {
    const ready = [...graph.keys()].filter(
      (k) => !rank.has(k) && deps.get(k)!.every((d) => rank.has(d)),
    );
    for (const k of ready) rank.set(k, rank.size);
  }
  return rank;
}

test("tree reduction of 1,024 leaves: O(log n) live results, breadth-first keeps O(n)", () => {
  const graph = treeReduction(1024);
  const rank = order(graph);
  assertTopological(graph, rank);
  const live = maxLive(dependencies(graph), rank);
  assert.ok(live <= 11, `depth-first keeps ${live} alive`);
  assert.ok(maxLive(dependencies(graph), breadthFirst(graph)) >= 512);
});

test("tree reduction: leaves submitted in reverse still give O(log n) live results", () => {
  const forward = [...treeReduction(256)];
  const leaves = forward.filter(([k]) => k.startsWith("leaf")).reverse();
  const graph = graphOf([...leaves, ...forward.filter(([k]) => !k.startsWith("leaf"))]);
  assert.ok(maxLive(dependencies(graph), order(graph)) <= 9);
});

test("independent chains: one chain is finished before the next is started", () => {
  const entries: [Key, GraphNode][] = [];
  // Submitted step by step across chains, as a breadth-first client would.
  for (let step = 0; step < 5; step++) {
    for (const c of ["a", "b", "c"]) {
      entries.push([`${c}${step}`, step === 0 ? data(0) : task(f, ref(`${c}${step - 1}`))]);
    }
  }
  const rank = order(graphOf(entries));
  const sequence = [...rank.keys()].sort((x, y) => rank.get(x)! - rank.get(y)!);
  assert.equal(sequence.map((k) => k[0]).join(""), "aaaaabbbbbccccc");
});

test("a task that releases an input runs as soon as it can", () => {
  // `side` is the last user of `x`; it should not wait behind the long `big` branch.
  const graph = graphOf([
    ["x", data(1)],
    ["use1", task(f, ref("x"))],
    ["big0", task(f, ref("use1"))],
    ["big1", task(f, ref("big0"))],
    ["big2", task(f, ref("big1"))],
    ["side", task(f, ref("x"), ref("use1"))],
  ]);
  const rank = order(graph);
  assertTopological(graph, rank);
  assert.equal(rank.get("side"), 2);
});

test("order is deterministic and breaks ties by submission order", () => {
  const graph = graphOf([
    ["z", data(0)],
    ["y", data(0)],
    ["x", data(0)],
  ]);
  assert.deepEqual(
    [...order(graph)],
    [
      ["z", 0],
      ["y", 1],
      ["x", 2],
    ],
  );
  const tree = treeReduction(64);
  assert.deepEqual([...order(tree)], [...order(tree)]);
});

test("keys outside the graph are ignored; the empty graph has an empty order", () => {
  const rank = order(graphOf([["a", task(f, ref("elsewhere"))]]));
  assert.deepEqual([...rank], [["a", 0]]);
  assert.equal(order(new Map()).size, 0);
});

test("1,000,000 nodes (a tree reduction) are ordered in a few seconds", () => {
  const graph = treeReduction(1 << 19);
  const start = performance.now();
  const rank = order(graph);
  const ms = performance.now() - start;
  assert.equal(rank.size, (1 << 20) - 1);
  assert.ok(ms < 15_000, `took ${ms} ms`);
});

test("property: order is a topological order of random DAGs", () => {
  fc.assert(fc.property(dagArb(60), (graph) => assertTopological(graph, order(graph))));
});
