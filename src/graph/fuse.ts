/**
 * Linear fusion: a chain a -> b -> c where each task is the only dependent of the one before it,
 * and each later task needs nothing else, becomes one FusedNode keyed "c". The chain then runs
 * on one worker in one go: no scheduler round trip and no stored intermediate per step.
 */
import { depCounts, indexGraph, userCounts } from "./indexed.js";
import { substituteRefs } from "./refs.js";
import type { FusedNode, Graph, GraphNode, Key, TaskNode } from "./spec.js";

/**
 * `graph` with its linear chains of tasks fused. A task is swallowed into the next step when it
 * is a task, is not in `keep`, has exactly one dependent, and that dependent is a task with no
 * other dependency. Keys in `keep` (requested outputs, keys other code refers to) stay
 * addressable; they may end a chain. Data, alias and already fused nodes are left alone.
 * A fused node takes the place of its last key in graph order. `graph` must be valid.
 */
export function fuseLinear(graph: Graph, keep: ReadonlySet<Key>): Graph {
  /** Tasks that also need keys outside the graph: they cannot be a later step. */
  const needsOutside = new Set<Key>();
  const g = indexGraph(graph, (from) => needsOutside.add(from));
  const n = g.keys.length;
  const deps = depCounts(g);
  const users = userCounts(g);
  /** For a swallowed task, its one dependent (the next step); -1 otherwise. */
  const next = new Int32Array(n).fill(-1);
  /** For a step after the first, the step before it; -1 otherwise. */
  const prev = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (g.nodes[v]!.kind !== "task" || keep.has(g.keys[v]!) || users[v] !== 1) continue;
    const u = g.users[g.userStart[v]!]!;
    if (g.nodes[u]!.kind !== "task" || deps[u] !== 1 || needsOutside.has(g.keys[u]!)) continue;
    next[v] = u;
    prev[u] = v;
  }
  const out = new Map<Key, GraphNode>();
  for (let v = 0; v < n; v++) {
    if (next[v] !== -1) continue;
    out.set(g.keys[v]!, prev[v] === -1 ? g.nodes[v]! : chainEndingAt(g.keys, g.nodes, prev, v));
  }
  return out;
}

function chainEndingAt(
  keys: readonly Key[],
  nodes: readonly GraphNode[],
  prev: Int32Array,
  last: number,
): FusedNode {
  const steps: [Key, TaskNode][] = [];
  for (let v = last; v !== -1; v = prev[v]!) steps.push([keys[v]!, nodes[v] as TaskNode]);
  return { kind: "fused", steps: steps.reverse() };
}

/** Calls a task function; the executor decides how (directly, with a cache, with timing). */
export type CallFn = (fn: Function, args: readonly unknown[]) => unknown;

/**
 * Runs a FusedNode's steps in order and returns the last step's value. A ref to a step's key
 * resolves to that step's value; any other ref to `lookup(key)`.
 *
 * Synchronous while every step returns a plain value. When a step returns a promise (an async
 * function), the rest of the chain continues after it settles and a promise of the final
 * value is returned, so an async step behaves as it would unfused: its dependents see the
 * resolved value. A rejection, or a throw from any step, rejects or throws from here.
 */
export function runFused(node: FusedNode, lookup: (key: Key) => unknown, call: CallFn): unknown {
  return runSteps(node, 0, new Map(), lookup, call);
}

function runSteps(
  node: FusedNode,
  from: number,
  done: Map<Key, unknown>,
  lookup: (key: Key) => unknown,
  call: CallFn,
): unknown {
  const get = (key: Key): unknown => (done.has(key) ? done.get(key) : lookup(key));
  let value: unknown;
  for (let i = from; i < node.steps.length; i++) {
    const [key, step] = node.steps[i]!;
    value = call(step.fn, substituteRefs(step.args, get));
    if (isThenable(value)) {
      return Promise.resolve(value).then((settled) => {
        done.set(key, settled);
        return i + 1 < node.steps.length ? runSteps(node, i + 1, done, lookup, call) : settled;
      });
    }
    done.set(key, value);
  }
  return value;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === "object" && v !== null && typeof (v as { then?: unknown }).then === "function"
  );
}
