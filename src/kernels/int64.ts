/**
 * Exact int64 kernels. An int64 column's values are read as two 32-bit words (a signed high
 * word and an unsigned low word, through Int32Array/Uint32Array views of the same memory), so
 * comparisons, min/max, sort keys and sums are exact over the whole range and allocate no
 * BigInt per row. Arithmetic takes a float64 fast path where both operands and the result are
 * below 2^53 in magnitude (exact there) and falls back to BigInt per row only beyond that.
 *
 * The word views assume a little-endian host (every platform Node runs on).
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import type { CompareOp } from "./compare.js";

/** The high (signed) and low (unsigned) 32-bit words of each value. */
export interface Words {
  readonly hi: Int32Array;
  readonly lo: Uint32Array;
}

const TWO32 = 4294967296;
const TWO53 = 9007199254740992;
const MIN64 = -(2n ** 63n);
const MAX64 = 2n ** 63n - 1n;

/** Views of an int64 column's values as words (no copy). */
export function wordsOf(col: Column): Words {
  const d = col.data as BigInt64Array;
  const n = col.length;
  const i32 = new Int32Array(d.buffer, d.byteOffset, n * 2);
  const u32 = new Uint32Array(d.buffer, d.byteOffset, n * 2);
  return { hi: i32.subarray(1), lo: u32 } as unknown as Words;
}

// wordsOf's views interleave (lo, hi) pairs: row i's words are lo[2i] and hi[2i] (hi is the
// Int32Array view shifted by one element). The loops below index with `2 * i`.

/** Int-like columns (int32, date, bool) widened to int64 words. */
export function widenedWords(col: Column): Words {
  if (col.type === "int64") return wordsOf(col);
  const x = col.data as ArrayLike<number>;
  const n = col.length;
  const hi = new Int32Array(n * 2);
  const lo = new Uint32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    hi[2 * i] = v < 0 ? -1 : 0;
    lo[2 * i] = v >>> 0;
  }
  return { hi, lo };
}

/** Types whose values are integers that widen to int64 exactly. */
export function isIntLike(t: Column["type"]): boolean {
  return t === "int64" || t === "int32" || t === "date" || t === "bool";
}

/** A comparison against a literal, reduced to int64 terms: an exact bigint, or a constant. */
export type Int64Literal =
  | { readonly op: CompareOp; readonly value: bigint }
  | { readonly constant: boolean };

/**
 * `x op v` for every int64 x, as an exact comparison with a bigint or a constant result. A
 * fractional v compares with its floor or ceiling; one beyond the int64 range is above or below
 * every value; NaN is equal to nothing.
 */
export function int64Literal(op: CompareOp, v: number | bigint): Int64Literal {
  if (typeof v === "bigint") {
    if (v > MAX64) return { constant: op === "ne" || op === "lt" || op === "le" };
    if (v < MIN64) return { constant: op === "ne" || op === "gt" || op === "ge" };
    return { op, value: v };
  }
  if (Number.isNaN(v)) return { constant: op === "ne" };
  if (v >= 2 ** 63) return { constant: op === "ne" || op === "lt" || op === "le" };
  if (v < -(2 ** 63)) return { constant: op === "ne" || op === "gt" || op === "ge" };
  if (Number.isInteger(v)) return { op, value: BigInt(v) };
  const f = BigInt(Math.floor(v));
  switch (op) {
    case "eq":
      return { constant: false };
    case "ne":
      return { constant: true };
    case "lt":
    case "le":
      return { op: "le", value: f };
    case "gt":
    case "ge":
      return { op: "gt", value: f };
    default:
      return op satisfies never;
  }
}

function split(v: bigint): [number, number] {
  return [Number(BigInt.asIntN(32, v >> 32n)), Number(BigInt.asUintN(32, v))];
}

