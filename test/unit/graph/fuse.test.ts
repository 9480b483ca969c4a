import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { dependents } from "../../../src/graph/deps.js";
import { fuseLinear, runFused } from "../../../src/graph/fuse.js";
import { alias, data, type FusedNode, type Graph, ref, task } from "../../../src/graph/spec.js";
import { validateGraph } from "../../../src/graph/validate.js";
import { dagArb, evaluate, graphOf } from "./helpers.js";

const inc = (x: number) => x + 1;
const add = (x: number, y: number) => x + y;
const call = (fn: Function, args: readonly unknown[]) => fn(...args);

function kinds(graph: Graph): string[] {
  return [...graph].map(([k, n]) =>
    n.kind === "fused" ? `${k}=[${n.steps.map(([s]) => s).join(",")}]` : k,
  );
}

test("a linear chain becomes one fused node keyed by its last key", () => {
  const graph = graphOf([
    ["a", task(inc, 0)],
    ["b", task(inc, ref("a"))],
    ["c", task((o: { deep: number[] }) => o.deep[0]! + 1, { deep: [ref("b")] })],
    ["d", task(inc, ref("c"))],
  ]);
  const fused = fuseLinear(graph, new Set(["d"]));
  assert.deepEqual(kinds(fused), ["d=[a,b,c,d]"]);
  validateGraph(fused);
  assert.equal(evaluate(fused).get("d"), 4);
});

test("kept keys are never swallowed, but may end a chain", () => {
  const graph = graphOf([
    ["a", task(inc, 0)],
    ["b", task(inc, ref("a"))],
    ["c", task(inc, ref("b"))],
    ["d", task(inc, ref("c"))],
  ]);
  assert.deepEqual(kinds(fuseLinear(graph, new Set(["b", "d"]))), ["b=[a,b]", "d=[c,d]"]);
});

test("branches, joins, data and alias nodes are not fused", () => {
  const graph = graphOf([
    ["x", data(1)],
    ["y", task(inc, ref("x"))],
    ["fan1", task(inc, ref("y"))],
    ["fan2", task(inc, ref("y"))],
    ["p", task(inc, 0)],
    ["join", task(add, ref("fan1"), ref("p"))],
    ["q", task(inc, 5)],
    ["al", alias("q")],
    ["r", task(inc, ref("al"))],
  ]);
  const fused = fuseLinear(graph, new Set(["join", "fan2", "r"]));
  assert.deepEqual(kinds(fused), ["x", "y", "fan1", "fan2", "p", "join", "q", "al", "r"]);
});

test("a step that also needs a key outside the graph is not fused", () => {
  const graph = graphOf([
    ["a", task(inc, 0)],
    ["b", task(add, ref("a"), ref("outside"))],
  ]);
  assert.deepEqual(kinds(fuseLinear(graph, new Set(["b"]))), ["a", "b"]);
});

test("the first step of a chain keeps its outside dependencies", () => {
  const graph = graphOf([
    ["a", task(add, ref("m"), ref("n"))],
    ["b", task(inc, ref("a"))],
  ]);
  const node = fuseLinear(graph, new Set(["b"])).get("b") as FusedNode;
  const values = new Map([
    ["m", 10],
    ["n", 20],
  ]);
  assert.equal(
    runFused(node, (k) => values.get(k), call),
    31,
  );
});

test("runFused is synchronous for sync steps and continues after async ones", async () => {
  const node: FusedNode = {
    kind: "fused",
    steps: [
      ["a", task(inc, ref("in"))],
      ["b", task(async (x: number) => x * 10, ref("a"))],
      ["c", task(add, ref("b"), ref("a"))],
    ],
  };
  const sync: FusedNode = { kind: "fused", steps: [node.steps[0]!, ["c", task(inc, ref("a"))]] };
  assert.equal(
    runFused(sync, () => 1, call),
    3,
  );
  const result = runFused(node, () => 1, call);
  assert.ok(result instanceof Promise);
  assert.equal(await result, 22);
});

test("runFused lets errors from a step propagate", async () => {
  const boom = () => {
    throw new Error("boom");
  };
  const node: FusedNode = { kind: "fused", steps: [["a", task(boom)]] };
  assert.throws(() => runFused(node, () => 0, call), /boom/);
  const rejects: FusedNode = {
    kind: "fused",
    steps: [
      ["a", task(async () => 1)],
      ["b", task(async () => Promise.reject(new Error("late")))],
    ],
  };
  await assert.rejects(Promise.resolve(runFused(rejects, () => 0, call)), /late/);
});

test("property: fusing then evaluating gives the values of the unfused graph", () => {
  fc.assert(
    fc.property(dagArb(), fc.array(fc.nat(), { maxLength: 3 }), (graph, picks) => {
      const keys = [...graph.keys()];
      const keep = new Set(picks.map((p) => keys[p % keys.length]!));
      const fused = fuseLinear(graph, keep);
      validateGraph(fused);
      const expected = evaluate(graph);
      const actual = evaluate(fused);
      for (const key of keep) assert.equal(actual.get(key), expected.get(key));
      for (const [key, value] of actual) assert.equal(value, expected.get(key));
      // Each key is a node or an inner step, exactly once; kept keys and outputs stay nodes.
      const inner = [...fused.values()].flatMap((n) =>
        n.kind === "fused" ? n.steps.slice(0, -1).map(([s]) => s) : [],
      );
      assert.deepEqual([...fused.keys(), ...inner].sort(), [...keys].sort());
      const users = dependents(graph);
      for (const key of inner) {
        assert.ok(!keep.has(key), `kept ${key} was swallowed`);
        assert.equal(users.get(key)!.length, 1);
      }
    }),
    { numRuns: 300 },
  );
});
