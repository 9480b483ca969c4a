/**
 * The uniform generator's kernel in WebAssembly SIMD: the same splitmix64 values as the scalar
 * kernel (exec/random-wasm.ts), two states per i64x2 vector. The top 53 bits become a double
 * exactly without a 64-bit integer conversion (SIMD has none): with x the double whose bits are
 * 1.0's exponent over bits 62..11 of z (so x = 1 + low * 2^-52) and t z's top bit, the value
 * (t * 2^52 + low) * 2^-53 is (x - (t ? 0 : 1)) * 0.5, each step exact.
 *
 *   fill(n, g): v0 = splat(key + g * GAMMA) + [GAMMA, 2 GAMMA], v1 = .. + [3 GAMMA, 4 GAMMA]
 *     loop: store mix(v0) at p, mix(v1) at p + 16; v0 += 4 GAMMA; v1 += 4 GAMMA; p += 32
 */
import { GAMMA } from "../src/collections/array/exec/random-wasm.js";
import {
  encodeModule,
  F64,
  I32,
  I64,
  instantiate,
  op,
  simd,
  sleb,
  uleb,
  V128,
  v128Const2,
} from "../src/collections/array/exec/wasm-encode.js";

const M1 = 0xbf58476d1ce4e5b9n;
const M2 = 0x94d049bb133111ebn;
const ONE = 0x3ff0000000000000n;
const M52 = (1n << 52n) - 1n;
const HALF = 0x3fe0000000000000n;

/** Locals of a SIMD run: pointer, the two state vectors, the two mix vectors. */
interface VLocals {
  readonly p: number;
  readonly v: readonly [number, number];
  readonly z: readonly [number, number];
}

/** stack [z] -> [(z ^ z >>> shift) * mul] on both lanes (no multiply when `mul` is undefined). */
function vmix(z: number, shift: number, mul: bigint | undefined): number[] {
  // biome-ignore format: one instruction per line of the listing
  const out = [
    op.localTee, z,
    op.localGet, z, op.i32Const, shift, ...simd.i64x2ShrU,
    ...simd.xor,
  ];
  if (mul !== undefined) out.push(...v128Const2(mul, mul), ...simd.i64x2Mul);
  return out;
}

/** Two elements: v128.store at p + off of the doubles of the states in local `v`. */
function pair(L: VLocals, u: 0 | 1, off: number): number[] {
  const z = L.z[u];
  // biome-ignore format: one instruction per line of the listing
  return [
    op.localGet, L.p,
    op.localGet, L.v[u],
    ...vmix(z, 30, M1),
    ...vmix(z, 27, M2),
    ...vmix(z, 31, undefined),
    op.localTee, z,
    op.i32Const, 11, ...simd.i64x2ShrU, ...v128Const2(M52, M52), ...simd.and,
    ...v128Const2(ONE, ONE), ...simd.or,
    ...v128Const2(ONE, ONE), op.localGet, z, op.i32Const, 63, ...simd.i64x2ShrS, ...simd.andnot,
    ...simd.f64x2Sub,
    ...v128Const2(HALF, HALF), ...simd.f64x2Mul,
    ...simd.store, 3, ...uleb(off),
  ];
}

/** v0, v1 = splat(s) + [GAMMA, 2 GAMMA], splat(s) + [3 GAMMA, 4 GAMMA], for the i64 local s. */
function initVectors(L: VLocals, s: number): number[] {
  const out: number[] = [];
  for (const u of [0, 1] as const) {
    const a = BigInt(2 * u + 1) * GAMMA;
    // biome-ignore format: one instruction per line of the listing
    out.push(
      op.localGet, s, ...simd.i64x2Splat, ...v128Const2(a, a + GAMMA), ...simd.i64x2Add,
      op.localSet, L.v[u],
    );
  }
  return out;
}

