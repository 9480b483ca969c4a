import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ErrorCodes, GraphError } from "../../../src/errors.js";
import { dependencies } from "../../../src/graph/deps.js";
import {
  alias,
  data,
  type Graph,
  type GraphNode,
  type Key,
  ref,
  task,
} from "../../../src/graph/spec.js";
import { graphFromEntries, validateGraph } from "../../../src/graph/validate.js";
import { ancestors, dagArb, graphOf } from "./helpers.js";

const f = (...xs: unknown[]) => xs;

/** Asserts that `run` throws a GraphError with `code` whose message matches every pattern. */
function throwsGraph(run: () => unknown, code: string, ...patterns: RegExp[]): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof GraphError, `expected a GraphError, got ${e}`);
    assert.equal(e.code, code);
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

const bad = (entries: [unknown, unknown][]) => new Map(entries) as unknown as Graph;

test("a well-formed graph passes", () => {
  validateGraph(
    graphOf([
      ["a", data(1)],
      ["b", task(f, ref("a"))],
      ["c", alias("b")],
    ]),
  );
  validateGraph(new Map());
});

test("GRAPH_INVALID: empty or non-string keys and wrong node shapes", () => {
  throwsGraph(() => validateGraph(bad([["", data(1)]])), ErrorCodes.GRAPH_INVALID, /empty string/);
  throwsGraph(() => validateGraph(bad([[7, data(1)]])), ErrorCodes.GRAPH_INVALID, /got number/);
  throwsGraph(() => validateGraph(bad([["a", null]])), ErrorCodes.GRAPH_INVALID, /"a"/, /null/);
  throwsGraph(
    () => validateGraph(bad([["a", { kind: "tsak" }]])),
    ErrorCodes.GRAPH_INVALID,
    /"a".*kind "tsak".*task\(fn, \.\.\.args\)/,
  );
  throwsGraph(
    () => validateGraph(bad([["a", { kind: "task", fn: f, args: 3 }]])),
    ErrorCodes.GRAPH_INVALID,
    /"a": args must be an array/,
  );
  throwsGraph(() => validateGraph(bad([["a", alias("")]])), ErrorCodes.GRAPH_INVALID, /alias "a"/);
});

test("GRAPH_NOT_A_FUNCTION names the key and the type received", () => {
  throwsGraph(
    () => validateGraph(bad([["inc-1", { kind: "task", fn: 42, args: [] }]])),
    ErrorCodes.GRAPH_NOT_A_FUNCTION,
    /"inc-1"/,
    /got number/,
    /pass the function itself/,
  );
  throwsGraph(
    () => validateGraph(bad([["x", { kind: "task", fn: new Date(), args: [] }]])),
    ErrorCodes.GRAPH_NOT_A_FUNCTION,
    /got Date/,
  );
});

test("GRAPH_MISSING_DEPENDENCY names the task, the missing key and the fix", () => {
  const graph = new Map([["b", task(f, [ref("a")])]]);
  throwsGraph(
    () => validateGraph(graph),
    ErrorCodes.GRAPH_MISSING_DEPENDENCY,
    /"b" depends on "a"/,
    /add "a" to the graph or submit it first/,
  );
  validateGraph(graph, (k) => k === "a");
  throwsGraph(
    () => validateGraph(new Map([["b", alias("zz")]])),
    ErrorCodes.GRAPH_MISSING_DEPENDENCY,
    /"zz"/,
  );
});

test("GRAPH_CYCLE names the keys of one cycle in order, and the fix", () => {
  const graph = new Map<Key, GraphNode>([
    ["start", data(0)],
    ["a", task(f, ref("start"), ref("b"))],
    ["b", task(f, ref("c"))],
    ["c", task(f, { deep: [ref("a")] })],
    ["after", task(f, ref("c"))],
  ]);
  throwsGraph(() => validateGraph(graph), ErrorCodes.GRAPH_CYCLE, /a -> b -> c -> a/, /remove one/);
  throwsGraph(() => validateGraph(new Map([["s", alias("s")]])), ErrorCodes.GRAPH_CYCLE, /s -> s/);
});

test("fused nodes: last step must be the key; step keys must not collide", () => {
  const steps = (k1: string, k2: string) => ({
    kind: "fused" as const,
    steps: [
      [k1, task(f)],
      [k2, task(f, ref(k1))],
    ] as const,
  });
  validateGraph(new Map([["y", steps("x", "y")]]));
  throwsGraph(
    () => validateGraph(new Map([["z", steps("x", "y")]])),
    ErrorCodes.GRAPH_INVALID,
    /"z" ends with step "y"/,
  );
  throwsGraph(
    () =>
      validateGraph(
        new Map<Key, GraphNode>([
          ["x", data(1)],
          ["y", steps("x", "y")],
        ]),
      ),
    ErrorCodes.GRAPH_DUPLICATE_KEY,
    /"x"/,
  );
});

test("graphFromEntries keeps order and rejects duplicate keys by name", () => {
  const g = graphFromEntries([
    ["b", data(1)],
    ["a", data(2)],
  ]);
  assert.deepEqual([...g.keys()], ["b", "a"]);
  throwsGraph(
    () =>
      graphFromEntries([
        ["a", data(1)],
        ["b", data(1)],
        ["a", data(2)],
      ]),
    ErrorCodes.GRAPH_DUPLICATE_KEY,
    /key "a" is used twice/,
  );
});

test("a chain of 200,000 tasks validates without overflowing the stack", () => {
  const graph = new Map<Key, GraphNode>([["k0", data(0)]]);
  for (let i = 1; i < 200_000; i++) graph.set(`k${i}`, task(f, ref(`k${i - 1}`)));
  validateGraph(graph);
  graph.set("k0", task(f, ref("k199999")));
  throwsGraph(
    () => validateGraph(graph),
    ErrorCodes.GRAPH_CYCLE,
    /^the graph has a cycle: k0 -> k199999 -> /,
  );
});

test("property: random DAGs pass; adding a back edge yields a cycle that really is one", () => {
  fc.assert(
    fc.property(dagArb(), fc.nat(), fc.nat(), (graph, x, y) => {
      validateGraph(graph);
      const keys = [...graph.keys()].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      const lo = keys[Math.min(x, y) % keys.length]!;
      const hi = keys[Math.max(x, y) % keys.length]!;
      const cyclic = new Map(graph).set(lo, task(f, ref(hi)));
      const isCyclic = ancestors(dependencies(cyclic), [hi]).has(lo);
      try {
        validateGraph(cyclic);
        assert.ok(!isCyclic, "a cycle went unnoticed");
      } catch (e) {
        assert.ok(isCyclic);
        assert.ok(e instanceof GraphError && e.code === ErrorCodes.GRAPH_CYCLE);
        const cycle = e.message.split(": ")[1]!.split(" (")[0]!.split(" -> ");
        assert.equal(cycle[0], cycle[cycle.length - 1]);
        const deps = dependencies(cyclic);
        for (let i = 0; i + 1 < cycle.length; i++) {
          assert.ok(
            deps.get(cycle[i]!)!.includes(cycle[i + 1]!),
            `${cycle[i]} needs ${cycle[i + 1]}`,
          );
        }
      }
    }),
  );
});
