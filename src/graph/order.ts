/**
 * A static execution order in the spirit of dask.order: finish the branch in progress before
 * starting new inputs, so few intermediate results are alive at once.
 *
 * Two passes, both linear in nodes plus edges and free of recursion:
 * 1. A depth-first walk from the outputs (nodes nothing in the graph needs), in submission
 *    order, visiting each node's dependencies in argument order and listing a node once all of
 *    them are listed. On a reduction tree this evaluates one subtree entirely before the next,
 *    so live results stay O(depth); independent chains run one after the other.
 * 2. That list is emitted in order, but whenever a task becomes runnable and running it would
 *    release an input (it is that input's last dependent), it is emitted at once: it frees at
 *    least as much as it produces, and otherwise it might wait for a far-away output's turn
 *    while its inputs stay alive.
 */
import { depCounts, type IndexedGraph, indexGraph, userCounts } from "./indexed.js";
import type { Graph, Key } from "./spec.js";

/**
 * A position 0..n-1 for every key of `graph`: lower runs first. Every key comes after all of
 * its dependencies in the graph. `graph` must be acyclic (validateGraph); on a cycle the result
 * is still a numbering of all keys, but not a valid order. Deterministic: equal graphs (same
 * insertion order) give equal orders.
 */
export function order(graph: Graph): Map<Key, number> {
  const g = indexGraph(graph);
  const rank = emit(g, depthFirstFromOutputs(g));
  const out = new Map<Key, number>();
  for (let v = 0; v < g.keys.length; v++) out.set(g.keys[v]!, rank[v]!);
  return out;
}

/** Post-order of a depth-first walk from each output, outputs in submission order. */
function depthFirstFromOutputs(g: IndexedGraph): Int32Array {
  const n = g.keys.length;
  const walk: DepthFirst = {
    g,
    state: new Uint8Array(n),
    stack: new Int32Array(n),
    cursor: new Int32Array(n),
    listed: new Int32Array(n),
    count: 0,
  };
  for (let v = 0; v < n; v++) if (g.userStart[v + 1] === g.userStart[v]) visit(walk, v);
  // Only nodes on a cycle are unreachable from every output; list them anyway.
  for (let v = 0; v < n; v++) if (walk.state[v] === 0) visit(walk, v);
  return walk.listed;
}

interface DepthFirst {
  readonly g: IndexedGraph;
  /** Per node: 0 not reached, 1 on the stack, 2 listed. */
  readonly state: Uint8Array;
  /** The path being walked; each node is pushed at most once, so n slots suffice. */
  readonly stack: Int32Array;
  /** Per node on the stack: the next dependency edge to try. */
  readonly cursor: Int32Array;
  /** Nodes in post-order; `count` of them so far. */
  readonly listed: Int32Array;
  count: number;
}

function visit(w: DepthFirst, root: number): void {
  const { g, state, stack, cursor, listed } = w;
  if (state[root] !== 0) return;
  let top = 0;
  stack[0] = root;
  state[root] = 1;
  cursor[root] = g.depStart[root]!;
  while (top >= 0) {
    const v = stack[top]!;
    const e = cursor[v]!;
    if (e < g.depStart[v + 1]!) {
      cursor[v] = e + 1;
      const d = g.deps[e]!;
      if (state[d] !== 0) continue;
      state[d] = 1;
      cursor[d] = g.depStart[d]!;
      stack[++top] = d;
    } else {
      state[v] = 2;
      listed[w.count++] = v;
      top--;
    }
  }
}

/** Ranks from the post-order, with memory-releasing tasks pulled forward (see file comment). */
function emit(g: IndexedGraph, listed: Int32Array): Int32Array {
  const n = g.keys.length;
  const rank = new Int32Array(n).fill(-1);
  /** Dependencies of each node not yet emitted; 0 means runnable. */
  const waiting = depCounts(g);
  /** Dependents of each node not yet emitted; its result is alive while this is positive. */
  const holding = userCounts(g);
  const eager: number[] = [];
  let next = 0;
  const place = (v: number): void => {
    rank[v] = next++;
    for (let e = g.depStart[v]!; e < g.depStart[v + 1]!; e++) holding[g.deps[e]!]!--;
    for (let e = g.userStart[v]!; e < g.userStart[v + 1]!; e++) {
      const u = g.users[e]!;
      if (--waiting[u]! === 0 && releasesInput(g, holding, u)) eager.push(u);
    }
  };
  for (let i = 0; i < n; i++) {
    const v = listed[i]!;
    if (rank[v] !== -1) continue;
    place(v);
    for (let u = eager.pop(); u !== undefined; u = eager.pop()) if (rank[u] === -1) place(u);
  }
  return rank;
}

/** Whether `u` is the last dependent still to run of one of its dependencies. */
function releasesInput(g: IndexedGraph, holding: Int32Array, u: number): boolean {
  for (let e = g.depStart[u]!; e < g.depStart[u + 1]!; e++) {
    if (holding[g.deps[e]!] === 1) return true;
  }
  return false;
}
