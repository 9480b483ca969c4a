/**
 * A minimal WebAssembly binary encoder: just enough to build the array kernels' small modules
 * (exec/random-wasm.ts, exec/matmul-wasm.ts) from TypeScript at load time, so the repo needs
 * no assembler and no committed binary. Each function body is written as opcode bytes with the
 * helpers below; the module has one exported memory and the exported functions.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 of a 64-bit value (as a BigInt, two's complement for values >= 2^63). */
export function sleb(x: bigint): number[] {
  let v = BigInt.asIntN(64, x);
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** A float64 immediate, little-endian. */
export function f64bytes(x: number): number[] {
  const b = new Uint8Array(new Float64Array([x]).buffer);
  return [...b];
}

function name(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** One function: its signature, its extra locals (type per local) and its body's opcodes. */
export interface WasmFunc {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly number[];
  readonly body: readonly number[];
}

/**
 * A module with one memory of `pages` 64 KiB pages (exported as "mem"), the functions, and
 * `globals` mutable globals of the given types (initialised to zero, private to the module).
 * With `importMemory`, the memory is not the module's own but imported as "env"."mem" (at least
 * `pages`), so modules built apart work on the same bytes.
 */
export function encodeModule(
  pages: number,
  funcs: readonly WasmFunc[],
  globals: readonly number[] = [],
  importMemory = false,
): Uint8Array {
  const types = vec(
    funcs.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec(f.results.map((t) => [t]))]),
  );
  const fnIdx = vec(funcs.map((_, i) => uleb(i)));
  const mem = vec([[0x00, ...uleb(pages)]]);
  const imports = vec([[...name("env"), ...name("mem"), 0x02, 0x00, ...uleb(pages)]]);
  const zero = (t: number) =>
    t === I64 ? [0x42, 0] : t === F64 ? [0x44, 0, 0, 0, 0, 0, 0, 0, 0] : [0x41, 0];
  const globalSec = vec(globals.map((t) => [t, 0x01, ...zero(t), 0x0b]));
  const exports = vec([
    [...name("mem"), 0x02, 0x00],
    ...funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]),
  ]);
  const codes = vec(
    funcs.map((f) => {
      const locals = vec(f.locals.map((t) => [0x01, t]));
      const body = [...locals, ...f.body, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...(importMemory ? section(2, imports) : []),
    ...section(3, fnIdx),
    ...(importMemory ? [] : section(5, mem)),
    ...(globals.length > 0 ? section(6, globalSec) : []),
    ...section(7, exports),
    ...section(10, codes),
  ]);
}

/** Opcodes used by the kernels (names as in the WebAssembly text format). */
export const op = {
  block: 0x02,
  loop: 0x03,
  void: 0x40,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Const: 0x41,
  i64Const: 0x42,
  f64Const: 0x44,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32GeU: 0x4f,
  i32GeS: 0x4e,
  i32LtS: 0x48,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32Shl: 0x74,
  i64Add: 0x7c,
  i64Mul: 0x7e,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  f64Abs: 0x99,
  f64Neg: 0x9a,
  f64Ceil: 0x9b,
  f64Floor: 0x9c,
  f64Sqrt: 0x9f,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  i64TruncF64U: 0xb1,
  f64ConvertI64S: 0xb9,
} as const;

/**
 * The SIMD (0xfd-prefixed) opcodes the kernels use, as byte sequences; loads and stores take a
 * memarg (alignment exponent, offset) after them.
 */
export const simd = {
  load: [0xfd, 0x00],
  load32Splat: [0xfd, 0x09],
  load64Splat: [0xfd, 0x0a],
  store: [0xfd, 0x0b],
  const: [0xfd, 0x0c],
  and: [0xfd, 0x4e],
  andnot: [0xfd, 0x4f],
  or: [0xfd, 0x50],
  xor: [0xfd, 0x51],
  i64x2Splat: [0xfd, 0x12],
  i64x2ShrS: [0xfd, ...uleb(204)],
  i64x2ShrU: [0xfd, ...uleb(205)],
  i64x2Add: [0xfd, ...uleb(206)],
  i64x2Mul: [0xfd, ...uleb(213)],
  f32x4Add: [0xfd, ...uleb(228)],
  f32x4Mul: [0xfd, ...uleb(230)],
  f64x2Add: [0xfd, ...uleb(240)],
  f64x2Sub: [0xfd, ...uleb(241)],
  f64x2Mul: [0xfd, ...uleb(242)],
  f64x2Div: [0xfd, ...uleb(243)],
  f64x2Abs: [0xfd, ...uleb(236)],
  f64x2Neg: [0xfd, ...uleb(237)],
  f64x2Sqrt: [0xfd, ...uleb(239)],
  f64x2Ceil: [0xfd, ...uleb(116)],
  f64x2Floor: [0xfd, ...uleb(117)],
  /** v128.load64_zero: a double into lane 0, lane 1 zero (memarg follows). */
  load64Zero: [0xfd, ...uleb(93)],
  /** v128.load64_lane: a double into one lane of a vector (memarg, then the lane). */
  load64Lane: [0xfd, ...uleb(87)],
} as const;

/** v128.const of two 64-bit lanes. */
export function v128Const2(lo: bigint, hi: bigint): number[] {
  const b = new Uint8Array(
    new BigUint64Array([BigInt.asUintN(64, lo), BigInt.asUintN(64, hi)]).buffer,
  );
  return [...simd.const, ...b];
}

/** The WebAssembly API as used here (the project's TypeScript lib, ES2023, has no wasm typings). */
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (
    module: object,
    imports: object,
  ) => { readonly exports: Record<string, unknown> };
  readonly validate: (bytes: Uint8Array) => boolean;
}

/**
 * The module's exports and its memory's buffer, or null where this runtime has no WebAssembly,
 * rejects the module (an engine without SIMD), or `BARN_NO_WASM=1` asks for the JS fallbacks.
 */
export function instantiate(
  bytes: Uint8Array,
  memory?: object,
): { exports: Record<string, unknown>; buffer: ArrayBuffer } | null {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined || process.env.BARN_NO_WASM === "1" || !api.validate(bytes)) return null;
  const inst = new api.Instance(
    new api.Module(bytes),
    memory === undefined ? {} : { env: { mem: memory } },
  );
  const mem = inst.exports.mem as { buffer: ArrayBuffer };
  return { exports: inst.exports, buffer: mem.buffer };
}