/** Elements from p up to `end` (rounded up to a multiple of 4), four per turn. */
function vrun(L: VLocals, end: number): number[] {
  const g4 = 4n * GAMMA;
  // biome-ignore format: one instruction per line of the listing
  return [
    op.block, op.void,
    op.loop, op.void,
    op.localGet, L.p, op.localGet, end, op.i32GeU, op.brIf, 1,
    ...pair(L, 0, 0),
    ...pair(L, 1, 16),
    op.localGet, L.v[0], ...v128Const2(g4, g4), ...simd.i64x2Add, op.localSet, L.v[0],
    op.localGet, L.v[1], ...v128Const2(g4, g4), ...simd.i64x2Add, op.localSet, L.v[1],
    op.localGet, L.p, op.i32Const, 32, op.i32Add, op.localSet, L.p,
    op.br, 0,
    op.end,
    op.end,
  ];
}

/** s = key + trunc(g) * GAMMA, for the double in local `g`. */
function stateFrom(g: number, s: number): number[] {
  // biome-ignore format: one instruction per line of the listing
  return [
    op.globalGet, 0,
    op.localGet, g, op.i64TruncF64U, op.i64Const, ...sleb(GAMMA), op.i64Mul,
    op.i64Add, op.localSet, s,
  ];
}

/** fill(n, g). Locals: 0 n, 1 g, 2 p, 3 end, 4 s, 5 v0, 6 v1, 7 z0, 8 z1. */
function fillBody(): number[] {
  const L: VLocals = { p: 2, v: [5, 6], z: [7, 8] };
  // biome-ignore format: one instruction per line of the listing
  return [
    ...stateFrom(1, 4),
    ...initVectors(L, 4),
    op.localGet, 0, op.i32Const, 3, op.i32Shl, op.localSet, 3,
    ...vrun(L, 3),
  ];
}

/**
 * fillRows(rows, len, g, stride), as the scalar kernel's. Locals: 0 rows, 1 len, 2 g, 3 stride,
 * 4 p, 5 end, 6 s, 7 r, 8 v0, 9 v1, 10 z0, 11 z1.
 */
function fillRowsBody(): number[] {
  const L: VLocals = { p: 4, v: [8, 9], z: [10, 11] };
  // biome-ignore format: one instruction per line of the listing
  return [
    op.block, op.void,
    op.loop, op.void,
    op.localGet, 7, op.localGet, 0, op.i32GeU, op.brIf, 1,
    ...stateFrom(2, 6),
    ...initVectors(L, 6),
    op.localGet, L.p, op.localGet, 1, op.i32Const, 3, op.i32Shl, op.i32Add, op.localSet, 5,
    ...vrun(L, 5),
    op.localGet, 5, op.localSet, L.p,
    op.localGet, 2, op.localGet, 3, op.f64Add, op.localSet, 2,
    op.localGet, 7, op.i32Const, 1, op.i32Add, op.localSet, 7,
    op.br, 0,
    op.end,
    op.end,
  ];
}

/** The SIMD module, with the scalar module's exports (setKey, fill, fillRows) and memory. */
export function randomSimdModuleBytes(pages: number): Uint8Array {
  return encodeModule(
    pages,
    [
      {
        name: "setKey",
        params: [I64],
        results: [],
        locals: [],
        body: [op.localGet, 0, op.globalSet, 0],
      },
      {
        name: "fill",
        params: [I32, F64],
        results: [],
        locals: [I32, I32, I64, V128, V128, V128, V128],
        body: fillBody(),
      },
      {
        name: "fillRows",
        params: [I32, I32, F64, F64],
        results: [],
        locals: [I32, I32, I64, I32, V128, V128, V128, V128],
        body: fillRowsBody(),
      },
    ],
    [I64],
  );
}

/** The SIMD kernel's exports, as the scalar kernel's (for the tests and bench/array-kernels.ts). */
export interface SimdFill {
  readonly setKey: (k: bigint) => void;
  readonly fill: (n: number, g: number) => void;
  readonly fillRows: (rows: number, len: number, g: number, stride: number) => void;
  /** The memory, where fill and fillRows write from offset 0. */
  readonly view: Float64Array;
}

/** A new instance of the SIMD kernel (17 pages, as the scalar one), or null without SIMD. */
export function simdFill(): SimdFill | null {
  const m = instantiate(randomSimdModuleBytes(17));
  if (m === null) return null;
  return {
    setKey: m.exports.setKey as SimdFill["setKey"],
    fill: m.exports.fill as SimdFill["fill"],
    fillRows: m.exports.fillRows as SimdFill["fillRows"],
    view: new Float64Array(m.buffer),
  };
}
