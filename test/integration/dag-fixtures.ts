/**
 * Random task graphs and their plain-JS oracle, shared by the graph tests on every scheduler
 * (sync, threads, processes, remote clusters).
 */
import fc from "fast-check";
import { data, type Graph, type GraphNode, ref, task } from "../../src/index.js";

/** Each node: (seed, ...inputs) -> number, the same function everywhere. */
export const mix = (seed: number, ...xs: number[]) =>
  (xs.reduce((a, b) => (a * 31 + b) % 1_000_003, seed) * 7 + 1) % 1_000_003;

export interface Dag {
  readonly n: number;
  readonly deps: number[][];
  readonly dataNodes: ReadonlySet<number>;
}

/** A random DAG: node i may depend on any of nodes < i. */
export const dagArb = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    deps: fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        i === 0
          ? fc.constant([] as number[])
          : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(i, 4) }),
      ),
    ),
    dataNodes: fc
      .uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: 3 })
      .map((a) => new Set(a)),
  }),
);

export function toGraph(d: Dag): Graph {
  const g = new Map<string, GraphNode>();
  for (let i = 0; i < d.n; i++) {
    const deps = d.deps[i]!;
    if (d.dataNodes.has(i) && deps.length === 0) g.set(`n${i}`, data(i * 1000 + 1));
    else g.set(`n${i}`, task(mix, i, ...deps.map((j) => ref(`n${j}`))));
  }
  return g;
}

export function oracle(d: Dag): number[] {
  const v: number[] = [];
  for (let i = 0; i < d.n; i++) {
    const deps = d.deps[i]!;
    v.push(
      d.dataNodes.has(i) && deps.length === 0 ? i * 1000 + 1 : mix(i, ...deps.map((j) => v[j]!)),
    );
  }
  return v;
}
