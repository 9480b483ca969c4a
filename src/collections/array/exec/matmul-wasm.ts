/**
 * The matmul block kernels in WebAssembly SIMD: C (MR x NR tiles) += packed A panel x packed B
 * panel, with the tile's MR x NR / lanes 128-bit accumulators in registers for a whole panel.
 * `gemm64` is f64x2 on MR x 4 tiles, `gemm32` f32x4 on MR x 8 tiles (float32 products summed
 * in float32, as NumPy's sgemm does). Per step p of the panel it loads the B row's NV vectors
 * and splats each of the MR A values, MR * NV multiply-adds (mul then add: baseline SIMD has no
 * fused multiply-add, and keeping them separate gives float64 results bit-identical to the JS
 * kernel's, which multiplies and adds in the same order).
 *
 *   (func $gemm (param $a $b $c $mb $nb $kc $ldc i32)     ;; byte offsets, tile counts
 *     (loop $j                                             ;; column tiles: a kc x NR strip of
 *       (loop $i                                           ;; B stays in L1 across all rows
 *         acc[r][v] = 0
 *         (loop $p  (b[v] = v128.load B[p, v]) (acc[r][v] += splat(A[p, r]) * b[v]))
 *         C[i*MR + r, j*NR + v*lanes ..] += acc[r][v])))
 */
import { encodeModule, I32, instantiate, op, simd, sleb, uleb, V128 } from "./wasm-encode.js";

/** One kernel's geometry: element bytes, lanes per vector, tile rows, vectors per tile row. */
export interface KernelShape {
  readonly es: 4 | 8;
  readonly lanes: 2 | 4;
  readonly mr: number;
  readonly nv: number;
  /** Steps of p per loop turn; panels are packed as deep as a multiple of it (zeros past k). */
  readonly unroll: number;
}

/**
 * float64: 4 x 4 tiles in 8 accumulators. 6 x 4, 4 x 6, 4 x 8, 8 x 4 tiles and unrolling p by 2
 * or 4 all measured slower on V8 (about 11-14 GFLOP/s against 20 on one core): x64 has 16 vector
 * registers and V8 spills past about a dozen live ones.
 */
export const F64_SHAPE: KernelShape = { es: 8, lanes: 2, mr: 4, nv: 2, unroll: 1 };
/** float32: 4 x 8 tiles in 8 accumulators. */
export const F32_SHAPE: KernelShape = { es: 4, lanes: 4, mr: 4, nv: 2, unroll: 1 };

/** Inner-dimension panel, as the JS kernel's (same panels: float64 results are identical). */
export const KC = 256;
/** Rows of A packed at a time (256 KiB of float64, in L2 across a B panel's strips). */
const MC = 128;
/** Columns of B packed at a time (a KC x NC panel, 1 MiB of float64). */
const NC = 512;
/** Bytes of the memory's C strip, summed over the whole inner dimension before it is copied out. */
const C_BYTES = 4 << 20;
const AP = 0;
const BP = MC * KC * 8;
const CP = BP + KC * NC * 8;
/** The memory, fixed: packed A, packed B and the C strip, 5.25 MiB per thread that multiplies. */
const PAGES = (CP + C_BYTES) / 65536;

const P = { a: 0, b: 1, c: 2, mb: 3, nb: 4, kc: 5, ldc: 6 };
const L = { jb: 7, ib: 8, pa: 9, pb: 10, end: 11, cp: 12, v0: 13 };

function i32(n: number): number[] {
  return [op.i32Const, ...sleb(BigInt(n))];
}

