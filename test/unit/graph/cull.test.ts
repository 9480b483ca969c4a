import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ErrorCodes, GraphError } from "../../../src/errors.js";
import { cull } from "../../../src/graph/cull.js";
import { dependencies } from "../../../src/graph/deps.js";
import { alias, data, ref, task } from "../../../src/graph/spec.js";
import { ancestors, dagArb, graphOf } from "./helpers.js";

const f = (...xs: unknown[]) => xs;

const graph = graphOf([
  ["a", data(1)],
  ["unused", task(f, ref("a"))],
  ["b", task(f, { x: [ref("a")] }, ref("known-elsewhere"))],
  ["c", alias("b")],
  ["d", task(f)],
]);

test("cull keeps the requested keys and their ancestors, in graph order", () => {
  assert.deepEqual([...cull(graph, ["c"]).keys()], ["a", "b", "c"]);
  assert.deepEqual([...cull(graph, ["d", "a"]).keys()], ["a", "d"]);
  assert.deepEqual([...cull(graph, []).keys()], []);
});

test("cull returns the graph itself when everything is needed", () => {
  assert.equal(cull(graph, ["unused", "c", "d"]), graph);
});

test("cull rejects an unknown requested key with GRAPH_MISSING_DEPENDENCY", () => {
  assert.throws(
    () => cull(graph, ["c", "nope"]),
    (e: unknown) =>
      e instanceof GraphError &&
      e.code === ErrorCodes.GRAPH_MISSING_DEPENDENCY &&
      /cannot compute "nope".*add "nope" to the graph/.test(e.message),
  );
});

test("cull walks a 300,000-long chain without recursion", () => {
  const entries: [string, ReturnType<typeof task>][] = [["k0", task(f)]];
  for (let i = 1; i < 300_000; i++) entries.push([`k${i}`, task(f, ref(`k${i - 1}`))]);
  assert.equal(cull(graphOf(entries), ["k299999"]).size, 300_000);
  assert.equal(cull(graphOf(entries), ["k9"]).size, 10);
});

test("property: cull keeps exactly the ancestors of the requested keys", () => {
  fc.assert(
    fc.property(dagArb(), fc.array(fc.nat(), { maxLength: 4 }), (g, picks) => {
      const keys = [...g.keys()];
      const wanted = picks.map((p) => keys[p % keys.length]!);
      const culled = cull(g, wanted);
      const expected = ancestors(dependencies(g), wanted);
      assert.deepEqual(new Set(culled.keys()), expected);
      assert.deepEqual(
        [...culled.keys()],
        keys.filter((k) => expected.has(k)),
      );
      for (const [k, node] of culled) assert.equal(node, g.get(k));
    }),
  );
});
