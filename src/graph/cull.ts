/**
 * Culling: drop every node that the requested keys do not need, so asking for one output of a
 * large graph computes only its ancestors.
 */
import { ErrorCodes, GraphError } from "../errors.js";
import { nodeDependencies } from "./deps.js";
import type { Graph, GraphNode, Key } from "./spec.js";

/**
 * The part of `graph` needed to compute `keys`: those keys and their ancestors, in graph order.
 * Dependencies outside the graph (already known) are not followed. Returns `graph` itself when
 * every node is needed. Throws GRAPH_MISSING_DEPENDENCY for a requested key not in the graph.
 */
export function cull(graph: Graph, keys: Iterable<Key>): Graph {
  const needed = new Set<Key>();
  const stack: Key[] = [];
  for (const key of keys) {
    if (!graph.has(key)) throw unknownOutput(key);
    if (!needed.has(key)) {
      needed.add(key);
      stack.push(key);
    }
  }
  for (let key = stack.pop(); key !== undefined; key = stack.pop()) {
    for (const dep of nodeDependencies(graph.get(key)!)) {
      if (needed.has(dep) || !graph.has(dep)) continue;
      needed.add(dep);
      stack.push(dep);
    }
  }
  if (needed.size === graph.size) return graph;
  const out = new Map<Key, GraphNode>();
  for (const [key, node] of graph) if (needed.has(key)) out.set(key, node);
  return out;
}

function unknownOutput(key: Key): GraphError {
  return new GraphError(
    ErrorCodes.GRAPH_MISSING_DEPENDENCY,
    `cannot compute "${key}": it is not in the graph; add "${key}" to the graph or request a ` +
      "key that is in it",
    { key },
  );
}