/** The kernel's body for `s` (locals as in L; accumulators, B vectors and the splat after v0). */
export function gemmBody(s: KernelShape): number[] {
  const nr = s.lanes * s.nv;
  const acc = (r: number, v: number) => L.v0 + r * s.nv + v;
  const bv = (v: number) => L.v0 + s.mr * s.nv + v;
  const av = L.v0 + s.mr * s.nv + s.nv;
  const splat = s.es === 8 ? simd.load64Splat : simd.load32Splat;
  const add = s.es === 8 ? simd.f64x2Add : simd.f32x4Add;
  const mul = s.es === 8 ? simd.f64x2Mul : simd.f32x4Mul;
  const alignE = s.es === 8 ? 3 : 2;
  const zero = [...simd.const, ...new Array<number>(16).fill(0)];
  const body: number[] = [...i32(0), op.localSet, L.jb];
  // biome-ignore format: one instruction per line of the listing
  body.push(
    op.block, op.void, op.loop, op.void,
    op.localGet, L.jb, op.localGet, P.nb, op.i32GeU, op.brIf, 1,
    ...i32(0), op.localSet, L.ib,
    op.block, op.void, op.loop, op.void,
    op.localGet, L.ib, op.localGet, P.mb, op.i32GeU, op.brIf, 1,
  );
  for (let r = 0; r < s.mr; r++)
    for (let v = 0; v < s.nv; v++) body.push(...zero, op.localSet, acc(r, v));
  // pa = a + ib * kc * MR * es; end = pa + kc * MR * es; pb = b + jb * kc * NR * es
  // biome-ignore format: one instruction per line of the listing
  body.push(
    op.localGet, P.kc, ...i32(s.mr * s.es), op.i32Mul, op.localSet, L.end,
    op.localGet, P.a, op.localGet, L.ib, op.localGet, L.end, op.i32Mul, op.i32Add, op.localTee, L.pa,
    op.localGet, L.end, op.i32Add, op.localSet, L.end,
    op.localGet, P.b, op.localGet, L.jb, op.localGet, P.kc, op.i32Mul, ...i32(nr * s.es), op.i32Mul,
    op.i32Add, op.localSet, L.pb,
    op.block, op.void, op.loop, op.void,
    op.localGet, L.pa, op.localGet, L.end, op.i32GeU, op.brIf, 1,
  );
  for (let u = 0; u < s.unroll; u++) {
    for (let v = 0; v < s.nv; v++)
      // biome-ignore format: one instruction per line of the listing
      body.push(
        op.localGet, L.pb, ...simd.load, 4, ...uleb(16 * v + u * nr * s.es), op.localSet, bv(v),
      );
    for (let r = 0; r < s.mr; r++) {
      // biome-ignore format: one instruction per line of the listing
      body.push(
        op.localGet, L.pa, ...splat, alignE, ...uleb((u * s.mr + r) * s.es), op.localSet, av,
      );
      for (let v = 0; v < s.nv; v++)
        // biome-ignore format: one instruction per line of the listing
        body.push(
          op.localGet, acc(r, v),
          op.localGet, av, op.localGet, bv(v), ...mul,
          ...add, op.localSet, acc(r, v),
        );
    }
  }
  // biome-ignore format: one instruction per line of the listing
  body.push(
    op.localGet, L.pa, ...i32(s.unroll * s.mr * s.es), op.i32Add, op.localSet, L.pa,
    op.localGet, L.pb, ...i32(s.unroll * nr * s.es), op.i32Add, op.localSet, L.pb,
    op.br, 0, op.end, op.end,
    // cp = c + ib * MR * ldc + jb * NR * es
    op.localGet, P.c, op.localGet, L.ib, ...i32(s.mr), op.i32Mul, op.localGet, P.ldc, op.i32Mul,
    op.i32Add, op.localGet, L.jb, ...i32(nr * s.es), op.i32Mul, op.i32Add, op.localSet, L.cp,
  );
  for (let r = 0; r < s.mr; r++) {
    for (let v = 0; v < s.nv; v++)
      // biome-ignore format: one instruction per line of the listing
      body.push(
        op.localGet, L.cp,
        op.localGet, L.cp, ...simd.load, 4, ...uleb(16 * v),
        op.localGet, acc(r, v), ...add,
        ...simd.store, 4, ...uleb(16 * v),
      );
    body.push(op.localGet, L.cp, op.localGet, P.ldc, op.i32Add, op.localSet, L.cp);
  }
  // biome-ignore format: one instruction per line of the listing
  body.push(
    op.localGet, L.ib, ...i32(1), op.i32Add, op.localSet, L.ib,
    op.br, 0, op.end, op.end,
    op.localGet, L.jb, ...i32(1), op.i32Add, op.localSet, L.jb,
    op.br, 0, op.end, op.end,
  );
  return body;
}

function kernel(name: string, s: KernelShape) {
  const vectors = s.mr * s.nv + s.nv + 1;
  return {
    name,
    params: [I32, I32, I32, I32, I32, I32, I32],
    results: [],
    locals: [I32, I32, I32, I32, I32, I32, ...new Array<number>(vectors).fill(V128)],
    body: gemmBody(s),
  };
}

/** The module's bytes: `gemm64` and `gemm32` over one memory of `pages` pages. */
export function matmulModuleBytes(pages = PAGES, f64 = F64_SHAPE, f32 = F32_SHAPE): Uint8Array {
  return encodeModule(pages, [kernel("gemm64", f64), kernel("gemm32", f32)]);
}

/** gemm(a, b, c, mb, nb, kc, ldc): byte offsets into the memory, tile counts, C's row bytes. */
type GemmFn = (
  a: number,
  b: number,
  c: number,
  mb: number,
  nb: number,
  kc: number,
  ldc: number,
) => void;

export interface MatmulWasm {
  readonly gemm64: GemmFn;
  readonly gemm32: GemmFn;
  readonly buffer: ArrayBuffer;
}

