/**
 * The uniform generator's kernel: element g of key k is splitmix64's output for the state
 * k + (g + 1) * GAMMA, its top 53 bits scaled to [0, 1). In WebAssembly the state and the mix
 * are a handful of i64 operations per double, and a call passes the element number as a double
 * (exact below 2^53) so no BigInt is made per call; `fillJS` computes the same values with 32-bit
 * halves for a runtime without WebAssembly (and as the tests' reference).
 *
 *   (global $key (mut i64) (i64.const 0))
 *   (func $setKey (param $k i64) (global.set $key (local.get $k)))
 *   (func $fill (param $n i32) (param $g f64) (local $p i32) (local $end i32) (local $z i64)
 *               (local $s i64)
 *     (local.set $s (i64.add (global.get $key)
 *                            (i64.mul (i64.trunc_f64_u (local.get $g)) (i64.const GAMMA))))
 *     (local.set $end (i32.shl (local.get $n) (i32.const 3)))
 *     (block (loop
 *       (br_if 1 (i32.ge_u (local.get $p) (local.get $end)))
 *       (local.set $s (i64.add (local.get $s) (i64.const GAMMA)))
 *       z = s; z = (z ^ z >>> 30) * M1; z = (z ^ z >>> 27) * M2; z ^= z >>> 31
 *       (f64.store (local.get $p) (f64.mul (f64.convert_i64_s (i64.shr_u z 11)) 2^-53))
 *       ... the same three more times, at offsets 8, 16, 24 ...
 *       (local.set $p (i32.add (local.get $p) (i32.const 32)))
 *       (br 0))))
 */
import {
  encodeModule,
  F64,
  f64bytes,
  I32,
  I64,
  instantiate,
  op,
  sleb,
  uleb,
} from "./wasm-encode.js";

export const GAMMA = 0x9e3779b97f4a7c15n;
const M1 = 0xbf58476d1ce4e5b9n;
const M2 = 0x94d049bb133111ebn;
const MASK = (1n << 64n) - 1n;
/** Doubles per call: the output stays in the wasm memory's first 32 KiB (L1-resident). */
export const WASM_BLOCK = 4096;
/** Doubles per fillRows call (1 MiB), and the memory: that plus room for a run's overrun. */
export const WASM_BOX = 131072;
/**
 * Byte offset of a page the generator never writes: scratch for modules that import its
 * memory to work on its tiles in place (exec/fold-wasm.ts).
 */
export const SCRATCH_AT = 17 * 65536;
const PAGES = 18;
/** Elements per loop turn: a call makes its count rounded up to a multiple of this. */
const UNROLL = 4;

/** splitmix64's mix, on BigInts (keys, tests). */
export function mix64(x: bigint): bigint {
  let z = x & MASK;
  z = ((z ^ (z >> 30n)) * M1) & MASK;
  z = ((z ^ (z >> 27n)) * M2) & MASK;
  return z ^ (z >> 31n);
}

/** The per-seed key: the seed mixed, so nearby seeds start far apart on the sequence. */
export function keyOf(seed: number): bigint {
  return mix64(BigInt(seed) ^ 0x6a09e667f3bcc908n);
}

/** The state just before element g: key + g * GAMMA (mod 2^64). */
export function stateAt(key: bigint, g: number): bigint {
  return (key + BigInt(g) * GAMMA) & MASK;
}

/** Local indices of the pointer, mixed value and state in a function's body. */
interface Locals {
  readonly p: number;
  readonly z: number;
  readonly s: number;
}

/** stack [z] -> [(z ^ z >>> shift) * mul] (no multiply when `mul` is undefined). */
function mixStep(L: Locals, shift: number, mul: bigint | undefined): number[] {
  // biome-ignore format: one instruction per line of the listing
  const out = [
    op.localTee, L.z,
    op.localGet, L.z, op.i64Const, ...sleb(BigInt(shift)), op.i64ShrU,
    op.i64Xor,
  ];
  if (mul !== undefined) out.push(op.i64Const, ...sleb(mul), op.i64Mul);
  return out;
}

