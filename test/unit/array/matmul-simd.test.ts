/**
 * The WebAssembly SIMD matmul kernels (exec/matmul-wasm.ts) against the plain-JS kernel they
 * fall back to: float64 results are bit-identical (same panels, same order of multiplies and
 * adds in each lane); float32 products are summed in float32 (as NumPy's sgemm), within
 * (k + 2) * 2^-23 of the float64-summed JS result, relative to the sum of |a| |b|. Shapes around
 * the 4-row and 4- or 8-column tiles, the 256-deep panels, the 128-row A blocks, the 512-column
 * B panels and the 4 MiB C strip; 0 and 1 dimensions; NaN and infinity.
 */
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import * as ba from "../../../src/array.js";
import type { AnyTypedArray, DType } from "../../../src/collections/array/dtype.js";
import { matmulBlock, useJsMatmul } from "../../../src/collections/array/exec/matmul.js";
import { matmulWasm } from "../../../src/collections/array/exec/matmul-wasm.js";

function rand(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

type Pairs = { as: AnyTypedArray[]; bs: AnyTypedArray[]; m: number; ks: number[]; n: number };

function both(p: Pairs, dtype: DType): { simd: AnyTypedArray; js: AnyTypedArray } {
  useJsMatmul(false);
  const simd = matmulBlock(p.as, p.bs, p.m, p.ks, p.n, dtype);
  useJsMatmul(true);
  const js = matmulBlock(p.as, p.bs, p.m, p.ks, p.n, dtype);
  useJsMatmul(false);
  return { simd, js };
}

function pairs(m: number, ks: number[], n: number, seed: number, f32 = false): Pairs {
  const conv = (x: Float64Array) => (f32 ? Float32Array.from(x) : x);
  return {
    as: ks.map((k, q) => conv(rand(m * k, seed + 2 * q))),
    bs: ks.map((k, q) => conv(rand(k * n, seed + 2 * q + 1))),
    m,
    ks,
    n,
  };
}

function identical(got: AnyTypedArray, want: AnyTypedArray, what: string): void {
  assert.equal(got.constructor, want.constructor, what);
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++)
    if (!Object.is(got[i], want[i])) assert.fail(`${what} [${i}]: ${got[i]}, want ${want[i]}`);
}

/** sum over q, p of |a[i, p]| |b[p, j]|: the scale of float32 rounding in entry (i, j). */
function absDot(p: Pairs): Float64Array {
  const out = new Float64Array(p.m * p.n);
  p.ks.forEach((k, q) => {
    const a = p.as[q]! as Float32Array;
    const b = p.bs[q]! as Float32Array;
    for (let i = 0; i < p.m; i++)
      for (let x = 0; x < k; x++) {
        const av = Math.abs(a[i * k + x]!);
        for (let j = 0; j < p.n; j++) out[i * p.n + j]! += av * Math.abs(b[x * p.n + j]!);
      }
  });
  return out;
}

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13];

describe("matmul SIMD kernel", { timeout: 60_000 }, () => {
  afterEach(() => useJsMatmul(false));

  test("is available on Node 20 and later (unless BARN_NO_WASM=1)", () => {
    if (process.env.BARN_NO_WASM === "1") assert.equal(matmulWasm(), null);
    else assert.notEqual(matmulWasm(), null);
  });

  test("float64: bit-identical to the JS kernel on edge shapes", () => {
    let seed = 1;
    for (const m of SIZES)
      for (const n of SIZES)
        for (const k of [0, 1, 3, 4, 6, 257]) {
          const p = pairs(m, [k], n, (seed += 2));
          const { simd, js } = both(p, "float64");
          identical(simd, js, `${m}x${k} @ ${k}x${n}`);
        }
  });

  test("float64: blocks past a panel, an A block, a B panel and the C strip", () => {
    for (const [m, ks, n] of [
      [131, [513], 517],
      [1030, [3], 9],
      [5, [300, 1, 129], 1030],
    ] as [number, number[], number][]) {
      const { simd, js } = both(pairs(m, ks, n, m + n), "float64");
      identical(simd, js, `${m} x ${ks} x ${n}`);
    }
  });

  test("float64: NaN and infinity reach the same entries; integer outputs", () => {
    const p = pairs(6, [5], 7, 3);
    (p.as[0] as Float64Array)[2 * 5 + 1] = Number.NaN;
    (p.bs[0] as Float64Array)[3 * 7 + 5] = Number.POSITIVE_INFINITY;
    const { simd, js } = both(p, "float64");
    identical(simd, js, "nan/inf");
    for (let j = 0; j < 7; j++) assert.ok(Number.isNaN(simd[2 * 7 + j] as number));
    const ia = Int32Array.from({ length: 5 * 6 }, (_, i) => (i % 7) - 3);
    const ib = Int32Array.from({ length: 6 * 3 }, (_, i) => (i % 5) - 2);
    const ints = both({ as: [ia], bs: [ib], m: 5, ks: [6], n: 3 }, "int32");
    assert.ok(ints.simd instanceof Int32Array);
    identical(ints.simd, ints.js, "int32");
  });

  test("float32: summed in float32, within (k + 2) * 2^-23 of the JS kernel", () => {
    let seed = 100;
    const cases: [number, number[], number][] = [
      [1030, [3], 9],
      [37, [600, 7], 61],
    ];
    for (const m of [0, 1, 3, 4, 5, 9])
      for (const n of [0, 1, 7, 8, 9, 17]) cases.push([m, [1, 257], n]);
    let differs = false;
    for (const [m, ks, n] of cases) {
      const p = pairs(m, ks, n, (seed += 7), true);
      const { simd, js } = both(p, "float32");
      assert.ok(simd instanceof Float32Array && js instanceof Float32Array);
      const scale = absDot(p);
      const k = ks.reduce((x, y) => x + y, 0);
      for (let i = 0; i < js.length; i++) {
        const err = Math.abs(simd[i]! - js[i]!);
        if (err > 0) differs = true;
        assert.ok(
          err <= (k + 2) * 2 ** -23 * scale[i]!,
          `${m}x${k}x${n} [${i}]: ${simd[i]} vs ${js[i]}`,
        );
      }
    }
    // The SIMD path ran (a float64 sum rounded once differs somewhere from a float32 sum).
    if (matmulWasm() !== null) assert.ok(differs);
  });

  test("x.matmul(y) of float32 arrays is float32, by blocks, within float32 rounding", async () => {
    const [m, k, n] = [45, 70, 33];
    const a = Float32Array.from(rand(m * k, 7));
    const b = Float32Array.from(rand(k * n, 8));
    const x = ba.fromArray(a, [m, k], { chunks: [20, 30] });
    const y = ba.fromArray(b, [k, n], { chunks: [30, 16] });
    const got = await x.matmul(y).compute({ scheduler: "sync" });
    assert.equal(got.dtype, "float32");
    assert.ok(got.data instanceof Float32Array);
    const p: Pairs = { as: [a], bs: [b], m, ks: [k], n };
    const want = both(p, "float32").js;
    const scale = absDot(p);
    for (let i = 0; i < want.length; i++)
      assert.ok(
        Math.abs((got.data[i] as number) - (want[i] as number)) <= (k + 2) * 2 ** -23 * scale[i]!,
        `[${i}]`,
      );
  });
});
