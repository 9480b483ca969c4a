/**
 * Matrix product of chunks: C[i, j] = sum over p of A_p[i, :] . B_p[:, j], in float64 with the
 * i-k-j loop order (B's and C's rows are read contiguously), four rows of C at a time, over
 * panels of B small enough to stay in cache.
 */
import type { AnyTypedArray, DType } from "../dtype.js";
import { allocShared } from "./block.js";

const PANEL = 256;

function asF64(a: AnyTypedArray): Float64Array {
  if (a instanceof Float64Array) return a;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]!);
  return out;
}

/** The product of row-block `as` and column-block `bs` (pairs along the inner dimension). */
export function matmulBlock(
  as: readonly AnyTypedArray[],
  bs: readonly AnyTypedArray[],
  m: number,
  ks: readonly number[],
  n: number,
  dtype: DType,
): AnyTypedArray {
  const c = new Float64Array(m * n);
  for (let q = 0; q < as.length; q++) {
    const a = asF64(as[q]!);
    const b = asF64(bs[q]!);
    const k = ks[q]!;
    for (let p0 = 0; p0 < k; p0 += PANEL) {
      const p1 = Math.min(k, p0 + PANEL);
      let i = 0;
      // Four rows of C at a time: each element of B's row is loaded once for four products.
      for (; i + 4 <= m; i += 4) {
        const c0 = i * n;
        const c1 = c0 + n;
        const c2 = c1 + n;
        const c3 = c2 + n;
        for (let p = p0; p < p1; p++) {
          const x0 = a[i * k + p]!;
          const x1 = a[(i + 1) * k + p]!;
          const x2 = a[(i + 2) * k + p]!;
          const x3 = a[(i + 3) * k + p]!;
          const bp = p * n;
          for (let j = 0; j < n; j++) {
            const y = b[bp + j]!;
            c[c0 + j] = c[c0 + j]! + x0 * y;
            c[c1 + j] = c[c1 + j]! + x1 * y;
            c[c2 + j] = c[c2 + j]! + x2 * y;
            c[c3 + j] = c[c3 + j]! + x3 * y;
          }
        }
      }
      for (; i < m; i++) {
        const ci = i * n;
        const ai = i * k;
        for (let p = p0; p < p1; p++) {
          const x = a[ai + p]!;
          const bp = p * n;
          for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + x * b[bp + j]!;
        }
      }
    }
  }
  if (dtype === "float64") {
    const out = allocShared("float64", m * n) as Float64Array;
    out.set(c);
    return out;
  }
  const out = allocShared(dtype, m * n) as { [i: number]: number | bigint };
  for (let i = 0; i < c.length; i++) out[i] = dtype === "int64" ? BigInt(Math.trunc(c[i]!)) : c[i]!;
  return out as unknown as AnyTypedArray;
}
