/**
 * barn/array's API end to end on the sync scheduler and a thread cluster: creation functions,
 * NDArray, scalars, persist, user functions per chunk, Delayed chunks, and accurate sums.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ba from "../../src/array.js";
import { Client, delayed } from "../../src/index.js";

describe("array API", () => {
  let client: Client;
  before(async () => {
    client = await Client.connect({ setAsDefault: false });
  });
  after(async () => {
    await client.close();
  });
  const o = () => ({ client });

  test("creation functions", { timeout: 60_000 }, async () => {
    assert.deepEqual((await ba.zeros([2, 2], { dtype: "int32" }).compute(o())).toNested(), [
      [0, 0],
      [0, 0],
    ]);
    assert.deepEqual([...(await ba.ones([3], { chunks: 2 }).compute(o())).data], [1, 1, 1]);
    assert.deepEqual([...(await ba.full([2], 7n).compute(o())).data], [7n, 7n]);
    assert.deepEqual((await ba.full([2], true).compute(o())).toNested(), [true, true]);
    assert.deepEqual([...(await ba.arange(2, 11, 3).compute(o())).data], [2n, 5n, 8n]);
    assert.deepEqual([...(await ba.arange(0, 1, 0.25).compute(o())).data], [0, 0.25, 0.5, 0.75]);
    assert.deepEqual(
      [...(await ba.linspace(0, 1, 5, { chunks: 2 }).compute(o())).data],
      [0, 0.25, 0.5, 0.75, 1],
    );
    assert.deepEqual((await ba.eye(3, { k: 1, chunks: 2 }).compute(o())).toNested(), [
      [0, 1, 0],
      [0, 0, 1],
      [0, 0, 0],
    ]);
    assert.deepEqual([...(await ba.empty([2]).compute(o())).data], [0, 0]);
  });

  test("NDArray: data typed by dtype, get with negative indices, toNested", {
    timeout: 60_000,
  }, async () => {
    const x = ba.fromArray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3], { chunks: [1, 2] });
    const nd = await x.compute(o());
    const data: Float32Array = nd.data;
    assert.ok(data instanceof Float32Array);
    assert.equal(nd.get(1, -1), 6);
    assert.deepEqual(nd.toNested(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.throws(() => nd.get(2, 0), { code: "BARN_ARRAY_INDEX" });
    const s: number = await x.sum().compute(o());
    assert.equal(s, 21);
    const big: bigint = await ba.arange(10, undefined, 1, { dtype: "int64" }).sum().compute(o());
    assert.equal(big, 45n);
    const any: boolean = await x.gt(5).any().compute(o());
    assert.equal(any, true);
  });

  test("persist keeps chunks on the cluster; later work starts from them", {
    timeout: 60_000,
  }, async () => {
    const x = ba.random.random([40, 30], { chunks: [10, 10], seed: 3 }).mul(2);
    const p = x.persist({ client });
    assert.equal(p.plan.kind, "keys");
    assert.equal(p.held.length, 12);
    assert.equal(await p.sum().compute(o()), await x.sum().compute(o()));
    assert.throws(() => x.persist({ client: undefined }), { code: "BARN_CLIENT_CLOSED" });
  });

  test("fromFunction, mapBlocks, blockwise and fromDelayed", { timeout: 60_000 }, async () => {
    const f = ba.fromFunction(
      (info) => Float64Array.from({ length: info.shape[0]! }, (_, i) => info.start[0]! + i),
      [7],
      { chunks: 3 },
    );
    assert.deepEqual([...(await f.compute(o())).data], [0, 1, 2, 3, 4, 5, 6]);
    const m = f.mapBlocks((b) => (b.data as Float64Array).map((v) => v * 10));
    assert.deepEqual([...(await m.compute(o())).data], [0, 10, 20, 30, 40, 50, 60]);
    const bw = ba.blockwise(
      (a, b) => {
        const x = a as { data: Float64Array };
        const y = b as { data: Float64Array };
        return x.data.map((v, i) => v - y.data[i]!);
      },
      [m, f],
      { dtype: "float64" },
    );
    assert.deepEqual([...(await bw.compute(o())).data], [0, 9, 18, 27, 36, 45, 54]);
    const bad = f.mapBlocks(() => new Float64Array(1));
    await assert.rejects(bad.compute(o()), /needs 3 float64 elements/);
    const parts = [
      delayed((n: number) => new Int32Array(n).fill(n))(2),
      delayed((n: number) => new Int32Array(n).fill(n))(3),
    ];
    const d = ba.fromDelayed(parts, [5], { dtype: "int32", chunks: [[2, 3]] });
    assert.deepEqual([...(await d.compute(o())).data], [2, 2, 3, 3, 3]);
  });

  test("float sums are compensated: 1e8 + many small values", { timeout: 60_000 }, async () => {
    const n = 100_000;
    const data = new Float64Array(n).fill(0.1);
    data[0] = 1e8;
    const x = ba.fromArray(data, [n], { chunks: 25_000 });
    let naive = 0;
    for (const v of data) naive += v;
    const exact = 1e8 + (n - 1) * 0.1;
    const got = await x.sum().compute(o());
    assert.ok(Math.abs(got - exact) < 1e-6, `${got} vs ${exact}`);
    assert.ok(Math.abs(naive - exact) > Math.abs(got - exact));
  });

  test("int64 sums wrap as NumPy's do; int8 arithmetic wraps", { timeout: 60_000 }, async () => {
    const x = ba.fromArray(new BigInt64Array([2n ** 62n, 2n ** 62n]), [2]);
    assert.equal(await x.sum().compute(o()), -(2n ** 63n));
    const y = ba.fromArray(new Int8Array([100, -100]), [2]);
    assert.deepEqual([...(await y.add(100).compute(o())).data], [-56, 0]);
    assert.deepEqual([...(await y.mul(y).compute(o())).data], [16, 16]);
  });

  test("integer sums are exact past 2^53 within one chunk, then wrap in int64", {
    timeout: 60_000,
  }, async () => {
    // 2^22 uint32 values near 2^32 sum to about 2^54: a float64 running sum rounds there.
    const n = 2 ** 22;
    const data = new Uint32Array(n);
    let want = 0n;
    for (let i = 0; i < n; i++) {
      data[i] = 4_294_967_295 - (i % 7919);
      want += BigInt(data[i]!);
    }
    const s = { scheduler: "sync" } as const;
    const x = ba.fromArray(data, [n], { chunks: [n] });
    assert.equal(await x.sum().compute(s), want);
    assert.equal(await x.nansum().compute(s), want);
    assert.equal(
      (
        await x
          .reshape([2, n / 2])
          .sum({ axis: 1 })
          .compute(s)
      ).data.reduce((a, b) => a + b, 0n),
      want,
    );
    const i32 = ba.fromArray(new Int32Array(data.buffer), [n], { chunks: [n] });
    let want32 = 0n;
    for (const v of new Int32Array(data.buffer)) want32 += BigInt(v);
    assert.equal(await i32.sum().compute(s), want32);
    const c = await x.cumsum().compute(s);
    assert.equal(c.data[n - 1], want);
  });
});

describe("array and Arrow", () => {
  test("1-D vectors both ways; nulls as NaN in floats, refused in integers", {
    timeout: 60_000,
  }, async () => {
    const { makeVector, vectorFromArray, Int32 } = await import("apache-arrow");
    const o = { scheduler: "sync" } as const;
    const f = ba.fromArrow(makeVector(new Float64Array([1, 2.5, 3])), { chunks: 2 });
    assert.equal(f.dtype, "float64");
    assert.equal(await f.sum().compute(o), 6.5);
    const back = await ba.toArrow(f.mul(2), o);
    assert.deepEqual([...back.toArray()], [2, 5, 6]);
    const big = ba.fromArrow(makeVector(new BigInt64Array([1n, 2n])));
    assert.equal(await big.sum().compute(o), 3n);
    const withNull = ba.fromArrow(vectorFromArray([1.5, null, 2]));
    assert.deepEqual([...(await withNull.compute(o)).data], [1.5, Number.NaN, 2]);
    assert.throws(() => ba.fromArrow(vectorFromArray([1, null], new Int32())), {
      code: "BARN_ARRAY_DTYPE",
    });
    await assert.rejects(ba.toArrow(ba.zeros([2, 2]), o), { code: "BARN_ARRAY_SHAPE" });
  });
});

describe("array histogram", () => {
  test("counts equal NumPy's rules: last bin closed, outside values and NaN not counted", {
    timeout: 60_000,
  }, async () => {
    const o = { scheduler: "sync" } as const;
    const data = new Float64Array([0, 0.5, 1, 1.5, 2, 2.5, 3, Number.NaN, -1, 4]);
    const x = ba.fromArray(data, [2, 5], { chunks: [1, 3] });
    const { counts, edges } = ba.histogram(x.mul(1), { bins: 3, range: [0, 3] });
    assert.deepEqual([...edges], [0, 1, 2, 3]);
    assert.deepEqual([...(await counts.compute(o)).data], [2n, 2n, 3n]);
    assert.throws(() => ba.histogram(x, { bins: 0, range: [0, 1] }), {
      code: "BARN_INVALID_OPTION",
    });
  });
});

describe("array chunk readers (the storage seam)", () => {
  test("a tasks() reader runs on worker threads, one task per chunk, and feeds fused work", {
    timeout: 60_000,
  }, async () => {
    const { readerOps } = await import("./array-reader-fixture.js");
    const client = await Client.connect({ setAsDefault: false });
    try {
      const x = ba.fromChunkReader(readerOps.fillWithStart, { scale: 2 }, [4, 2], {
        dtype: "float64",
        chunks: [1, 2],
      });
      assert.deepEqual([...(await x.add(1).compute({ client })).data], [1, 1, 3, 3, 5, 5, 7, 7]);
      const bad = ba.fromChunkReader(readerOps.fillWithStart, { scale: 1 }, [4, 2], {
        dtype: "float32",
        chunks: [1, 2],
      });
      await assert.rejects(bad.compute({ client }), /chunk reader returned a float64 array/);
    } finally {
      await client.close();
    }
  });
});
