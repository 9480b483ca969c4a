import assert from "node:assert/strict";
import { test } from "node:test";
import { dependencies, dependents, nodeDependencies } from "../../../src/graph/deps.js";
import { alias, data, type FusedNode, ref, task } from "../../../src/graph/spec.js";
import { graphOf } from "./helpers.js";

const f = (...xs: unknown[]) => xs;

test("nodeDependencies for each node kind", () => {
  assert.deepEqual(nodeDependencies(task(f, ref("a"), { b: [ref("b"), ref("a")] })), ["a", "b"]);
  assert.deepEqual(nodeDependencies(alias("t")), ["t"]);
  assert.deepEqual(nodeDependencies(data(ref("not-a-dep"))), []);
});

test("a fused node depends on refs outside its chain only", () => {
  const node: FusedNode = {
    kind: "fused",
    steps: [
      ["s1", task(f, ref("x"))],
      ["s2", task(f, ref("s1"), ref("y"))],
      ["s3", task(f, ref("s2"), ref("x"))],
    ],
  };
  assert.deepEqual(nodeDependencies(node), ["x", "y"]);
});

test("dependencies and dependents, in graph order; outside keys only in dependencies", () => {
  const graph = graphOf([
    ["a", data(1)],
    ["b", task(f, ref("a"), ref("outside"))],
    ["c", task(f, ref("b"), ref("a"))],
    ["d", alias("c")],
  ]);
  assert.deepEqual(
    [...dependencies(graph)],
    [
      ["a", []],
      ["b", ["a", "outside"]],
      ["c", ["b", "a"]],
      ["d", ["c"]],
    ],
  );
  assert.deepEqual(
    [...dependents(graph)],
    [
      ["a", ["b", "c"]],
      ["b", ["c"]],
      ["c", ["d"]],
      ["d", []],
    ],
  );
});
