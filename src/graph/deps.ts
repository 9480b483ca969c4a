/**
 * Which keys a node needs before it can run. The one place that knows how each node kind names
 * its inputs; every pass (validate, cull, order, fuse) asks here.
 */
import { collectRefs } from "./refs.js";
import type { FusedNode, Graph, GraphNode, Key } from "./spec.js";

/**
 * The keys `node` needs, each once, in order of first appearance. Not checked against any
 * graph: a key may be outside it (already known to the scheduler). The result may be shared:
 * do not mutate it.
 */
export function nodeDependencies(node: GraphNode): readonly Key[] {
  switch (node.kind) {
    case "task":
      return collectRefs(node.args);
    case "alias":
      return [node.target];
    case "data":
      return [];
    case "fused":
      return fusedDependencies(node);
    default:
      return unreachable(node);
  }
}

/** Refs of the steps to keys that are not steps of the chain. */
function fusedDependencies(node: FusedNode): readonly Key[] {
  const steps = node.steps;
  if (steps.length === 1) return collectRefs(steps[0]![1].args);
  const inside = new Set<Key>();
  const out: Key[] = [];
  const seen = new Set<Key>();
  for (const [key, step] of steps) {
    for (const dep of collectRefs(step.args)) {
      if (inside.has(dep) || seen.has(dep)) continue;
      seen.add(dep);
      out.push(dep);
    }
    inside.add(key);
  }
  return out;
}

/** Every node's dependencies, in graph order. Keys outside the graph are kept. */
export function dependencies(graph: Graph): Map<Key, readonly Key[]> {
  const out = new Map<Key, readonly Key[]>();
  for (const [key, node] of graph) out.set(key, nodeDependencies(node));
  return out;
}

/**
 * For every key of the graph, the keys of the graph that need it, in graph order. Keys outside
 * the graph get no entry: they have dependents here but are not part of this graph.
 */
export function dependents(graph: Graph): Map<Key, Key[]> {
  const out = new Map<Key, Key[]>();
  for (const key of graph.keys()) out.set(key, []);
  for (const [key, node] of graph) {
    for (const dep of nodeDependencies(node)) out.get(dep)?.push(key);
  }
  return out;
}

function unreachable(node: never): never {
  throw new TypeError(`unknown graph node kind: ${(node as { kind?: unknown }).kind}`);
}
