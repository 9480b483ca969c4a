/**
 * Matrix product of chunks: C[i, j] = sum over p of A_p[i, :] . B_p[:, j], in float64. The
 * inner dimension goes in panels of KC; each panel of A (rows in fours) and of B (columns in
 * fours) is packed so a 4 x 4 block of C is computed in sixteen local accumulators from eight
 * contiguous loads per step of p: the loads per multiply-add drop from about two (the i-k-j
 * loop, which reads and writes C for every product) to one half, and a 4-column strip of the B
 * panel (8 KiB) stays in L1 while it meets every row block of A. Edges are padded with zeros
 * in the packed copies and dropped when C is written.
 */
import type { AnyTypedArray, DType } from "../dtype.js";
import { allocShared } from "./block.js";
import { F32_SHAPE, F64_SHAPE, gemmWasm, KC, matmulWasm } from "./matmul-wasm.js";

let jsOnly = false;

/**
 * Run the plain-JS kernel even where WebAssembly SIMD is there (the tests of the fallback; the
 * environment's BARN_NO_WASM=1 does the same for a whole process).
 */
export function useJsMatmul(on: boolean): void {
  jsOnly = on;
}

function asF64(a: AnyTypedArray): Float64Array {
  if (a instanceof Float64Array) return a;
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Number(a[i]!);
  return out;
}

/** Rows of A (m x k) in fours, columns p0 .. p0 + kc: ap[(blk * kc + p) * 4 + r]. */
function packA(a: Float64Array, m: number, k: number, p0: number, kc: number, ap: Float64Array) {
  for (let i0 = 0; i0 < m; i0 += 4) {
    const base = (i0 / 4) * kc * 4;
    for (let r = 0; r < 4; r++) {
      const i = i0 + r;
      if (i >= m) {
        for (let p = 0; p < kc; p++) ap[base + p * 4 + r] = 0;
        continue;
      }
      const row = i * k + p0;
      for (let p = 0; p < kc; p++) ap[base + p * 4 + r] = a[row + p]!;
    }
  }
}

/** Columns of B (k x n) in fours, rows p0 .. p0 + kc: bp[(blk * kc + p) * 4 + c]. */
function packB(b: Float64Array, n: number, p0: number, kc: number, bp: Float64Array) {
  for (let j0 = 0; j0 < n; j0 += 4) {
    const base = (j0 / 4) * kc * 4;
    const w = Math.min(4, n - j0);
    for (let p = 0; p < kc; p++) {
      const row = (p0 + p) * n + j0;
      const o = base + p * 4;
      for (let c = 0; c < 4; c++) bp[o + c] = c < w ? b[row + c]! : 0;
    }
  }
}

/** C[i0.., j0..] += the 4 x 4 product of packed row block `ao` and column strip `bo` over kc. */
function micro(
  ap: Float64Array,
  ao: number,
  bp: Float64Array,
  bo: number,
  kc: number,
  c: Float64Array,
  i0: number,
  j0: number,
  m: number,
  n: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  for (let p = 0; p < kc; p++) {
    const x = ao + p * 4;
    const y = bo + p * 4;
    const a0 = ap[x]!;
    const a1 = ap[x + 1]!;
    const a2 = ap[x + 2]!;
    const a3 = ap[x + 3]!;
    const b0 = bp[y]!;
    const b1 = bp[y + 1]!;
    const b2 = bp[y + 2]!;
    const b3 = bp[y + 3]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (i0 + 4 <= m && j0 + 4 <= n) {
    let o = i0 * n + j0;
    c[o] = c[o]! + c00;
    c[o + 1] = c[o + 1]! + c01;
    c[o + 2] = c[o + 2]! + c02;
    c[o + 3] = c[o + 3]! + c03;
    o += n;
    c[o] = c[o]! + c10;
    c[o + 1] = c[o + 1]! + c11;
    c[o + 2] = c[o + 2]! + c12;
    c[o + 3] = c[o + 3]! + c13;
    o += n;
    c[o] = c[o]! + c20;
    c[o + 1] = c[o + 1]! + c21;
    c[o + 2] = c[o + 2]! + c22;
    c[o + 3] = c[o + 3]! + c23;
    o += n;
    c[o] = c[o]! + c30;
    c[o + 1] = c[o + 1]! + c31;
    c[o + 2] = c[o + 2]! + c32;
    c[o + 3] = c[o + 3]! + c33;
    return;
  }
  const blk = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let r = 0; r < 4 && i0 + r < m; r++)
    for (let q = 0; q < 4 && j0 + q < n; q++) {
      const o = (i0 + r) * n + j0 + q;
      c[o] = c[o]! + blk[r * 4 + q]!;
    }
}

/**
 * C (m x n, zero or partly summed) += A (m x k) B (k x n). Inner-dimension panels of KC: a
 * packed 4-column strip of B is KC * 32 bytes.
 */
export function gemm(
  a: Float64Array,
  b: Float64Array,
  c: Float64Array,
  m: number,
  k: number,
  n: number,
) {
  if (m === 0 || n === 0 || k === 0) return;
  const mb = Math.ceil(m / 4);
  const nb = Math.ceil(n / 4);
  const ap = new Float64Array(mb * 4 * Math.min(KC, k));
  const bp = new Float64Array(nb * 4 * Math.min(KC, k));
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0);
    packA(a, m, k, p0, kc, ap);
    packB(b, n, p0, kc, bp);
    for (let jb = 0; jb < nb; jb++)
      for (let ib = 0; ib < mb; ib++)
        micro(ap, ib * kc * 4, bp, jb * kc * 4, kc, c, ib * 4, jb * 4, m, n);
  }
}

/**
 * The product of row-block `as` and column-block `bs` (pairs along the inner dimension), by the
 * WebAssembly SIMD kernels where this runtime has them: float64 results (integer operands of a
 * float result read as float64; integer results go to matmul-exact.ts) bit-identical to the JS kernel; float32 inputs summed in float32 (NumPy's sgemm), which
 * the JS kernel sums in float64, so the two differ by float32 rounding.
 */
export function matmulBlock(
  as: readonly AnyTypedArray[],
  bs: readonly AnyTypedArray[],
  m: number,
  ks: readonly number[],
  n: number,
  dtype: DType,
): AnyTypedArray {
  const w = jsOnly ? null : matmulWasm();
  const f32 =
    dtype === "float32" &&
    as.every((a) => a instanceof Float32Array) &&
    bs.every((b) => b instanceof Float32Array);
  if (w !== null && f32) {
    const out = allocShared("float32", m * n) as Float32Array;
    gemmWasm(w, F32_SHAPE, as as Float32Array[], bs as Float32Array[], m, ks, n, out);
    return out;
  }
  const c =
    dtype === "float64" ? (allocShared("float64", m * n) as Float64Array) : new Float64Array(m * n);
  if (w !== null) gemmWasm(w, F64_SHAPE, as.map(asF64), bs.map(asF64), m, ks, n, c);
  else for (let q = 0; q < as.length; q++) gemm(asF64(as[q]!), asF64(bs[q]!), c, m, ks[q]!, n);
  if (dtype === "float64") return c;
  const out = allocShared(dtype, m * n) as { [i: number]: number | bigint };
  for (let i = 0; i < c.length; i++) out[i] = dtype === "int64" ? BigInt(Math.trunc(c[i]!)) : c[i]!;
  return out as unknown as AnyTypedArray;
}