/** One element: f64.store at p + 8 * u of the next state's mixed top 53 bits times 2^-53. */
function element(L: Locals, u: number): number[] {
  // biome-ignore format: one instruction per line of the listing
  return [
    op.localGet, L.p,
    op.localGet, L.s, op.i64Const, ...sleb(GAMMA), op.i64Add, op.localTee, L.s,
    ...mixStep(L, 30, M1),
    ...mixStep(L, 27, M2),
    ...mixStep(L, 31, undefined),
    op.i64Const, 11, op.i64ShrU,
    op.f64ConvertI64S,
    op.f64Const, ...f64bytes(2 ** -53),
    op.f64Mul,
    op.f64Store, 3, ...uleb(8 * u),
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

/** Elements from p up to `end` (rounded up to a multiple of UNROLL), four per turn. */
function run(L: Locals, end: number): number[] {
  // biome-ignore format: one instruction per line of the listing
  const body = [
    op.block, op.void,
    op.loop, op.void,
    op.localGet, L.p, op.localGet, end, op.i32GeU, op.brIf, 1,
  ];
  for (let u = 0; u < UNROLL; u++) body.push(...element(L, u));
  // biome-ignore format: one instruction per line of the listing
  body.push(
    op.localGet, L.p, op.i32Const, ...sleb(BigInt(8 * UNROLL)), op.i32Add, op.localSet, L.p,
    op.br, 0,
    op.end,
    op.end,
  );
  return body;
}

/**
 * fill(n, g): elements [g, g + n) at 0 (four per turn: about 20% faster than one, less loop
 * overhead). Locals: 0 n, 1 g, 2 p, 3 end, 4 z, 5 s.
 */
function fillBody(): number[] {
  const L = { p: 2, z: 4, s: 5 };
  // biome-ignore format: one instruction per line of the listing
  return [
    ...stateFrom(1, L.s),
    op.localGet, 0, op.i32Const, 3, op.i32Shl, op.localSet, 3,
    ...run(L, 3),
  ];
}

/**
 * fillRows(rows, len, g, stride): `rows` runs of `len` elements, run r from element
 * g + r * stride, one after another at 0 (a run's rounding-up overrun is overwritten by the
 * next run). Locals: 0 rows, 1 len, 2 g, 3 stride, 4 p, 5 end, 6 z, 7 s, 8 r. With `at`,
 * fillRowsAt(rows, len, g, stride, at): the same from byte `at` (param 4; the locals one on).
 */
function fillRowsBody(at = false): number[] {
  const o = at ? 1 : 0;
  const L = { p: 4 + o, z: 6 + o, s: 7 + o };
  const end = 5 + o;
  const r = 8 + o;
  // biome-ignore format: one instruction per line of the listing
  return [
    ...(at ? [op.localGet, 4, op.localSet, L.p] : []),
    op.block, op.void,
    op.loop, op.void,
    op.localGet, r, op.localGet, 0, op.i32GeU, op.brIf, 1,
    ...stateFrom(2, L.s),
    op.localGet, L.p, op.localGet, 1, op.i32Const, 3, op.i32Shl, op.i32Add, op.localSet, end,
    ...run(L, end),
    op.localGet, end, op.localSet, L.p,
    op.localGet, 2, op.localGet, 3, op.f64Add, op.localSet, 2,
    op.localGet, r, op.i32Const, 1, op.i32Add, op.localSet, r,
    op.br, 0,
    op.end,
    op.end,
  ];
}

/** The module's bytes (exported for the test that checks them against the JS reference). */
export function randomModuleBytes(): Uint8Array {
  return encodeModule(
    PAGES,
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
        locals: [I32, I32, I64, I64],
        body: fillBody(),
      },
      {
        name: "fillRows",
        params: [I32, I32, F64, F64],
        results: [],
        locals: [I32, I32, I64, I64, I32],
        body: fillRowsBody(),
      },
      {
        name: "fillRowsAt",
        params: [I32, I32, F64, F64, I32],
        results: [],
        locals: [I32, I32, I64, I64, I32],
        body: fillRowsBody(true),
      },
    ],
    [I64],
  );
}