/** `x[i] op v` into out[i] (0/1) for rows [0, n). */
export function compareWordsScalar(op: CompareOp, x: Words, v: bigint, out: Uint8Array, n: number) {
  const [sh, sl] = split(v);
  const { hi, lo } = x;
  // The comparisons are combined with | and &, not || and &&: no branch per row.
  switch (op) {
    case "eq":
      for (let i = 0; i < n; i++) out[i] = +(hi[2 * i] === sh) & +(lo[2 * i] === sl);
      return;
    case "ne":
      for (let i = 0; i < n; i++) out[i] = +(hi[2 * i] !== sh) | +(lo[2 * i] !== sl);
      return;
    case "lt":
      for (let i = 0; i < n; i++) {
        const h = hi[2 * i]!;
        out[i] = +(h < sh) | (+(h === sh) & +(lo[2 * i]! < sl));
      }
      return;
    case "le":
      for (let i = 0; i < n; i++) {
        const h = hi[2 * i]!;
        out[i] = +(h < sh) | (+(h === sh) & +(lo[2 * i]! <= sl));
      }
      return;
    case "gt":
      for (let i = 0; i < n; i++) {
        const h = hi[2 * i]!;
        out[i] = +(h > sh) | (+(h === sh) & +(lo[2 * i]! > sl));
      }
      return;
    case "ge":
      for (let i = 0; i < n; i++) {
        const h = hi[2 * i]!;
        out[i] = +(h > sh) | (+(h === sh) & +(lo[2 * i]! >= sl));
      }
      return;
    default:
      op satisfies never;
  }
}

/** `x[i] op y[i]` into out[i] (0/1) for rows [0, n). */
export function compareWords(op: CompareOp, x: Words, y: Words, out: Uint8Array, n: number) {
  for (let i = 0; i < n; i++) {
    const a = hi(x, i);
    const b = hi(y, i);
    const l = x.lo[2 * i]!;
    const m = y.lo[2 * i]!;
    const c = a < b ? -1 : a > b ? 1 : l < m ? -1 : l > m ? 1 : 0;
    out[i] = +holds(op, c);
  }
}

function hi(w: Words, i: number): number {
  return w.hi[2 * i]!;
}

function holds(op: CompareOp, c: number): boolean {
  switch (op) {
    case "eq":
      return c === 0;
    case "ne":
      return c !== 0;
    case "lt":
      return c < 0;
    case "le":
      return c <= 0;
    case "gt":
      return c > 0;
    case "ge":
      return c >= 0;
    default:
      return op satisfies never;
  }
}

/** Order of row i against row j of one int64 column's words (-1, 0, 1). */
export function compareWordRows(w: Words, i: number, j: number): number {
  const a = w.hi[2 * i]!;
  const b = w.hi[2 * j]!;
  if (a !== b) return a < b ? -1 : 1;
  const l = w.lo[2 * i]!;
  const m = w.lo[2 * j]!;
  return l < m ? -1 : l > m ? 1 : 0;
}

/**
 * An int64 result outside [-2^63, 2^63). Kernels import nothing outside kernels/, so the frame
 * layer turns this into BARN_FRAME_OVERFLOW (collections/frame/errors.ts `overflowToBarn`).
 */
export class Int64OverflowError extends Error {
  constructor(what: string) {
    super(`${what} overflows int64 (the result is outside [-2^63, 2^63 - 1])`);
    this.name = "Int64OverflowError";
  }
}

function int64Overflow(what: string): Int64OverflowError {
  return new Int64OverflowError(what);
}

/** An int64 arithmetic operator (division gives float64 and is not here). */
export type Int64Op = "add" | "sub" | "mul";

/**
 * `a op b` exactly, row by row (null rows give 0 under the caller's validity); b is words or a
 * bigint. Throws an overflow error when a valid row's result leaves the int64 range.
 */
