/**
 * Cycle detection without recursion (graphs reach a million nodes): Kahn's algorithm peels off
 * nodes whose dependencies are all peeled; whatever remains lies on or behind a cycle, and a
 * walk along remaining dependencies must come back to a node it has seen.
 */
import { ErrorCodes, GraphError } from "../errors.js";
import { depCounts, type IndexedGraph } from "./indexed.js";
import type { Key } from "./spec.js";

/**
 * The keys of one cycle in dependency order, first key repeated at the end
 * (`["a", "b", "a"]`: a needs b, b needs a), or undefined when the graph is acyclic.
 */
export function findCycle(g: IndexedGraph): Key[] | undefined {
  const remaining = depCounts(g);
  const queue = new Int32Array(g.keys.length);
  let tail = 0;
  for (let v = 0; v < remaining.length; v++) if (remaining[v] === 0) queue[tail++] = v;
  for (let head = 0; head < tail; head++) {
    const v = queue[head]!;
    for (let e = g.userStart[v]!; e < g.userStart[v + 1]!; e++) {
      const u = g.users[e]!;
      if (--remaining[u]! === 0) queue[tail++] = u;
    }
  }
  if (tail === g.keys.length) return undefined;
  const start = remaining.findIndex((count) => count > 0);
  return walkToCycle(g, remaining, start);
}

/**
 * Every node with a positive count still has a dependency with a positive count, so following
 * those must revisit a node; the walk from that node's first visit is the cycle.
 */
function walkToCycle(g: IndexedGraph, remaining: Int32Array, start: number): Key[] {
  const seenAt = new Map<number, number>();
  const walk: number[] = [];
  let v = start;
  while (!seenAt.has(v)) {
    seenAt.set(v, walk.length);
    walk.push(v);
    v = nextOnCycle(g, remaining, v);
  }
  const cycle = walk.slice(seenAt.get(v));
  cycle.push(v);
  return cycle.map((i) => g.keys[i]!);
}

function nextOnCycle(g: IndexedGraph, remaining: Int32Array, v: number): number {
  for (let e = g.depStart[v]!; e < g.depStart[v + 1]!; e++) {
    const d = g.deps[e]!;
    if (remaining[d]! > 0) return d;
  }
  throw new GraphError(ErrorCodes.INTERNAL, `cycle walk stuck at "${g.keys[v]}"; a bug in Barn`);
}

/** The GRAPH_CYCLE error for `cycle` as returned by findCycle. */
export function cycleError(cycle: readonly Key[]): GraphError {
  return new GraphError(
    ErrorCodes.GRAPH_CYCLE,
    `the graph has a cycle: ${cycle.join(" -> ")} (each key needs the next); a task cannot ` +
      "depend on itself, directly or through others: remove one of these references",
    { key: cycle[0] },
  );
}