interface WasmFill {
  readonly setKey: (k: bigint) => void;
  /** Elements [g, g + n) of the key last set, rounded up to a multiple of 4, at view[0..]. */
  readonly fill: (n: number, g: number) => void;
  /** `rows` runs of `len` elements, run r from element g + r * stride, at box[0..]. */
  readonly fillRows: (rows: number, len: number, g: number, stride: number) => void;
  /** fillRows from byte `at` of the memory. */
  readonly fillRowsAt: (rows: number, len: number, g: number, stride: number, at: number) => void;
  readonly memory: ArrayBuffer;
  /** The WebAssembly.Memory itself, for modules that import it. */
  readonly memoryObject: object;
  readonly view: Float64Array;
  readonly box: Float64Array;
  key: bigint;
}

let wasm: WasmFill | null | undefined;

/** The compiled kernel, or null where WebAssembly is missing (the JS fallback runs then). */
export function wasmFill(): WasmFill | null {
  if (wasm !== undefined) return wasm;
  const m = instantiate(randomModuleBytes());
  wasm =
    m === null
      ? null
      : {
          setKey: m.exports.setKey as (k: bigint) => void,
          fill: m.exports.fill as (n: number, g: number) => void,
          fillRows: m.exports.fillRows as (r: number, l: number, g: number, s: number) => void,
          fillRowsAt: m.exports.fillRowsAt as (
            r: number,
            l: number,
            g: number,
            s: number,
            at: number,
          ) => void,
          memory: m.buffer,
          memoryObject: m.exports.mem as object,
          view: new Float64Array(m.buffer, 0, WASM_BLOCK),
          box: new Float64Array(m.buffer, 0, WASM_BOX),
          key: -1n,
        };
  return wasm;
}

/** 32x32 -> 64-bit product's high word plus the low word, exactly, in doubles. */
function mul64(hi: number, lo: number, chi: number, clo: number): [number, number] {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const b0 = clo & 0xffff;
  const b1 = clo >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const rlo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  const carry = p11 + (p01 >>> 16) + (p10 >>> 16) + Math.floor(mid / 65536);
  const rhi = (carry + Math.imul(lo, chi) + Math.imul(hi, clo)) >>> 0;
  return [rhi, rlo];
}

const G_HI = Number(GAMMA >> 32n);
const G_LO = Number(GAMMA & 0xffffffffn);
const M1_HI = Number(M1 >> 32n);
const M1_LO = Number(M1 & 0xffffffffn);
const M2_HI = Number(M2 >> 32n);
const M2_LO = Number(M2 & 0xffffffffn);

/** The same values as the wasm kernel, in 32-bit JavaScript: n doubles from state s into out[at..]. */
export function fillJS(out: Float64Array, at: number, n: number, s: bigint): void {
  let hi = Number(s >> 32n) >>> 0;
  let lo = Number(s & 0xffffffffn) >>> 0;
  for (let i = 0; i < n; i++) {
    const nlo = lo + G_LO;
    hi = (hi + G_HI + (nlo > 0xffffffff ? 1 : 0)) >>> 0;
    lo = nlo >>> 0;
    // z ^= z >>> 30, then * M1
    let zl = (lo ^ ((lo >>> 30) | (hi << 2))) >>> 0;
    let zh = (hi ^ (hi >>> 30)) >>> 0;
    [zh, zl] = mul64(zh, zl, M1_HI, M1_LO);
    zl = (zl ^ ((zl >>> 27) | (zh << 5))) >>> 0;
    zh = (zh ^ (zh >>> 27)) >>> 0;
    [zh, zl] = mul64(zh, zl, M2_HI, M2_LO);
    zl = (zl ^ ((zl >>> 31) | (zh << 1))) >>> 0;
    zh = (zh ^ (zh >>> 31)) >>> 0;
    out[at + i] = (zh * 2097152 + (zl >>> 11)) / 9007199254740992;
  }
}