export function arithWords(
  op: Int64Op,
  a: Words,
  b: Words | bigint,
  valid: Uint8Array | undefined,
  n: number,
): BigInt64Array {
  const out = new BigInt64Array(n);
  const oh = new Int32Array(out.buffer);
  const ol = new Uint32Array(out.buffer);
  const scalar = typeof b === "bigint";
  const sh = scalar ? split(b)[0] : 0;
  const bs = scalar ? Number(b) : 0;
  const scalarSafe = scalar && bs > -TWO53 && bs < TWO53;
  for (let i = 0; i < n; i++) {
    const ah = a.hi[2 * i]!;
    const bh = scalar ? sh : (b as Words).hi[2 * i]!;
    // Operands below 2^53 in magnitude (high word within ±2^21) are exact as doubles, and so is
    // a result below 2^53; only other rows take BigInt.
    if (
      ah >= -0x200000 &&
      ah < 0x200000 &&
      (scalar ? scalarSafe : bh >= -0x200000 && bh < 0x200000)
    ) {
      const x = ah * TWO32 + a.lo[2 * i]!;
      const y = scalar ? bs : bh * TWO32 + (b as Words).lo[2 * i]!;
      const r = op === "add" ? x + y : op === "sub" ? x - y : x * y;
      if (r > -TWO53 && r < TWO53) {
        const h = Math.floor(r / TWO32);
        oh[2 * i + 1] = h;
        ol[2 * i] = r - h * TWO32;
        continue;
      }
    }
    if (!isValid(valid, i)) continue;
    const x = BigInt(ah) * 4294967296n + BigInt(a.lo[2 * i]!);
    const y = scalar ? b : BigInt(bh) * 4294967296n + BigInt((b as Words).lo[2 * i]!);
    const r = op === "add" ? x + y : op === "sub" ? x - y : x * y;
    if (r < MIN64 || r > MAX64) throw int64Overflow(`int64 ${op} (row ${i}: ${x} and ${y})`);
    out[i] = r;
  }
  return out;
}

/**
 * Exact per-group sums of an int64 column as two float64 states: value = hi * 2^32 + lo, with
 * lo normalised into [0, 2^32). Each is an exact integer while it stays below 2^53, which the
 * normalisation every CHUNK rows guarantees for lo and the int64 range bounds for hi.
 */
export function sumInt64By(
  ids: Int32Array,
  groups: number,
  col: Column,
): { hi: Float64Array; lo: Float64Array; count: Float64Array } {
  const w = wordsOf(col);
  const v = col.valid;
  const n = col.length;
  const hiS = new Float64Array(groups);
  const loS = new Float64Array(groups);
  const count = new Float64Array(groups);
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK);
    for (let i = start; i < end; i++) {
      if (v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const g = ids[i]!;
      hiS[g]! += w.hi[2 * i]!;
      loS[g]! += w.lo[2 * i]!;
      count[g]!++;
    }
    normalise(hiS, loS);
  }
  return { hi: hiS, lo: loS, count };
}

/** Rows summed between normalisations: 2^20 low words stay below 2^52. */
const CHUNK = 1 << 20;

/** Carries each lo's multiples of 2^32 into its hi. */
export function normalise(hiS: Float64Array, loS: Float64Array): void {
  for (let g = 0; g < hiS.length; g++) {
    const l = loS[g]!;
    if (l >= 0 && l < TWO32) continue;
    const c = Math.floor(l / TWO32);
    hiS[g]! += c;
    loS[g] = l - c * TWO32;
  }
}

/** The int64 column of sums from (hi, lo) states; throws when a group's sum leaves int64. */
export function int64Sums(hiS: Float64Array, loS: Float64Array, what: string): BigInt64Array {
  const out = new BigInt64Array(hiS.length);
  for (let g = 0; g < hiS.length; g++) {
    const s = BigInt(hiS[g]!) * 4294967296n + BigInt(loS[g]!);
    if (s < MIN64 || s > MAX64) throw int64Overflow(what);
    out[g] = s;
  }
  return out;
}

/** The row holding each group's min (or max) valid value, -1 for a group with none. */
export function argExtremeInt64By(
  ids: Int32Array,
  groups: number,
  col: Column,
  max: boolean,
): Int32Array {
  const best = new Int32Array(groups).fill(-1);
  const w = wordsOf(col);
  const v = col.valid;
  for (let i = 0; i < col.length; i++) {
    if (v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    const g = ids[i]!;
    const b = best[g]!;
    if (b < 0) best[g] = i;
    else {
      const c = compareWordRows(w, i, b);
      if (max ? c > 0 : c < 0) best[g] = i;
    }
  }
  return best;
}
