/**
 * A user's task graph becomes TaskSubmissions: validated (clear errors for cycles, missing
 * keys, non-functions), culled to the requested keys, statically ordered, and its linear chains
 * fused, then listed in that order (the sync scheduler runs them in exactly this order).
 */
import { cull } from "../graph/cull.js";
import { nodeDependencies } from "../graph/deps.js";
import { fuseLinear } from "../graph/fuse.js";
import { order } from "../graph/order.js";
import type { Graph, GraphNode, Key, TaskNode } from "../graph/spec.js";
import { validateGraph } from "../graph/validate.js";
import type { TaskSubmission } from "../protocol/ids.js";
import type { CallSpec, RunSpec } from "../protocol/run-spec.js";
import { functionName } from "../shipping/ship.js";
import { checkKeyCharacters, type TaskOptions } from "./options.js";
import { callSpec, type FunctionTable, submission } from "./submission.js";

export function graphSubmissions(
  graph: Graph,
  keys: readonly Key[],
  table: FunctionTable,
  opts: TaskOptions,
  isKnown: (key: Key) => boolean,
): TaskSubmission[] {
  validateGraph(graph, isKnown);
  const culled = cull(
    graph,
    keys.filter((k) => graph.has(k)),
  );
  const rank = order(culled);
  const fused = fuseLinear(culled, new Set(keys));
  const out: TaskSubmission[] = [];
  for (const [key, node] of fused) {
    checkKeyCharacters(key);
    const run = runOf(node, table);
    out.push(submission(key, run, nodeDependencies(node), groupOf(node), opts, rank.get(key) ?? 0));
  }
  out.sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  return out;
}

function runOf(node: GraphNode, table: FunctionTable): RunSpec {
  switch (node.kind) {
    case "task":
      return taskSpec(node, table);
    case "data":
      return { d: node.value };
    case "alias":
      return { alias: node.target };
    case "fused":
      return { steps: node.steps.map(([k, t]) => [k, taskSpec(t, table)] as const) };
    default:
      return node satisfies never;
  }
}

function taskSpec(node: TaskNode, table: FunctionTable): CallSpec {
  return callSpec(table.ship(node.fn).id, node.args, true);
}

function groupOf(node: GraphNode): string {
  switch (node.kind) {
    case "task":
      return functionName(node.fn);
    case "fused": {
      const last = node.steps[node.steps.length - 1];
      return last ? functionName(last[1].fn) : "fused";
    }
    default:
      return node.kind;
  }
}
