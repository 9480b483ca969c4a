/**
 * The graph view's layout, pure: live tasks placed in layers by topological depth (a task sits
 * one layer right of its deepest dependency), ordered inside a layer by the mean row of their
 * dependencies (the barycenter heuristic: fewer crossing edges), then group and key, so the
 * page only draws. Dependencies no longer live (released results) do not count.
 */
import type { GraphTask } from "../scheduler/state.js";

export interface GraphNodeView {
  readonly key: string;
  readonly group: string;
  readonly state: string;
  /** Column: 0 for tasks with no live dependency. */
  readonly layer: number;
  /** Row inside its column. */
  readonly row: number;
}

export interface GraphView {
  readonly nodes: GraphNodeView[];
  /** Pairs of node indices: dependency, dependent. */
  readonly edges: [number, number][];
  readonly layers: number;
  /** Most nodes in one layer. */
  readonly rows: number;
}

export function layoutGraph(tasks: readonly GraphTask[]): GraphView {
  const index = new Map<string, number>();
  for (let i = 0; i < tasks.length; i++) index.set(tasks[i]!.key, i);
  const depth = new Int32Array(tasks.length).fill(-1);
  // Iterative depth-first search: a long chain must not overflow the stack.
  for (let start = 0; start < tasks.length; start++) {
    if (depth[start] !== -1) continue;
    const stack = [start];
    while (stack.length > 0) {
      const i = stack[stack.length - 1]!;
      let ready = true;
      let d = 0;
      for (const dep of tasks[i]!.deps) {
        const j = index.get(dep);
        if (j === undefined) continue;
        if (depth[j] === -1) {
          ready = false;
          stack.push(j);
        } else d = Math.max(d, depth[j]! + 1);
      }
      if (ready) {
        depth[i] = d;
        stack.pop();
      }
    }
  }
  const byLayer: number[][] = [];
  for (let i = 0; i < tasks.length; i++) (byLayer[depth[i]!] ??= []).push(i);
  const row = new Int32Array(tasks.length);
  let rows = 0;
  const weight = new Float64Array(tasks.length);
  for (const layer of byLayer) {
    if (layer === undefined) continue;
    for (const i of layer) weight[i] = meanDepRow(tasks[i]!, index, row);
    layer.sort((a, b) => {
      const ta = tasks[a]!;
      const tb = tasks[b]!;
      if (weight[a] !== weight[b]) return weight[a]! - weight[b]!;
      return ta.group < tb.group ? -1 : ta.group > tb.group ? 1 : ta.key < tb.key ? -1 : 1;
    });
    layer.forEach((i, r) => {
      row[i] = r;
    });
    rows = Math.max(rows, layer.length);
  }
  const nodes = tasks.map((t, i) => ({
    key: t.key,
    group: t.group,
    state: t.state,
    layer: depth[i]!,
    row: row[i]!,
  }));
  const edges: [number, number][] = [];
  tasks.forEach((t, i) => {
    for (const dep of t.deps) {
      const j = index.get(dep);
      if (j !== undefined) edges.push([j, i]);
    }
  });
  return { nodes, edges, layers: byLayer.length, rows };
}

/** The mean row of a task's live dependencies (already placed: they sit in earlier layers). */
function meanDepRow(t: GraphTask, index: ReadonlyMap<string, number>, row: Int32Array): number {
  let sum = 0;
  let n = 0;
  for (const dep of t.deps) {
    const j = index.get(dep);
    if (j === undefined) continue;
    sum += row[j]!;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}
