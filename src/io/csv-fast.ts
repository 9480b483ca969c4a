/**
 * The CSV reader's fast path for parts without quote characters (the common, machine-written
 * case): fields located by byte offsets (csv-scan.ts `scanUnquoted`, a chunk of rows at a time)
 * are converted straight from the bytes into typed arrays by one builder per column, with no
 * string per field. Int32s and floats in plain decimal notation and canonical ISO timestamps
 * are parsed from bytes; anything else falls back to the text parsers
 * on a decoded copy of that one field, so results match the general path exactly. Strings are
 * copied as bytes (utf8) or interned with an open-addressing hash of their bytes (dict).
 */

import type { Column, DType } from "../kernels/batch.js";
import { bytesEqual } from "../kernels/strings.js";
import { utf8Column } from "./columns.js";
import type { FieldChunk } from "./csv-scan.js";
import { fit, growTo, NullRows, type NumberArray } from "./growable.js";
import type { OnBadValue } from "./text-columns.js";
import { daysFromCivil, isCivilDate, parseAs } from "./text-values.js";

const decoder = new TextDecoder();
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];
const DAY_MS = 86_400_000;

/**
 * Builds one column from chunks of located fields (`add`, rows in order), then `finish`. The
 * output arrays are allocated for `capacity` rows (an estimate: grown when short; pages past the
 * rows written are never touched) and cut to the rows read.
 */
export interface ColumnBuilder {
  /** Converts field `t` of every row of `chunk`; false when `onBad` asked to stop. */
  add(bytes: Uint8Array, chunk: FieldChunk, t: number, rowBase: number): boolean;
  /** The column of the `length` rows added (`bytes` must still hold the fields). */
  finish(bytes: Uint8Array, length: number): Column;
}

/** A builder of a column of `type` from fields in bytes; `nulls` are the null spellings. */
export function columnBuilder(
  type: DType,
  capacity: number,
  nulls: readonly Uint8Array[],
  onBad: OnBadValue,
): ColumnBuilder {
  if (type === "utf8") return new Utf8Builder(capacity, nulls);
  if (type === "dict") return new DictBuilder(capacity, nulls);
  return new NumberBuilder(type, capacity, nulls, onBad);
}

const F64 = 1;
const I32 = 2;
const TS = 3;

class NumberBuilder implements ColumnBuilder {
  private data: NumberArray;
  private readonly nullRows = new NullRows();
  private readonly onlyEmpty: boolean;
  private readonly kind: number;
  constructor(
    private readonly type: DType,
    capacity: number,
    private readonly nulls: readonly Uint8Array[],
    private readonly onBad: OnBadValue,
  ) {
    this.data =
      type === "int64"
        ? new BigInt64Array(capacity)
        : type === "float64" || type === "timestamp"
          ? new Float64Array(capacity)
          : type === "bool"
            ? new Uint8Array(capacity)
            : new Int32Array(capacity);
    this.onlyEmpty = nulls.length === 1 && nulls[0]!.length === 0;
    this.kind = type === "float64" ? F64 : type === "int32" ? I32 : type === "timestamp" ? TS : 0;
  }

  add(bytes: Uint8Array, chunk: FieldChunk, t: number, rowBase: number): boolean {
    const { rows, ncols, starts, ends } = chunk;
    if (rowBase + rows > this.data.length)
      this.data = growTo(this.data, Math.ceil((rowBase + rows) * 1.5));
    const data = this.data;
    const { kind, onlyEmpty, nulls, type } = this;
    for (let i = 0; i < rows; i++) {
      const a = starts[i * ncols + t]!;
      const b = ends[i * ncols + t]!;
      if (onlyEmpty ? a === b : isNullField(bytes, a, b, nulls)) {
        this.nullRows.rows.push(rowBase + i);
        continue;
      }
      let v: number | bigint | string | undefined =
        kind === F64
          ? floatFromBytes(bytes, a, b)
          : kind === I32
            ? intFromBytes(bytes, a, b)
            : kind === TS
              ? timestampFromBytes(bytes, a, b)
              : undefined;
      if (v === undefined) {
        const text = decoder.decode(bytes.subarray(a, b));
        v = parseAs(type, text);
        if (v === undefined) {
          if (!this.onBad(rowBase + i, text)) return false;
          continue;
        }
      }
      data[rowBase + i] = v as never;
    }
    return true;
  }

  finish(_bytes: Uint8Array, length: number): Column {
    return {
      type: this.type,
      length,
      data: fit(this.data, length),
      valid: this.nullRows.bitmap(length),
    };
  }
}

function isNullField(
  bytes: Uint8Array,
  a: number,
  b: number,
  nulls: readonly Uint8Array[],
): boolean {
  for (const nv of nulls) {
    if (nv.length !== b - a) continue;
    let same = true;
    for (let k = 0; k < nv.length; k++) if (bytes[a + k] !== nv[k]) same = false;
    if (same) return true;
  }
  return false;
}

