/**
 * The blocked matmul kernel (exec/matmul.ts) against a plain triple loop: shapes around its
 * 4 x 4 blocks and its 256-deep panels (0, 1, odd, 4k +- 1, 257), several inner blocks summed,
 * NaN and infinities propagating to exactly the entries they touch, and integer outputs.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gemm, matmulBlock } from "../../../src/collections/array/exec/matmul.js";

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

function naive(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      c[i * n + j] = s;
    }
  return c;
}

function near(got: ArrayLike<number>, want: ArrayLike<number>, k: number, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (g === w) continue;
    if (Number.isNaN(w)) assert.ok(Number.isNaN(g), `${what} [${i}]: ${g}, want NaN`);
    else assert.ok(Math.abs(g - w) <= 1e-12 * Math.max(1, k), `${what} [${i}]: ${g}, want ${w}`);
  }
}

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 13];

describe("matmul kernel", () => {
  test("agrees with a triple loop on edge shapes", () => {
    let seed = 1;
    for (const m of SIZES)
      for (const n of SIZES)
        for (const k of [0, 1, 3, 4, 6, 257]) {
          const a = rand(m * k, seed++);
          const b = rand(k * n, seed++);
          const c = new Float64Array(m * n);
          gemm(a, b, c, m, k, n);
          near(c, naive(a, b, m, k, n), k, `${m}x${k} @ ${k}x${n}`);
        }
  });

  test("larger blocks, several inner pairs summed, and integer output", () => {
    const [m, n] = [37, 61];
    const ks = [300, 1, 129];
    const as = ks.map((k, q) => rand(m * k, 10 + q));
    const bs = ks.map((k, q) => rand(k * n, 20 + q));
    const want = new Float64Array(m * n);
    ks.forEach((k, q) => {
      const part = naive(as[q]!, bs[q]!, m, k, n);
      for (let i = 0; i < want.length; i++) want[i] = want[i]! + part[i]!;
    });
    near(matmulBlock(as, bs, m, ks, n, "float64") as Float64Array, want, 430, "summed blocks");
    const ia = Int32Array.from({ length: 5 * 6 }, (_, i) => (i % 7) - 3);
    const ib = Int32Array.from({ length: 6 * 3 }, (_, i) => (i % 5) - 2);
    const got = matmulBlock([ia], [ib], 5, [6], 3, "int32");
    assert.ok(got instanceof Int32Array);
    near(got, naive(Float64Array.from(ia), Float64Array.from(ib), 5, 6, 3), 6, "int32");
  });

  test("NaN and infinity reach exactly the entries whose row or column holds them", () => {
    const [m, k, n] = [6, 5, 7];
    const a = rand(m * k, 3);
    const b = rand(k * n, 4);
    a[2 * k + 1] = Number.NaN;
    b[3 * n + 5] = Number.POSITIVE_INFINITY;
    const c = new Float64Array(m * n);
    gemm(a, b, c, m, k, n);
    near(c, naive(a, b, m, k, n), k, "nan/inf");
    for (let j = 0; j < n; j++) assert.ok(Number.isNaN(c[2 * n + j]!));
    assert.ok(!Number.isNaN(c[0]!));
  });
});
