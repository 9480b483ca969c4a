/** The graph view's layout: layers by topological depth, rows by group then key, edges by index. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { layoutGraph } from "../../../src/dashboard/graph-layout.js";

test("tasks sit one layer right of their deepest live dependency", () => {
  const g = layoutGraph([
    { key: "sum", group: "sum", state: "waiting", deps: ["b-1", "a-1", "gone"] },
    { key: "a-1", group: "a", state: "memory", deps: [] },
    { key: "b-1", group: "b", state: "processing", deps: ["a-2"] },
    { key: "a-2", group: "a", state: "memory", deps: [] },
  ]);
  const at = Object.fromEntries(g.nodes.map((n) => [n.key, [n.layer, n.row]]));
  assert.deepEqual(at, { "a-1": [0, 0], "a-2": [0, 1], "b-1": [1, 0], sum: [2, 0] });
  assert.equal(g.layers, 3);
  assert.equal(g.rows, 2);
  assert.equal(g.edges.length, 3, "the released dependency has no edge");
  for (const [from, to] of g.edges) assert.ok(g.nodes[from]!.layer < g.nodes[to]!.layer);
});

test("a long chain lays out without deep recursion", () => {
  const tasks = Array.from({ length: 20_000 }, (_, i) => ({
    key: `t-${i}`,
    group: "t",
    state: "waiting",
    deps: i === 0 ? [] : [`t-${i - 1}`],
  }));
  const g = layoutGraph(tasks.reverse() as never);
  assert.equal(g.layers, 20_000);
  assert.equal(g.rows, 1);
});
