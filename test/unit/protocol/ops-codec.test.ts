import assert from "node:assert/strict";
import { test } from "node:test";
import {
  joinKeys,
  packCompute,
  splitKeys,
  type UnpackedTask,
  unpackCompute,
} from "../../../src/protocol/ops-codec.js";
import type { ComputeTask } from "../../../src/scheduler/protocol.js";

function op(key: string, run: unknown, extra: Partial<ComputeTask> = {}): ComputeTask {
  return {
    type: "compute-task",
    worker: "w",
    key,
    run,
    deps: [],
    priority: [0, 1, 2],
    stimulusId: "s",
    runId: 7,
    ...extra,
  };
}

function roundTrip(ops: ComputeTask[]): UnpackedTask[] {
  const packed = structuredClone(packCompute(ops));
  const out: UnpackedTask[] = [];
  unpackCompute(packed, (t) => out.push(t));
  return out;
}

test("single-argument calls round-trip through a packed batch", () => {
  const ops = [op("a", { f: "fn1", a: [1] }), op("b", { f: "fn1", a: [{ x: 2 }] }, { runId: 9 })];
  const out = roundTrip(ops);
  assert.deepEqual(
    out.map((t) => [t.key, t.run, t.priority, t.runId]),
    [
      ["a", { f: "fn1", a: [1] }, [0, 1, 2], 7],
      ["b", { f: "fn1", a: [{ x: 2 }] }, [0, 1, 2], 9],
    ],
  );
});

test("mixed specs, deps, refs and resources keep their places", () => {
  const ops = [
    op("c", { f: "fnA", a: [1, 2] }),
    op(
      "d",
      { f: "fnB", a: [null], r: [[[0], "c"]] },
      {
        deps: [{ key: "c", holders: ["w1", "w2"] }],
        resources: { GPU: 1 },
        priority: [-5, 2, 3],
      },
    ),
    op("e", { d: 42 }),
    op("f", { alias: "d" }, { deps: [{ key: "d", holders: [] }] }),
  ];
  const out = roundTrip(ops);
  assert.deepEqual(out[0]!.run, { f: "fnA", a: [1, 2], r: undefined });
  assert.deepEqual(out[1]!.run, { f: "fnB", a: [null], r: [[[0], "c"]] });
  assert.deepEqual(out[1]!.deps, [{ key: "c", holders: ["w1", "w2"] }]);
  assert.deepEqual(out[1]!.resources, { GPU: 1 });
  assert.deepEqual(out[1]!.priority, [-5, 2, 3]);
  assert.deepEqual(out[2]!.run, { d: 42 });
  assert.equal(out[2]!.resources, undefined);
  assert.deepEqual(out[3]!.run, { alias: "d" });
  assert.deepEqual(out[3]!.deps, [{ key: "d", holders: [] }]);
});

test("top-level refs, refs nested in arguments and holder lists survive", () => {
  const ops = [
    op(
      "t1",
      {
        f: "add",
        a: [null, 5, null],
        r: [
          [[0], "x"],
          [[2], "y"],
        ],
      },
      {
        deps: [
          { key: "y", holders: ["w2"] },
          { key: "x", holders: ["w1", "w2"] },
        ],
      },
    ),
    op(
      "t2",
      { f: "add", a: [{ inner: [null] }], r: [[["0", "inner", 0], "x"]] },
      {
        deps: [{ key: "x", holders: ["w1"] }],
      },
    ),
    op("t3", { f: "add", a: [7] }),
  ];
  const out = roundTrip(ops);
  assert.deepEqual(out[0]!.run, {
    f: "add",
    a: [null, 5, null],
    r: [
      [[0], "x"],
      [[2], "y"],
    ],
  });
  assert.deepEqual(out[0]!.deps, [
    { key: "y", holders: ["w2"] },
    { key: "x", holders: ["w1", "w2"] },
  ]);
  assert.deepEqual(out[1]!.run, {
    f: "add",
    a: [{ inner: [null] }],
    r: [[["0", "inner", 0], "x"]],
  });
  assert.deepEqual(out[2]!.run, { f: "add", a: [7], r: undefined });
  assert.deepEqual(out[2]!.deps, []);
});

test("keys join and split, including the empty list", () => {
  assert.deepEqual(splitKeys(joinKeys(["x", "y-1", ""])), ["x", "y-1", ""]);
  assert.deepEqual(splitKeys(joinKeys([])), []);
});
