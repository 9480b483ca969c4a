/**
 * Indexing by lazy arrays against a plain-JS reference: take with an integer index array
 * (any integer dtype, int64 as BigInt64Array, negative indices, any chunking, empty axes, n-D
 * indices), out-of-range indices as NumPy's IndexError, and compress with a lazy bool mask
 * along any axis; on the sync scheduler and a thread cluster, where the index is shown to be
 * computed on the workers only.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import * as ba from "../../src/array.js";
import { Client } from "../../src/index.js";
import { caseArb, check, cut, type DType, toArray } from "./array-cases.js";
import { CTOR, select } from "./array-ref.js";

const INDEX_DTYPES: DType[] = ["int32", "int64", "int8", "uint16", "uint32"];

/** A lazy index array of `dtype` holding `values`, cut into chunks by `wishes`. */
function indexArray(values: number[], dtype: DType, wishes: number[]): ba.Array {
  const typed = new CTOR[dtype](values.length);
  values.forEach((v, i) => {
    typed[i] = dtype === "int64" ? BigInt(v) : v;
  });
  return ba.fromArray(typed as unknown as Int32Array, [values.length], {
    chunks: [cut(values.length, wishes)],
  }) as ba.Array;
}

const all = (n: number) => Array.from({ length: n }, (_, i) => i);

function suite(name: string, connect: () => Promise<Client>, runs: number) {
  describe(`array take and compress by lazy arrays against plain JS (${name})`, () => {
    let client: Client;
    before(async () => {
      client = await connect();
    });
    after(async () => {
      await client.close();
    });
    const o = () => ({ client });
    const shape = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 });

    test("take: random indices (negative ones too), dtypes, chunkings and axes", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb(undefined, shape).chain((c) =>
            fc.record({
              c: fc.constant(c),
              axis: fc.integer({ min: -c.ref.shape.length, max: c.ref.shape.length - 1 }),
              raw: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 6 }),
              dtype: fc.constantFrom(...INDEX_DTYPES),
              wishes: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }),
            }),
          ),
          async ({ c, axis, raw, dtype, wishes }) => {
            const ax = axis < 0 ? axis + c.ref.shape.length : axis;
            const n = c.ref.shape[ax]!;
            const signed = dtype.startsWith("int");
            const idx = n === 0 ? [] : raw.map((r) => (signed ? (r % (2 * n)) - n : r % n));
            const x = toArray(c);
            const got = x.take(indexArray(idx, dtype, wishes), axis);
            const per = c.ref.shape.map((m, d) =>
              d === ax ? idx.map((i) => (i < 0 ? i + n : i)) : all(m),
            );
            await check(await got.compute(o()), select(c.ref, per), `take axis ${axis}`);
          },
        ),
        { numRuns: runs },
      );
    });

    test("take: an index out of range fails as NumPy's, naming it and the axis size", {
      timeout: 60_000,
    }, async () => {
      const x = ba.arange(10, undefined, 1, { chunks: 3 });
      for (const bad of [10, -11]) {
        const i = indexArray([0, bad, 1], "int32", [2]);
        await assert.rejects(x.take(i).compute(o()), {
          code: "BARN_ARRAY_INDEX",
          message: new RegExp(`index ${bad} is out of range for axis 0 with size 10`),
        });
      }
    });

    test("compress: a lazy bool mask along any axis, shorter than it or not", {
      timeout: 120_000,
    }, async () => {
      await fc.assert(
        fc.asyncProperty(
          caseArb(undefined, shape).chain((c) =>
            fc.record({
              c: fc.constant(c),
              axis: fc.integer({ min: 0, max: c.ref.shape.length - 1 }),
              bits: fc.array(fc.boolean(), { maxLength: 4 }),
              wishes: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 4 }),
            }),
          ),
          async ({ c, axis, bits, wishes }) => {
            const n = c.ref.shape[axis]!;
            const m = bits.slice(0, n);
            const mask = indexArray(m.map(Number), "uint8", wishes).astype("bool");
            const got = await toArray(c).compress(mask, axis, o());
            const kept = m.flatMap((b, i) => (b ? [i] : []));
            const per = c.ref.shape.map((k, d) => (d === axis ? kept : all(k)));
            await check(await got.compute(o()), select(c.ref, per), `compress axis ${axis}`);
          },
        ),
        { numRuns: runs },
      );
    });
  });
}

suite("sync", () => Client.connect({ scheduler: "sync", setAsDefault: false }), 60);
suite("threads", () => Client.connect({ setAsDefault: false }), 8);

describe("array take by a lazy index: edge cases", () => {
  const o = { scheduler: "sync" } as const;
  test("n-D and 0-d indices, empty axes, bad dtypes and shapes", { timeout: 60_000 }, async () => {
    const x = ba.arange(12, undefined, 1, { chunks: 5 }).reshape([3, 4]);
    const i2 = ba.fromArray(new Int32Array([1, 0, -1, 2]), [2, 2]);
    const t = await x.take(i2, 1).compute(o);
    assert.deepEqual(t.shape, [3, 2, 2]);
    assert.deepEqual((t.toNested() as unknown[])[0], [
      [1n, 0n],
      [3n, 2n],
    ]);
    const i0 = ba.full([], 2, { dtype: "int32" });
    assert.deepEqual((await x.take(i0, 0).compute(o)).toNested(), [8n, 9n, 10n, 11n]);
    assert.deepEqual((await x.take(indexArray([], "int32", []), 1).compute(o)).shape, [3, 0]);
    assert.throws(() => ba.zeros([2, 0]).take(indexArray([0], "int32", []), 1), {
      code: "BARN_ARRAY_INDEX",
      message: /empty/,
    });
    assert.throws(() => x.take(ba.ones([2]), 0), { code: "BARN_ARRAY_DTYPE", message: /float64/ });
    assert.throws(() => x.take(x.gt(2).ravel(), 0), {
      code: "BARN_ARRAY_DTYPE",
      message: /compress/,
    });
    assert.throws(() => x.take(indexArray([0], "int32", []), 2), { code: "BARN_ARRAY_AXIS" });
    await assert.rejects(x.compress(ba.ones([4], { dtype: "bool" }), 0, o), {
      code: "BARN_ARRAY_INDEX",
      message: /\[4\].*\[3, 4\]/,
    });
    await assert.rejects(x.compress(ba.ones([3]) as never, 0, o), { code: "BARN_ARRAY_DTYPE" });
  });

  test("the index is computed on the workers, never on the client", {
    timeout: 60_000,
  }, async () => {
    const client = await Client.connect({ setAsDefault: false });
    try {
      const idx = indexArray([2, 0, -1], "int32", [2]).mapBlocks((b) => {
        (globalThis as Record<string, unknown>).__barnTakeIndexRan = true;
        return b.data;
      });
      const x = ba.arange(5, undefined, 1, { chunks: 2 });
      // Synchronous: nothing is computed (or fetched) to build it.
      const taken = x.take(idx);
      assert.ok(taken instanceof ba.Array);
      const got = await taken.compute({ client });
      assert.deepEqual([...got.data], [2n, 0n, 4n]);
      assert.equal((globalThis as Record<string, unknown>).__barnTakeIndexRan, undefined);
    } finally {
      await client.close();
    }
  });
});
