/**
 * The boundary check for graphs (validate at the boundary, trust inside): after validateGraph
 * passes, cull, order and fuse may assume well-formed nodes, known dependencies and no cycle.
 */
import { ErrorCodes, GraphError } from "../errors.js";
import { cycleError, findCycle } from "./cycle.js";
import { indexGraph } from "./indexed.js";
import { checkKey, checkNode } from "./shape.js";
import type { FusedNode, Graph, GraphNode, Key } from "./spec.js";

/**
 * Throws a GraphError unless `graph` can be run: keys are non-empty strings, nodes are well
 * formed (GRAPH_INVALID, GRAPH_NOT_A_FUNCTION), every dependency is in the graph or
 * `isKnown` (GRAPH_MISSING_DEPENDENCY), and there is no cycle (GRAPH_CYCLE).
 * `isKnown` answers for keys already held by the scheduler; without it, none are.
 */
export function validateGraph(graph: Graph, isKnown?: (key: Key) => boolean): void {
  let fused = false;
  for (const [key, node] of graph) {
    checkKey(key, "a graph key");
    checkNode(key, node);
    fused ||= node.kind === "fused";
  }
  if (fused) checkFusedStepKeys(graph);
  const indexed = indexGraph(graph, (from, dep) => {
    if (isKnown === undefined || !isKnown(dep)) throw missingDependency(from, dep);
  });
  const cycle = findCycle(indexed);
  if (cycle !== undefined) throw cycleError(cycle);
}

/** The error for `from` needing `dep`, which is neither in the graph nor known. */
export function missingDependency(from: Key, dep: Key): GraphError {
  return new GraphError(
    ErrorCodes.GRAPH_MISSING_DEPENDENCY,
    `"${from}" depends on "${dep}", which is not in the graph and not known to the scheduler; ` +
      `add "${dep}" to the graph or submit it first`,
    { key: from },
  );
}

/** A fused node's inner steps own their keys: no other node or step may use them. */
function checkFusedStepKeys(graph: Graph): void {
  const owners = new Map<Key, Key>();
  for (const [key, node] of graph) {
    if (node.kind !== "fused") continue;
    for (const stepKey of innerStepKeys(node)) {
      if (graph.has(stepKey)) {
        throw duplicateKey(stepKey, `by a node and by a step of fused node "${key}"`);
      }
      const owner = owners.get(stepKey);
      if (owner !== undefined) {
        throw duplicateKey(stepKey, `by steps of fused nodes "${owner}" and "${key}"`);
      }
      owners.set(stepKey, key);
    }
  }
}

function innerStepKeys(node: FusedNode): Key[] {
  return node.steps.slice(0, -1).map(([k]) => k);
}

/**
 * A graph from `[key, node]` pairs, in their order (the submission order that `order` uses to
 * break ties). Throws GRAPH_DUPLICATE_KEY naming the first key given twice.
 */
export function graphFromEntries(entries: Iterable<readonly [Key, GraphNode]>): Graph {
  const graph = new Map<Key, GraphNode>();
  for (const [key, node] of entries) {
    if (graph.has(key)) throw duplicateKey(key, "by two entries");
    graph.set(key, node);
  }
  return graph;
}

function duplicateKey(key: Key, what: string): GraphError {
  return new GraphError(
    ErrorCodes.GRAPH_DUPLICATE_KEY,
    `key "${key}" is used twice (${what}); every key in a submission must be unique: ` +
      "rename one, or derive keys from content with tokenize()",
    { key },
  );
}