/** A plain `[-]digits` int32, or undefined (the caller falls back to the text parser). */
export function intFromBytes(bytes: Uint8Array, a: number, b: number): number | undefined {
  let neg = false;
  if (bytes[a] === 45) {
    neg = true;
    a++;
  }
  if (a >= b || b - a > 10) return undefined;
  let v = 0;
  for (let k = a; k < b; k++) {
    const d = bytes[k]! - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  v = neg ? -v : v;
  return v === (v | 0) ? v : undefined;
}

const TWO_53 = 2 ** 53;

/**
 * A plain `[-]digits[.digits]` float64 whose digits, read as an integer m, are below 2^53 with at
 * most 22 after the point: m and 10^scale are exact doubles, so one correctly rounded division
 * gives the nearest double to the decimal, as Number() does (Clinger's fast path); else
 * undefined. (A computed m below 2^53 is exact: every step below 2^53 is, and rounding never
 * takes a larger value back below it.)
 */
export function floatFromBytes(bytes: Uint8Array, a: number, b: number): number | undefined {
  let neg = false;
  if (bytes[a] === 45) {
    neg = true;
    a++;
  }
  let m = 0;
  let k = a;
  for (; k < b; k++) {
    const d = bytes[k]! - 48;
    if (d >>> 0 > 9) break;
    m = m * 10 + d;
  }
  let digits = k - a;
  let scale = 0;
  if (k < b && bytes[k] === 46) {
    const f = ++k;
    for (; k < b; k++) {
      const d = bytes[k]! - 48;
      if (d >>> 0 > 9) break;
      m = m * 10 + d;
    }
    scale = k - f;
    digits += scale;
  }
  if (k !== b || digits === 0 || m >= TWO_53 || scale > 22) return undefined;
  const v = m / POW10[scale]!;
  return neg ? -v : v;
}

/** Two decimal digits at `k`, or NaN. */
function two(bytes: Uint8Array, k: number): number {
  const a = bytes[k]! - 48;
  const b = bytes[k + 1]! - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : Number.NaN;
}

/** Canonical `YYYY-MM-DDTHH:MM:SS[.fff][Z]` (T or space) as ms; else undefined. */
export function timestampFromBytes(bytes: Uint8Array, a: number, b: number): number | undefined {
  const len = b - a;
  if (len !== 19 && len !== 20 && len !== 23 && len !== 24) return undefined;
  if (bytes[a + 4] !== 45 || bytes[a + 7] !== 45 || bytes[a + 13] !== 58 || bytes[a + 16] !== 58)
    return undefined;
  const sep = bytes[a + 10];
  if (sep !== 84 && sep !== 32) return undefined;
  let ms = 0;
  let z = a + 19;
  if (len >= 23) {
    if (bytes[a + 19] !== 46) return undefined;
    const c = bytes[a + 20]! - 48;
    ms = c >= 0 && c <= 9 ? c * 100 + two(bytes, a + 21) : Number.NaN;
    z = a + 23;
  }
  if (z < b && bytes[z] !== 90) return undefined;
  const y = two(bytes, a) * 100 + two(bytes, a + 2);
  const mo = two(bytes, a + 5);
  const d = two(bytes, a + 8);
  const h = two(bytes, a + 11);
  const mi = two(bytes, a + 14);
  const s = two(bytes, a + 17);
  if (
    !(
      !Number.isNaN(y) &&
      isCivilDate(y, mo, d) &&
      h <= 23 &&
      mi <= 59 &&
      s <= 60 &&
      ms >= 0 &&
      ms <= 999
    )
  )
    return undefined;
  const days = daysFromCivil(y, mo, d);
  return days * DAY_MS + h * 3_600_000 + mi * 60_000 + s * 1000 + ms;
}

class Utf8Builder implements ColumnBuilder {
  private offsets: Int32Array;
  private data: Uint8Array;
  private pos = 0;
  private readonly nullRows = new NullRows();
  constructor(
    capacity: number,
    private readonly nulls: readonly Uint8Array[],
  ) {
    this.offsets = new Int32Array(capacity + 1);
    this.data = new Uint8Array(Math.max(1024, capacity * 8));
  }

  add(bytes: Uint8Array, chunk: FieldChunk, t: number, rowBase: number): boolean {
    const { rows, ncols, starts, ends } = chunk;
    if (rowBase + rows + 1 > this.offsets.length)
      this.offsets = growTo(this.offsets, Math.ceil((rowBase + rows + 1) * 1.5));
    let size = 0;
    for (let i = 0; i < rows; i++) size += ends[i * ncols + t]! - starts[i * ncols + t]!;
    if (this.pos + size > this.data.length)
      this.data = growTo(this.data, Math.ceil((this.pos + size) * 1.5));
    const { data, offsets, nulls } = this;
    let pos = this.pos;
    for (let i = 0; i < rows; i++) {
      const a = starts[i * ncols + t]!;
      const b = ends[i * ncols + t]!;
      if (isNullField(bytes, a, b, nulls)) this.nullRows.rows.push(rowBase + i);
      else {
        data.set(bytes.subarray(a, b), pos);
        pos += b - a;
      }
      offsets[rowBase + i + 1] = pos;
    }
    this.pos = pos;
    return true;
  }

  finish(_bytes: Uint8Array, length: number): Column {
    return {
      type: "utf8",
      length,
      data: fit(this.data, this.pos),
      offsets: fit(this.offsets, length + 1),
      valid: this.nullRows.bitmap(length),
    };
  }
}

/**
 * Interns each field's bytes in an open-addressing table (linear probing). A field of at most 8
 * bytes is packed into two int32 words that serve as its hash input and its key (one comparison
 * of words, not of bytes); a longer one is hashed with FNV-1a and compared byte by byte.
 */
class DictBuilder implements ColumnBuilder {
  private codes: Int32Array;
  private cap = 1024;
  // Per slot: the code (-1 empty), the hash, the length and (short fields) the packed bytes.
  private slots: Int32Array = new Int32Array(1024).fill(-1);
  private hashes: Int32Array = new Int32Array(1024);
  private lens: Int32Array = new Int32Array(1024);
  private w0s: Int32Array = new Int32Array(1024);
  private w1s: Int32Array = new Int32Array(1024);
  private readonly firstStart: number[] = [];
  private readonly firstEnd: number[] = [];
  private readonly nullRows = new NullRows();
  private readonly onlyEmpty: boolean;
  constructor(
    capacity: number,
    private readonly nulls: readonly Uint8Array[],
  ) {
    this.codes = new Int32Array(capacity);
    this.onlyEmpty = nulls.length === 1 && nulls[0]!.length === 0;
  }

  add(bytes: Uint8Array, chunk: FieldChunk, t: number, rowBase: number): boolean {
    const { rows, ncols, starts, ends } = chunk;
    if (rowBase + rows > this.codes.length)
      this.codes = growTo(this.codes, Math.ceil((rowBase + rows) * 1.5));
    const { codes, firstStart, firstEnd, onlyEmpty, nulls } = this;
    let { cap, slots, hashes, lens, w0s, w1s } = this;
    for (let i = 0; i < rows; i++) {
      const a = starts[i * ncols + t]!;
      const b = ends[i * ncols + t]!;
      if (onlyEmpty ? a === b : isNullField(bytes, a, b, nulls)) {
        this.nullRows.rows.push(rowBase + i);
        continue;
      }
      const len = b - a;
      let w0 = 0;
      let w1 = 0;
      let h: number;
      if (len <= 8) {
        const n0 = Math.min(len, 4);
        for (let k = 0; k < n0; k++) w0 |= bytes[a + k]! << (k << 3);
        for (let k = 4; k < len; k++) w1 |= bytes[a + k]! << ((k - 4) << 3);
        h = Math.imul(w0 ^ Math.imul(w1 ^ len, 0x9e3779b1), 0x85ebca6b);
        h ^= h >>> 16;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 13;
      } else {
        h = 0x811c9dc5;
        for (let k = a; k < b; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
      }
      let s = h & (cap - 1);
      let code = -1;
      for (;;) {
        const c = slots[s]!;
        if (c < 0) break;
        if (
          hashes[s] === h &&
          lens[s] === len &&
          (len <= 8
            ? w0s[s] === w0 && w1s[s] === w1
            : bytesEqual(bytes, firstStart[c]!, firstEnd[c]!, bytes, a, b))
        ) {
          code = c;
          break;
        }
        s = (s + 1) & (cap - 1);
      }
      if (code < 0) {
        code = firstStart.length;
        firstStart.push(a);
        firstEnd.push(b);
        slots[s] = code;
        hashes[s] = h;
        lens[s] = len;
        w0s[s] = w0;
        w1s[s] = w1;
        if (firstStart.length * 2 > cap) {
          cap *= 2;
          this.rehash(cap);
          ({ slots, hashes, lens, w0s, w1s } = this);
        }
      }
      codes[rowBase + i] = code;
    }
    this.cap = cap;
    return true;
  }

  /** Moves every slot into tables of `cap` slots. */
  private rehash(cap: number): void {
    const { slots, hashes, lens, w0s, w1s } = this;
    const ns = new Int32Array(cap).fill(-1);
    const nh = new Int32Array(cap);
    const nl = new Int32Array(cap);
    const n0 = new Int32Array(cap);
    const n1 = new Int32Array(cap);
    for (let s = 0; s < slots.length; s++) {
      if (slots[s]! < 0) continue;
      let u = hashes[s]! & (cap - 1);
      while (ns[u]! >= 0) u = (u + 1) & (cap - 1);
      ns[u] = slots[s]!;
      nh[u] = hashes[s]!;
      nl[u] = lens[s]!;
      n0[u] = w0s[s]!;
      n1[u] = w1s[s]!;
    }
    this.slots = ns;
    this.hashes = nh;
    this.lens = nl;
    this.w0s = n0;
    this.w1s = n1;
  }

  finish(bytes: Uint8Array, length: number): Column {
    const dict = this.firstStart.map((a, c) =>
      decoder.decode(bytes.subarray(a, this.firstEnd[c]!)),
    );
    return {
      type: "dict",
      length,
      data: fit(this.codes, length),
      dictionary: utf8Column(dict),
      valid: this.nullRows.bitmap(length),
    };
  }
}