let wasm: MatmulWasm | null | undefined;

/** This thread's kernels, or null where WebAssembly SIMD is missing or BARN_NO_WASM=1. */
export function matmulWasm(): MatmulWasm | null {
  if (wasm !== undefined) return wasm;
  const m = instantiate(matmulModuleBytes(PAGES));
  wasm =
    m === null
      ? null
      : {
          gemm64: m.exports.gemm64 as GemmFn,
          gemm32: m.exports.gemm32 as GemmFn,
          buffer: m.buffer,
        };
  return wasm;
}

type Floats = Float64Array | Float32Array;

/**
 * Rows ic .. ic + mc of A (_ x k), columns p0 .. p0 + kc, in MR-row tiles `kcp` deep; the pad
 * rows and the columns past kc are 0.
 */
function packA(
  a: Floats,
  k: number,
  ic: number,
  mc: number,
  p0: number,
  kc: number,
  kcp: number,
  mr: number,
  ap: Floats,
) {
  const mcp = Math.ceil(mc / mr) * mr;
  for (let i = 0; i < mcp; i++) {
    const ib = (i / mr) | 0;
    let o = ib * kcp * mr + i - ib * mr;
    const src = (ic + i) * k + p0;
    const real = i < mc ? kc : 0;
    for (let p = 0; p < real; p++, o += mr) ap[o] = a[src + p]!;
    for (let p = real; p < kcp; p++, o += mr) ap[o] = 0;
  }
}

/**
 * Columns j0 .. j0 + nc of B (k x n), rows p0 .. p0 + kc, in NR-column strips `kcp` deep; the
 * pad columns and the rows past kc are 0.
 */
function packB(
  b: Floats,
  n: number,
  j0: number,
  nc: number,
  p0: number,
  kc: number,
  kcp: number,
  nr: number,
  bp: Floats,
) {
  for (let jb = 0; jb * nr < nc; jb++) {
    const w = Math.min(nr, nc - jb * nr);
    let o = jb * kcp * nr;
    for (let p = 0; p < kc; p++, o += nr) {
      const row = (p0 + p) * n + j0 + jb * nr;
      for (let c = 0; c < nr; c++) bp[o + c] = c < w ? b[row + c]! : 0;
    }
    bp.fill(0, o, o + (kcp - kc) * nr);
  }
}

/**
 * out (m x n) = the sum over q of as[q] (m x ks[q]) times bs[q] (ks[q] x n), by the kernel of
 * `s` (float64 arrays for F64_SHAPE, float32 for F32_SHAPE). The output goes in strips of at
 * most NC columns and C_BYTES: each is summed in the memory over every pair and panel, then
 * copied out once.
 */
export function gemmWasm(
  w: MatmulWasm,
  s: KernelShape,
  as: readonly Floats[],
  bs: readonly Floats[],
  m: number,
  ks: readonly number[],
  n: number,
  out: Floats,
): void {
  const View = s.es === 8 ? Float64Array : Float32Array;
  const ap = new View(w.buffer, AP, MC * KC);
  const bp = new View(w.buffer, BP, KC * NC);
  const cv = new View(w.buffer, CP, C_BYTES / s.es);
  const gemm = s.es === 8 ? w.gemm64 : w.gemm32;
  const nr = s.lanes * s.nv;
  const mr = s.mr;
  const mcs = Math.floor(MC / mr) * mr;
  for (let j0 = 0; j0 < n; j0 += NC) {
    const nc = Math.min(NC, n - j0);
    const ncp = Math.ceil(nc / nr) * nr;
    const ldc = ncp * s.es;
    const rowsMax = Math.floor(C_BYTES / ldc / mcs) * mcs;
    for (let i0 = 0; i0 < m; i0 += rowsMax) {
      const mb = Math.min(rowsMax, m - i0);
      cv.fill(0, 0, Math.ceil(mb / mr) * mr * ncp);
      for (let q = 0; q < as.length; q++) {
        const k = ks[q]!;
        for (let p0 = 0; p0 < k; p0 += KC) {
          const kc = Math.min(KC, k - p0);
          const kcp = Math.ceil(kc / s.unroll) * s.unroll;
          packB(bs[q]!, n, j0, nc, p0, kc, kcp, nr, bp);
          for (let ic = 0; ic < mb; ic += mcs) {
            const mc = Math.min(mcs, mb - ic);
            packA(as[q]!, k, i0 + ic, mc, p0, kc, kcp, mr, ap);
            gemm(AP, BP, CP + ic * ldc, Math.ceil(mc / mr), ncp / nr, kcp, ldc);
          }
        }
      }
      for (let i = 0; i < mb; i++) out.set(cv.subarray(i * ncp, i * ncp + nc), (i0 + i) * n + j0);
    }
  }
}
