/**
 * barn/array's plans and graphs without running anything: fusion (task counts), chunk grids,
 * dtype promotion, and bad input with stable codes that name the shapes.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ba from "../../../src/array.js";
import { usePairing } from "../../../src/collections/array/lower-reduce.js";
import { graphOf } from "../../../src/collections/array/run.js";
import * as bf from "../../../src/frame.js";

function tasks(a: ba.Array | ba.Scalar): string[] {
  return [...graphOf(a.plan).graph.keys()].filter((k) => !k.includes("-spec-"));
}

const named = (keys: string[], part: string) =>
  keys.filter((k) => new RegExp(`^array-${part}-[0-9a-f]{6}`).test(k)).length;

describe("array fusion", () => {
  test("(a + b) * c is one map task per chunk over the three inputs", () => {
    const data = new Float64Array(100);
    const a = ba.fromArray(data, [10, 10], { chunks: [5, 5] });
    const b = ba.fromArray(data, [10, 10], { chunks: [5, 5] });
    const c = ba.fromArray(data, [10, 10], { chunks: [5, 5] });
    const keys = tasks(a.add(b).mul(c));
    assert.equal(named(keys, "map"), 4);
    assert.equal(named(keys, "from-array"), 12);
    assert.equal(keys.length, 16);
  });

  test("x.add(x.T).mean({ axis: 0 }).sum(): blocks (i, j) and (j, i) share a partial task, random chunks made inside it", () => {
    const x = ba.random.random([20, 20], { chunks: [5, 5], seed: 1 });
    const keys = tasks(x.add(x.T).mean({ axis: 0 }).sum());
    assert.equal(named(keys, "map"), 0, "x + x.T is never a task of its own");
    assert.equal(named(keys, "random"), 0, "random chunks are generated inside the partial tasks");
    assert.equal(named(keys, "mean-partial"), 4, "one per diagonal block");
    assert.equal(named(keys, "mean-partial-pair"), 6, "one per pair of mirror blocks");
    assert.equal(named(keys, "mean"), 4);
  });

  test("pairing halves the partial tasks off the diagonal, for any expression of X and X.T", () => {
    const x = ba.random.random([40, 40], { chunks: [10, 10], seed: 1 });
    const y = ba.fromArray(new Float32Array(36), [6, 6], {
      chunks: [
        [2, 1, 3],
        [2, 1, 3],
      ],
    });
    const cases: [string, ba.Array | ba.Scalar, number][] = [
      ["x.sub(x.T).abs().sum(0)", x.sub(x.T).abs().sum({ axis: 0 }), 4],
      ["x.mul(x.T).add(1).var()", x.mul(x.T).add(1).var(), 4],
      ["x.T.add(x).nanstd(0)", x.T.add(x).nanstd({ axis: 0 }), 4],
      ["irregular float32 y.add(y.T).nanmean(0)", y.add(y.T).nanmean({ axis: 0 }), 3],
    ];
    for (const [what, r, grid] of cases) {
      const paired = tasks(r);
      usePairing(false);
      let single: string[];
      try {
        single = tasks(r);
      } finally {
        usePairing(true);
      }
      const count = (keys: string[]) => keys.filter((k) => /-partial(-pair)?-/.test(k)).length;
      assert.equal(count(single), grid * grid, `${what}: one partial per block unpaired`);
      assert.equal(count(paired), grid + (grid * (grid - 1)) / 2, `${what}: paired`);
      assert.equal(
        paired.filter((k) => k.includes("-partial-pair-")).length,
        (grid * (grid - 1)) / 2,
        what,
      );
    }
  });

  test("no pairing where blocks (i, j) and (j, i) do not read the same two chunks", () => {
    const x = ba.random.random([20, 20], { chunks: [5, 5], seed: 1 });
    const v = ba.random.random([20], { chunks: 5, seed: 2 });
    const uneven = ba.random.random([20, 20], {
      chunks: [
        [5, 15],
        [10, 10],
      ],
      seed: 1,
    });
    const oblong = ba.random.random([20, 10], { chunks: [5, 5], seed: 1 });
    const ints = ba.random.integers(0, 9, [20, 20], { chunks: [5, 5], seed: 1, dtype: "int32" });
    const cases: [string, ba.Array | ba.Scalar][] = [
      ["cut unequally along the two dimensions", uneven.add(uneven.T).mean({ axis: 0 })],
      ["not square", oblong.matmul(oblong.T).mean({ axis: 0 })],
      ["X only", x.mul(2).mean({ axis: 0 })],
      ["another operand beside X and X.T", x.add(x.T).add(v).mean({ axis: 0 })],
      ["along axis 1 only", x.add(x.T).mean({ axis: 1 })],
      ["a reduction the tiles do not do (max)", x.add(x.T).max({ axis: 0 })],
      ["an integer sum (exact, not plain)", ints.add(ints.T).sum({ axis: 0 })],
    ];
    for (const [what, r] of cases)
      assert.equal(tasks(r).filter((k) => k.includes("-partial-pair-")).length, 0, what);
  });

  test("a materialised source read twice (x and x.T) is one task per chunk", () => {
    const x = ba.fromArray(new Float64Array(16), [4, 4], { chunks: [2, 2] });
    const keys = tasks(x.add(x.T));
    assert.equal(named(keys, "from-array"), 4);
    assert.equal(named(keys, "map"), 4);
  });

  test("a tree reduction with splitEvery", () => {
    const x = ba.ones([64], { chunks: 1 });
    const keys = tasks(x.sum({ splitEvery: 4 }));
    assert.equal(named(keys, "sum-partial"), 64);
    assert.equal(named(keys, "sum-combine"), 16 + 4);
    assert.equal(named(keys, "sum"), 1);
  });
});

describe("array properties and grids", () => {
  test("shape, chunks, dtype, ndim, size, nbytes, numblocks", () => {
    const x = ba.zeros([10, 7], { chunks: [4, [3, 4]], dtype: "int16" });
    assert.deepEqual(x.shape, [10, 7]);
    assert.deepEqual(x.chunks, [
      [4, 4, 2],
      [3, 4],
    ]);
    assert.equal(x.dtype, "int16");
    assert.equal(x.ndim, 2);
    assert.equal(x.size, 70);
    assert.equal(x.nbytes, 140);
    assert.deepEqual(x.numblocks, [3, 2]);
  });

  test('"auto" chunks stay near the target size', () => {
    const x = ba.zeros([100_000, 1000]);
    const bytes = x.chunks.reduce((a, c) => a * c[0]!, 8);
    assert.ok(bytes <= ba.AUTO_CHUNK_BYTES && bytes > ba.AUTO_CHUNK_BYTES / 4, String(bytes));
    assert.deepEqual(ba.zeros([10, 10]).chunks, [[10], [10]]);
  });

  test("NumPy's promotion rules", () => {
    const a = (d: ba.DType) => ba.zeros([2], { dtype: d });
    assert.equal(a("int8").add(a("uint8")).dtype, "int16");
    assert.equal(a("int32").add(a("float32")).dtype, "float64");
    assert.equal(a("int16").add(a("float32")).dtype, "float32");
    assert.equal(a("uint32").add(a("int32")).dtype, "int64");
    assert.equal(a("int64").add(a("float64")).dtype, "float64");
    assert.equal(a("int32").div(2).dtype, "float64");
    assert.equal(a("float32").mul(2.5).dtype, "float32");
    assert.equal(a("int8").add(1).dtype, "int8");
    assert.equal(a("bool").add(1).dtype, "int64");
    assert.equal(a("int32").lt(1).dtype, "bool");
    assert.equal(a("int32").sum().dtype, "int64");
    assert.equal(a("float32").mean().dtype, "float32");
    assert.equal(a("int8").argmax().dtype, "int64");
  });
});

describe("array bad input", () => {
  test("shapes that do not broadcast name both shapes", () => {
    const a = ba.zeros([3, 4]);
    const b = ba.zeros([5]);
    assert.throws(() => a.add(b), { code: "BARN_ARRAY_BROADCAST", message: /\[3, 4\] and \[5\]/ });
  });

  test("a chunking that does not tile the shape", () => {
    assert.throws(() => ba.zeros([10], { chunks: [[3, 3]] }), {
      code: "BARN_ARRAY_CHUNKS",
      message: /\[10\].*add up to 6, not 10/,
    });
    assert.throws(() => ba.zeros([10, 2], { chunks: [5] }), {
      code: "BARN_ARRAY_CHUNKS",
      message: /give 2 entries/,
    });
    assert.throws(() => ba.zeros([10], { chunks: 0 }), { code: "BARN_ARRAY_CHUNKS" });
  });

  test("an axis out of range", () => {
    const x = ba.zeros([3, 4]);
    assert.throws(() => x.sum({ axis: 2 }), {
      code: "BARN_ARRAY_AXIS",
      message: /axis 2 .* 2 dimensions/,
    });
    assert.throws(() => x.sum({ axis: -3 }), { code: "BARN_ARRAY_AXIS" });
    assert.throws(() => x.cumsum(5), { code: "BARN_ARRAY_AXIS" });
    assert.throws(() => x.transpose([0, 0]), { code: "BARN_ARRAY_AXIS" });
  });

  test("mixes NumPy refuses: a scalar out of an integer dtype's range, bool subtraction", () => {
    assert.throws(() => ba.zeros([2], { dtype: "int8" }).add(300), {
      code: "BARN_ARRAY_DTYPE",
      message: /300 is out of range .* int8/,
    });
    assert.throws(() => ba.zeros([2], { dtype: "bool" }).sub(ba.zeros([2], { dtype: "bool" })), {
      code: "BARN_ARRAY_DTYPE",
    });
    assert.throws(() => ba.zeros([2], { dtype: "int64" }).pow(-1), {
      code: "BARN_ARRAY_DTYPE",
      message: /negative integer powers/,
    });
    assert.throws(() => ba.zeros([2], { dtype: "int64" }).add(2n ** 63n), {
      code: "BARN_ARRAY_DTYPE",
      message: /9223372036854775808 is out of int64's range/,
    });
    assert.throws(() => ba.zeros([2]).mul(-(2n ** 70n)), { code: "BARN_ARRAY_DTYPE" });
    assert.throws(() => ba.zeros([2], { dtype: "complex" as never }), { code: "BARN_ARRAY_DTYPE" });
  });

  test("shapes that do not fit: reshape, matmul, concatenate, fromArray", () => {
    assert.throws(() => ba.zeros([3, 4]).reshape([5, 2]), {
      code: "BARN_ARRAY_SHAPE",
      message: /\[3, 4\].*\[5, 2\]/,
    });
    assert.throws(() => ba.zeros([3, 4]).matmul(ba.zeros([3, 4])), {
      code: "BARN_ARRAY_SHAPE",
      message: /\[3, 4\] and \[3, 4\]/,
    });
    assert.throws(() => ba.concatenate([ba.zeros([3, 4]), ba.zeros([3, 5])], 0), {
      code: "BARN_ARRAY_SHAPE",
    });
    assert.throws(() => ba.fromArray(new Float64Array(5), [2, 3]), { code: "BARN_ARRAY_SHAPE" });
    assert.throws(() => ba.zeros([-1]), { code: "BARN_ARRAY_SHAPE" });
  });

  test("tensordot: axes out of range or repeated, contracted lengths that differ", () => {
    const a = ba.zeros([2, 3, 4]);
    assert.throws(() => ba.tensordot(a, ba.zeros([3, 5])), {
      code: "BARN_ARRAY_SHAPE",
      message: /\[2, 3, 4\] and \[3, 5\].*axis 2 of a has 4 elements, axis 1 of b has 5/,
    });
    assert.throws(() => ba.tensordot(a, ba.zeros([3]), 4), { code: "BARN_ARRAY_AXIS" });
    assert.throws(() => ba.tensordot(a, ba.zeros([4, 4]), [[3], [0]]), {
      code: "BARN_ARRAY_AXIS",
    });
    assert.throws(
      () =>
        ba.tensordot(a, ba.zeros([4, 4]), [
          [2, 2],
          [0, 1],
        ]),
      {
        code: "BARN_ARRAY_AXIS",
        message: /repeated/,
      },
    );
    assert.throws(() => ba.tensordot(a, ba.zeros([4]), [[2, 1], [0]]), {
      code: "BARN_ARRAY_AXIS",
    });
  });

  test("select: a mask that is not bool, or not of the array's shape", async () => {
    const x = ba.zeros([3, 4]);
    await assert.rejects(x.select(ba.zeros([3, 4]) as never), {
      code: "BARN_ARRAY_DTYPE",
      message: /must be a bool array, got float64/,
    });
    await assert.rejects(x.select(ba.zeros([4, 3]).gt(0)), {
      code: "BARN_ARRAY_INDEX",
      message:
        /mask of shape \[4, 3\] for an array of shape \[3, 4\]; it must have the array's shape, or that of its first/,
    });
    await assert.rejects(x.select(x.gt(0), { bogus: 1 } as never), {
      code: "BARN_INVALID_OPTION",
    });
  });

  test("fromFrame: non-numeric or unknown columns, and things that are not frames", async () => {
    const df = bf.fromRecords([{ a: 1, s: "x" }]);
    await assert.rejects(ba.fromFrame(df, "s"), {
      code: "BARN_ARRAY_DTYPE",
      message: /column "s" is utf8/,
    });
    await assert.rejects(ba.fromFrame(df, "zz" as never), { code: "BARN_UNKNOWN_COLUMN" });
    await assert.rejects(ba.fromFrame({} as never, "a"), { code: "BARN_INVALID_OPTION" });
    await assert.rejects(ba.fromFrame(df, []), { code: "BARN_INVALID_OPTION" });
  });

  test("indices out of range, masks of the wrong length, empty reductions without identity", () => {
    const x = ba.zeros([3, 4]);
    assert.throws(() => x.slice(3), { code: "BARN_ARRAY_INDEX" });
    assert.throws(() => x.take([7], 1), { code: "BARN_ARRAY_INDEX" });
    assert.throws(() => x.compress([true], 0), { code: "BARN_ARRAY_INDEX" });
    assert.throws(() => x.slice("::0"), { code: "BARN_ARRAY_INDEX" });
    assert.throws(() => ba.zeros([0, 3]).max(), {
      code: "BARN_ARRAY_SHAPE",
      message: /empty axis/,
    });
    assert.throws(() => x.sum({ axis: 0, bogus: 1 } as never), { code: "BARN_INVALID_OPTION" });
  });
});
