import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { ErrorCodes } from "../../../src/errors.js";
import {
  collectRefs,
  decodeArgs,
  encodeArgs,
  mapRefs,
  replaceLeaves,
  substituteRefs,
} from "../../../src/graph/refs.js";
import { ref, TaskRef } from "../../../src/graph/spec.js";

const upper = (k: string) => k.toUpperCase();

test("collectRefs: primitives give the same shared empty result (no allocation)", () => {
  const a = collectRefs([1, "x", null, undefined, true, 2n]);
  assert.deepEqual(a, []);
  assert.equal(a, collectRefs([]));
  assert.ok(Object.isFrozen(a));
});

test("collectRefs: nested in arrays, plain and null-prototype objects, unique, first-appearance order", () => {
  const bare = Object.assign(Object.create(null), { z: ref("c") });
  const args = [ref("b"), [1, { x: ref("a"), y: [ref("b")] }], bare, ref("a")];
  assert.deepEqual(collectRefs(args), ["b", "a", "c"]);
});

test("collectRefs: typed arrays, Map, Set, Date and class instances are leaves", () => {
  class Box {
    inner = ref("hidden");
  }
  const args = [
    new Map([["k", ref("m")]]),
    new Set([ref("s")]),
    new Box(),
    new Date(0),
    new Uint8Array(3),
  ];
  assert.deepEqual(collectRefs(args), []);
});

test("collectRefs: many refs stay unique", () => {
  const args = Array.from({ length: 200 }, (_, i) => ref(`k${i % 50}`));
  assert.deepEqual(
    collectRefs(args),
    Array.from({ length: 50 }, (_, i) => `k${i}`),
  );
});

test("a container that contains itself is rejected with GRAPH_INVALID, not a hang", () => {
  const loop: unknown[] = [ref("a")];
  loop.push(loop);
  for (const walk of [() => collectRefs([loop]), () => substituteRefs([loop], upper)]) {
    assert.throws(walk, (e: Error & { code?: string }) => {
      assert.equal(e.code, ErrorCodes.GRAPH_INVALID);
      assert.match(e.message, /contains itself/);
      return true;
    });
  }
});

test("substituteRefs: replaces refs, reuses ref-free containers, never mutates", () => {
  const untouched = { n: [1, 2, 3] };
  const inner = [ref("a"), 2];
  const args = [untouched, { inner }, ref("b"), 7];
  const out = substituteRefs(args, upper);
  assert.deepEqual(out, [untouched, { inner: ["A", 2] }, "B", 7]);
  assert.equal(out[0], untouched);
  assert.deepEqual(inner, [ref("a"), 2]);
  const plain = [1, [2, { x: 3 }]];
  assert.equal(substituteRefs(plain, upper), plain);
});

test("substituteRefs keeps null prototypes and leaves class instances alone", () => {
  const bare = Object.assign(Object.create(null), { r: ref("x") });
  const date = new Date(5);
  const [out, d] = substituteRefs([bare, date], upper) as [object, Date];
  assert.equal(Object.getPrototypeOf(out), null);
  assert.equal((out as { r: string }).r, "X");
  assert.equal(d, date);
});

test("mapRefs gives the path of each ref; replaceLeaves swaps any leaf kind", () => {
  const paths: unknown[] = [];
  mapRefs([1, { a: [0, ref("k")] }], (r, p) => paths.push([...p, r.key]));
  assert.deepEqual(paths, [[1, "a", 1, "k"]]);
  class Future {
    constructor(readonly key: string) {}
  }
  const out = replaceLeaves(
    [new Future("f"), { g: new Future("g") }],
    (v) => v instanceof Future,
    (f) => ref((f as Future).key),
  );
  assert.deepEqual(collectRefs(out), ["f", "g"]);
});

test("encodeArgs: without refs the args are reused and `refs` is absent", () => {
  const args = [1, { a: [2] }];
  const enc = encodeArgs(args);
  assert.equal(enc.args, args);
  assert.equal("refs" in enc, false);
  assert.equal(decodeArgs(enc, upper), args);
});

test("encodeArgs: refs become null with their paths; decode fills them without mutating", () => {
  const enc = encodeArgs([ref("a"), { x: [1, ref("b")] }, "s"]);
  assert.deepEqual(enc.args, [null, { x: [1, null] }, "s"]);
  assert.deepEqual(enc.refs, [
    [[0], "a"],
    [[1, "x", 1], "b"],
  ]);
  const wire = structuredClone(enc);
  assert.deepEqual(decodeArgs(wire, upper), ["A", { x: [1, "B"] }, "s"]);
  assert.deepEqual(
    decodeArgs(wire, (k) => k + k),
    ["aa", { x: [1, "bb"] }, "s"],
  );
  assert.deepEqual(wire.args, [null, { x: [1, null] }, "s"]);
});

test("decodeArgs: a container shared by two paths is filled at both", () => {
  const shared = { r: ref("k") };
  const out = decodeArgs(encodeArgs([shared, shared]), () => 9);
  assert.deepEqual(out, [{ r: 9 }, { r: 9 }]);
});

/** Random argument trees with refs among primitives, inside arrays and plain objects. */
const argTree = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean()),
    fc.constantFrom("a", "b", "c", "d").map(ref),
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom("p", "q", "r", "__proto__"), tie("node"), { maxKeys: 3 }),
  ),
}));

function countRefs(v: unknown): number {
  if (v instanceof TaskRef) return 1;
  if (typeof v !== "object" || v === null) return 0;
  return Object.values(v).reduce((n: number, x) => n + countRefs(x), 0);
}

test("property: decode(structuredClone(encode(args))) equals substituteRefs(args)", () => {
  fc.assert(
    fc.property(fc.array(argTree.node, { maxLength: 5 }), (args) => {
      const enc = encodeArgs(args);
      assert.equal(collectRefs(enc.args).length, 0);
      assert.equal(enc.refs?.length ?? 0, countRefs(args));
      const expected = substituteRefs(args, upper);
      assert.equal(collectRefs(expected).length, 0);
      // Structured clone drops null prototypes, so compare both after one.
      const decoded = decodeArgs(structuredClone(enc), upper);
      assert.deepEqual(structuredClone(decoded), structuredClone(expected));
    }),
  );
});

test("TaskRef instances are plain values with a key", () => {
  assert.ok(ref("x") instanceof TaskRef);
  assert.equal(ref("x").key, "x");
});