/** Below this many elements a plain loop copies faster than a subarray and set(). */
const SMALL = 256;

/** Uniform doubles for elements [g, g + len) of key `key` (g + len <= 2^53) into out[at ..]. */
export function fillUniform(
  out: Float64Array,
  at: number,
  g: number,
  len: number,
  key: bigint,
): void {
  const w = wasmFill();
  if (w === null) {
    fillJS(out, at, len, stateAt(key, g));
    return;
  }
  if (w.key !== key) {
    w.setKey(key);
    w.key = key;
  }
  const view = w.view;
  let done = 0;
  while (done < len) {
    const n = Math.min(WASM_BLOCK, len - done);
    w.fill(n, g + done);
    const o = at + done;
    if (n === WASM_BLOCK) out.set(view, o);
    else if (n >= SMALL) out.set(view.subarray(0, n), o);
    else for (let i = 0; i < n; i++) out[o + i] = view[i]!;
    done += n;
  }
}

/** Doubles per tile slot of `tileInBox` (a 64 x 64 tile, its overrun, and some room). */
const SLOT = 4104;
/** Tile slots: two, beside each other in the memory's first 66 KiB. */
export const TILE_SLOTS = 2;
const slotViews = new Map<number, Float64Array>();

/**
 * `rows` runs of `len` uniforms (rows * len <= 4096), run r from element g0 + r * stride, one
 * after another in tile slot `slot` of the kernel's own memory: a view, valid until the next
 * fill of that slot or of the box, so a caller holding two tiles at once copies neither. Null
 * without WebAssembly.
 */
export function tileInBox(
  slot: number,
  g0: number,
  stride: number,
  rows: number,
  len: number,
  key: bigint,
): Float64Array | null {
  const w = wasmFill();
  if (w === null || rows * len > 4096 || slot < 0 || slot >= TILE_SLOTS) return null;
  if (w.key !== key) {
    w.setKey(key);
    w.key = key;
  }
  w.fillRowsAt(rows, len, g0, stride, slot * SLOT * 8);
  const n = rows * len;
  const k = slot * 8192 + n;
  let v = slotViews.get(k);
  if (v === undefined) {
    if (slotViews.size >= 256) slotViews.clear();
    v = new Float64Array(w.memory, slot * SLOT * 8, n);
    slotViews.set(k, v);
  }
  return v;
}

const prefixes = new Map<number, Float64Array>();

/** The box's first n doubles: views kept by length, as a tile's few sizes recur per call. */
function boxPrefix(w: WasmFill, n: number): Float64Array {
  if (n === WASM_BOX) return w.box;
  let v = prefixes.get(n);
  if (v === undefined) {
    if (prefixes.size >= 64) prefixes.clear();
    v = w.box.subarray(0, n);
    prefixes.set(n, v);
  }
  return v;
}

/**
 * `rows` runs of `len` uniforms, run r from element g0 + r * stride, written one after another
 * into out[at ..]: a box of a chunk (rows of a 2-d block, or a slab's columns) in one call per
 * MiB rather than one per run.
 */
export function fillRowsUniform(
  out: Float64Array,
  at: number,
  g0: number,
  stride: number,
  rows: number,
  len: number,
  key: bigint,
): void {
  const w = wasmFill();
  if (w === null || len > WASM_BOX) {
    for (let r = 0; r < rows; r++) fillUniform(out, at + r * len, g0 + r * stride, len, key);
    return;
  }
  if (w.key !== key) {
    w.setKey(key);
    w.key = key;
  }
  const per = Math.floor(WASM_BOX / len);
  for (let r0 = 0; r0 < rows; r0 += per) {
    const n = Math.min(per, rows - r0);
    w.fillRows(n, len, g0 + r0 * stride, stride);
    out.set(boxPrefix(w, n * len), at + r0 * len);
  }
}
