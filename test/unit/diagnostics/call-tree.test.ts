/**
 * The pure profile modules: a V8 profile's nodes and weights become a call tree, trees merge
 * per task group, a tree past its cap keeps its totals, and samples go to the task group whose
 * interval holds their time.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  capTree,
  countNodes,
  emptyTree,
  hoistTasks,
  mergeInto,
  type ProfileNodeLike,
  topFunctions,
  treeFromProfile,
  treeText,
} from "../../../src/diagnostics/call-tree.js";
import {
  attributeSamples,
  groupProfiles,
  TaskIntervals,
} from "../../../src/diagnostics/profile-attribute.js";
import type { CallTree } from "../../../src/protocol/profile.js";

function node(id: number, name: string, children: number[] = [], line = id): ProfileNodeLike {
  return {
    id,
    callFrame: { functionName: name, url: "file:///app/x.js", lineNumber: line - 1 },
    children,
  };
}

/** (root) -> main -> { a -> c, b }, and (root) -> (idle). */
const NODES = [
  node(1, "(root)", [2, 6]),
  node(2, "main", [3, 5]),
  node(3, "a", [4]),
  node(4, "c"),
  node(5, "b"),
  node(6, "(idle)"),
];

function find(t: CallTree, ...path: string[]): CallTree {
  let at = t;
  for (const name of path) {
    const next = at.children.find((c) => c.name === name);
    assert.ok(next, `no ${name} under ${at.name}`);
    at = next;
  }
  return at;
}

test("a profile's weights become a tree with self and total per function", () => {
  const t = treeFromProfile(
    NODES,
    new Map([
      [4, 3],
      [5, 2],
      [2, 1],
    ]),
  );
  assert.equal(t.name, "(root)");
  assert.equal(t.total, 6);
  assert.deepEqual([find(t, "main").self, find(t, "main").total], [1, 6]);
  assert.deepEqual([find(t, "main", "a").self, find(t, "main", "a").total], [0, 3]);
  assert.equal(find(t, "main", "a", "c").self, 3);
  assert.equal(find(t, "main", "a", "c").line, 4);
  assert.equal(find(t, "main", "a", "c").file, "file:///app/x.js");
  assert.equal(t.children.length, 1, "(idle), with no time, is left out");
});

test("merging adds the same path's time and keeps paths only one side has", () => {
  const a = treeFromProfile(NODES, new Map([[4, 3]]));
  const b = treeFromProfile(
    NODES,
    new Map([
      [4, 1],
      [5, 2],
    ]),
  );
  const m = mergeInto(emptyTree(), a);
  mergeInto(m, b);
  assert.equal(m.total, 6);
  assert.equal(find(m, "main", "a", "c").self, 4);
  assert.equal(find(m, "main", "b").self, 2);
  assert.equal(find(m, "main").children.length, 2);
  assert.equal(find(a, "main", "a", "c").self, 3, "the source tree is not changed");
});

test("a capped tree keeps its totals and folds small branches into (other)", () => {
  const wide: CallTree = emptyTree();
  for (let i = 0; i < 200; i++) {
    const ms = i + 1;
    wide.children.push({ name: `f${i}`, file: "x.js", line: i, self: ms, total: ms, children: [] });
    wide.total += ms;
  }
  const capped = capTree(wide, 50);
  assert.ok(countNodes(capped) <= 50, `${countNodes(capped)} nodes`);
  assert.equal(capped.total, wide.total);
  const sum = capped.children.reduce((a, c) => a + c.total, 0);
  assert.equal(sum, wide.total, "children still add up to the root");
  const other = capped.children.find((c) => c.name === "(other)");
  assert.ok(other && other.total > 0);
  assert.ok(
    capped.children.some((c) => c.name === "f199"),
    "the largest stays",
  );
});

test("top functions rank by self time and count recursion once", () => {
  const rec: CallTree = {
    name: "(root)",
    file: "",
    line: 0,
    self: 0,
    total: 10,
    children: [
      {
        name: "fib",
        file: "f.js",
        line: 1,
        self: 2,
        total: 10,
        children: [{ name: "fib", file: "f.js", line: 1, self: 8, total: 8, children: [] }],
      },
    ],
  };
  const top = topFunctions(rec);
  assert.equal(top.length, 1);
  assert.deepEqual([top[0]!.name, top[0]!.self, top[0]!.total], ["fib", 10, 10]);
  assert.match(treeText(rec), /fib \(f\.js:1\)/);
});

test("samples go to the task group whose interval holds their time", () => {
  // Profile clock in µs starting at 1_000_000 (= 1000 ms); offset 1000 ms: intervals start at 0.
  const profile = {
    nodes: NODES,
    startTime: 1_000_000,
    endTime: 1_010_000,
    // Samples at 1, 2, ..., 9 ms: node 4 (c) during the first task, 5 (b) during the second.
    samples: [4, 4, 4, 6, 5, 5, 5, 6, 4],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
  };
  const iv = new TaskIntervals();
  iv.record("inc", 0.5, 3.5);
  iv.record("dec", 4.5, 7.5);
  const by = attributeSamples(profile, iv, 1000);
  assert.deepEqual([...by.keys()], ["inc", "dec"]);
  assert.deepEqual([...by.get("inc")!.weights], [[4, 3]]);
  assert.equal(by.get("inc")!.samples, 3);
  assert.deepEqual([...by.get("dec")!.weights], [[5, 3]]);
  const groups = groupProfiles(profile, iv, 1000, 100);
  const inc = groups.find((g) => g.group === "inc")!;
  assert.equal(find(inc.tree, "main", "a", "c").self, 3);
  assert.equal(inc.tree.total, 3, "the sample at 9 ms, outside every task, counts nowhere");
});

test("intervals hand over and start empty", () => {
  const iv = new TaskIntervals();
  iv.record("g", 1, 2);
  const taken = iv.take();
  assert.equal(taken.length, 1);
  assert.equal(iv.length, 0);
});

test("hoisting re-roots each path at the first frame below the runner", () => {
  const leaf = (name: string, ms: number): CallTree => ({
    name,
    file: "file:///app/t.js",
    line: 1,
    self: ms,
    total: ms,
    children: [],
  });
  const at = (name: string, file: string, kids: CallTree[], self = 0): CallTree => ({
    name,
    file,
    line: 1,
    self,
    total: self + kids.reduce((a, k) => a + k.total, 0),
    children: kids,
  });
  const EXEC = "file:///x/worker/executor.js";
  const tree: CallTree = {
    ...emptyTree(),
    total: 13,
    children: [
      at(
        "#pump",
        "file:///x/worker/shell.js",
        [
          at("runSpec", EXEC, [at("call", EXEC, [leaf("work", 6)], 1)]),
          at("runSpec", EXEC, [at("call", EXEC, [leaf("work", 3)])]),
        ],
        1,
      ),
      leaf("(garbage collector)", 2),
    ],
  };
  const h = hoistTasks(tree, (t) => t.file === EXEC, "(barn worker)");
  assert.equal(h.total, 13);
  assert.deepEqual(
    h.children.map((c) => [c.name, c.total]),
    [
      ["work", 9],
      ["(garbage collector)", 2],
      ["(barn worker)", 2],
    ],
  );
});
