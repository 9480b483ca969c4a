/**
 * A graph's edges as integer arrays (compressed sparse rows), for the passes that walk graphs
 * of a million nodes: numbers in typed arrays instead of Maps of string arrays keep those
 * passes fast and their memory flat. Internal to the graph module.
 */
import { nodeDependencies } from "./deps.js";
import type { Graph, GraphNode, Key } from "./spec.js";

export interface IndexedGraph {
  /** Keys in graph (submission) order; a node's number is its position here. */
  readonly keys: readonly Key[];
  /** `nodes[i]` is the node of `keys[i]`. */
  readonly nodes: readonly GraphNode[];
  /** Key to number; exactly the keys of the graph. */
  readonly index: ReadonlyMap<Key, number>;
  /** Where node i's dependencies start in `deps`; `depStart[n]` is the number of edges. */
  readonly depStart: Int32Array;
  /** In-graph dependencies, node after node, each node's in its own (argument) order. */
  readonly deps: Int32Array;
  /** Where node i's dependents start in `users`; `userStart[n]` is the number of edges. */
  readonly userStart: Int32Array;
  /** Dependents, node after node, each node's ascending (submission order). */
  readonly users: Int32Array;
}

/**
 * Index `graph`. Dependencies outside the graph are left out of the edges and reported to
 * `onExternal` (validation uses it to find missing keys without walking the arguments twice).
 */
export function indexGraph(graph: Graph, onExternal?: (from: Key, dep: Key) => void): IndexedGraph {
  const n = graph.size;
  // Filled by push: `new Array(n)` of a million holes would be a slow dictionary array.
  const keys: Key[] = [];
  const nodes: GraphNode[] = [];
  const index = new Map<Key, number>();
  for (const [key, node] of graph) {
    index.set(key, keys.length);
    keys.push(key);
    nodes.push(node);
  }
  const depStart = new Int32Array(n + 1);
  const depList: number[] = [];
  for (let v = 0; v < n; v++) {
    for (const dep of nodeDependencies(nodes[v]!)) {
      const d = index.get(dep);
      if (d !== undefined) depList.push(d);
      else onExternal?.(keys[v]!, dep);
    }
    depStart[v + 1] = depList.length;
  }
  const deps = Int32Array.from(depList);
  const { start: userStart, list: users } = transpose(n, depStart, deps);
  return { keys, nodes, index, depStart, deps, userStart, users };
}

/** Reverse the edges; filling in node order keeps each dependent list ascending. */
function transpose(
  n: number,
  start: Int32Array,
  list: Int32Array,
): { start: Int32Array; list: Int32Array } {
  const outStart = new Int32Array(n + 1);
  for (let e = 0; e < list.length; e++) outStart[list[e]! + 1]!++;
  for (let v = 0; v < n; v++) outStart[v + 1]! += outStart[v]!;
  const fill = outStart.slice(0, n);
  const out = new Int32Array(list.length);
  for (let v = 0; v < n; v++) {
    for (let e = start[v]!; e < start[v + 1]!; e++) out[fill[list[e]!]!++] = v;
  }
  return { start: outStart, list: out };
}

/** Number of in-graph dependencies of each node. */
export function depCounts(g: IndexedGraph): Int32Array {
  const n = g.keys.length;
  const out = new Int32Array(n);
  for (let v = 0; v < n; v++) out[v] = g.depStart[v + 1]! - g.depStart[v]!;
  return out;
}

/** Number of in-graph dependents of each node. */
export function userCounts(g: IndexedGraph): Int32Array {
  const n = g.keys.length;
  const out = new Int32Array(n);
  for (let v = 0; v < n; v++) out[v] = g.userStart[v + 1]! - g.userStart[v]!;
  return out;
}
