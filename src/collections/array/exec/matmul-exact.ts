/**
 * Matrix products of chunks for integer and bool dtypes, exact as NumPy's: integers of 32 bits
 * or fewer accumulate in 32-bit integers (Math.imul and `| 0` wrap as C's unsigned arithmetic
 * does, and the low bits of a 32-bit wrap are the low bits of an 8- or 16-bit one, so storing
 * into the result dtype wraps as NumPy's int8/int16 matmul does); int64 accumulates in
 * BigInt64Array, whose stores wrap modulo 2^64; bool is NumPy's "any of and". The float64
 * kernel (matmul.ts) would round sums past 2^53 instead.
 */
import type { AnyTypedArray, DType } from "../dtype.js";
import { allocShared } from "./block.js";

type Ints = { [i: number]: number };

/** C (m x n) += A (m x k) B (k x n), wrapping at 32 bits; i-k-j order, rows of B streamed. */
function gemm32(a: Ints, b: Ints, c: Int32Array, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]! | 0;
      if (av === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] = (c[ci + j]! + Math.imul(av, b[bp + j]! | 0)) | 0;
    }
  }
}

function gemm64(
  a: BigInt64Array,
  b: BigInt64Array,
  c: BigInt64Array,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!;
      if (av === 0n) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + av * b[bp + j]!;
    }
  }
}

function gemmBool(a: Uint8Array, b: Uint8Array, c: Uint8Array, m: number, k: number, n: number) {
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      if (a[i * k + p] === 0) continue;
      for (let j = 0; j < n; j++) if (b[p * n + j] !== 0) c[i * n + j] = 1;
    }
}

/** The product of row-block `as` and column-block `bs` (pairs along the inner dimension). */
export function matmulExactBlock(
  as: readonly AnyTypedArray[],
  bs: readonly AnyTypedArray[],
  m: number,
  ks: readonly number[],
  n: number,
  dtype: DType,
): AnyTypedArray {
  if (dtype === "int64" || dtype === "bool") {
    const c = allocShared(dtype, m * n);
    for (let q = 0; q < as.length; q++) {
      if (dtype === "bool")
        gemmBool(as[q] as Uint8Array, bs[q] as Uint8Array, c as Uint8Array, m, ks[q]!, n);
      else gemm64(as[q] as BigInt64Array, bs[q] as BigInt64Array, c as BigInt64Array, m, ks[q]!, n);
    }
    return c;
  }
  const acc =
    dtype === "int32" ? (allocShared("int32", m * n) as Int32Array) : new Int32Array(m * n);
  for (let q = 0; q < as.length; q++) gemm32(as[q] as Ints, bs[q] as Ints, acc, m, ks[q]!, n);
  if (dtype === "int32") return acc;
  const out = allocShared(dtype, m * n) as Ints;
  for (let i = 0; i < acc.length; i++) out[i] = acc[i]!;
  return out as AnyTypedArray;
}
