/**
 * The CSV reader's fast path for parts without quote characters (the common, machine-written
 * case): fields are located by byte offsets and converted straight from the bytes into typed
 * arrays, with no string per field. Numbers in plain decimal notation, canonical ISO timestamps
 * and dates, and true/false are parsed from bytes; anything else falls back to the text parsers
 * on a decoded copy of that one field, so results match the general path exactly. Strings are
 * copied as bytes (utf8) or interned with an open-addressing hash of their bytes (dict).
 */

import type { Column, DType } from "../kernels/batch.js";
import { utf8Column, validFrom } from "./columns.js";
import type { OnBadValue } from "./text-columns.js";
import { daysFromCivil, parseAs } from "./text-values.js";

/** Byte offsets of every field of the kept records: field j of row i is `[starts[k], ends[k])`, k = i * ncols + j. */
export interface FieldOffsets {
  readonly rows: number;
  readonly ncols: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

const decoder = new TextDecoder();
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
  1e18, 1e19, 1e20, 1e21, 1e22,
];
const DAY_MS = 86_400_000;

/** Column `j` of the located fields as a Column of `type`. */
export function columnFromBytes(
  type: DType,
  bytes: Uint8Array,
  f: FieldOffsets,
  j: number,
  nulls: readonly Uint8Array[],
  onBad: OnBadValue,
): Column {
  const n = f.rows;
  const { starts, ends, ncols } = f;
  const isNull = (i: number) =>
    isNullField(bytes, starts[i * ncols + j]!, ends[i * ncols + j]!, nulls);
  if (type === "utf8") return utf8FromBytes(bytes, f, j, nulls, isNull);
  if (type === "dict") return dictFromBytes(bytes, f, j, isNull);
  const data =
    type === "int64"
      ? new BigInt64Array(n)
      : type === "float64" || type === "timestamp"
        ? new Float64Array(n)
        : type === "bool"
          ? new Uint8Array(n)
          : new Int32Array(n);
  let hasNull = false;
  const onlyEmpty = nulls.length === 1 && nulls[0]!.length === 0;
  const fast: FastParser = FAST[type] ?? never;
  for (let i = 0; i < n; i++) {
    const a = starts[i * ncols + j]!;
    const b = ends[i * ncols + j]!;
    if (onlyEmpty ? a === b : isNullField(bytes, a, b, nulls)) {
      hasNull = true;
      continue;
    }
    let v: number | bigint | string | undefined = fast(bytes, a, b);
    if (v === undefined) {
      const text = decoder.decode(bytes.subarray(a, b));
      v = parseAs(type, text);
      if (v === undefined) {
        if (!onBad(i, text)) break;
        continue;
      }
    }
    data[i] = v as never;
  }
  return { type, length: n, data, valid: hasNull ? validFrom(n, isNull) : undefined };
}

type FastParser = (bytes: Uint8Array, a: number, b: number) => number | undefined;

const never: FastParser = () => undefined;

/** Byte-level parsers for the common spellings; undefined sends a field to the text parser. */
const FAST: Partial<Record<DType, FastParser>> = {
  int32: (bytes, a, b) => intFromBytes(bytes, a, b),
  float64: (bytes, a, b) => floatFromBytes(bytes, a, b),
  timestamp: (bytes, a, b) => timestampFromBytes(bytes, a, b),
};

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
function intFromBytes(bytes: Uint8Array, a: number, b: number): number | undefined {
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

/**
 * A plain `[-]digits[.digits]` float64 with at most 15 significant digits, where one correctly
 * rounded division gives the exact nearest double (Clinger's fast path); else undefined.
 */
function floatFromBytes(bytes: Uint8Array, a: number, b: number): number | undefined {
  let neg = false;
  if (bytes[a] === 45) {
    neg = true;
    a++;
  }
  if (a >= b) return undefined;
  let m = 0;
  let digits = 0;
  let scale = 0;
  let dot = false;
  let any = false;
  for (let k = a; k < b; k++) {
    const c = bytes[k]!;
    if (c === 46 && !dot) {
      dot = true;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return undefined;
    m = m * 10 + d;
    any = true;
    if (m !== 0) digits++;
    if (dot) scale++;
  }
  if (!any || digits > 15 || scale > 22) return undefined;
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
function timestampFromBytes(bytes: Uint8Array, a: number, b: number): number | undefined {
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
      mo >= 1 &&
      mo <= 12 &&
      d >= 1 &&
      d <= 31 &&
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

function utf8FromBytes(
  bytes: Uint8Array,
  f: FieldOffsets,
  j: number,
  nulls: readonly Uint8Array[],
  isNull: (i: number) => boolean,
): Column {
  const n = f.rows;
  const offsets = new Int32Array(n + 1);
  let size = 0;
  for (let i = 0; i < n; i++) size += f.ends[i * f.ncols + j]! - f.starts[i * f.ncols + j]!;
  const data = new Uint8Array(size);
  let pos = 0;
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    const a = f.starts[i * f.ncols + j]!;
    const b = f.ends[i * f.ncols + j]!;
    if (isNullField(bytes, a, b, nulls)) hasNull = true;
    else {
      data.set(bytes.subarray(a, b), pos);
      pos += b - a;
    }
    offsets[i + 1] = pos;
  }
  return {
    type: "utf8",
    length: n,
    data: data.subarray(0, pos),
    offsets,
    valid: hasNull ? validFrom(n, isNull) : undefined,
  };
}

/** Interns each field's bytes in an open-addressing table (FNV-1a, linear probing). */
function dictFromBytes(
  bytes: Uint8Array,
  f: FieldOffsets,
  j: number,
  isNull: (i: number) => boolean,
): Column {
  const n = f.rows;
  const codes = new Int32Array(n);
  let cap = 1024;
  let slots: Int32Array = new Int32Array(cap).fill(-1);
  let hashes: Uint32Array = new Uint32Array(cap);
  const firstStart: number[] = [];
  const firstEnd: number[] = [];
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    if (isNull(i)) {
      hasNull = true;
      continue;
    }
    const a = f.starts[i * f.ncols + j]!;
    const b = f.ends[i * f.ncols + j]!;
    let h = 0x811c9dc5;
    for (let k = a; k < b; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    h >>>= 0;
    let s = h & (cap - 1);
    let code = -1;
    for (;;) {
      const c = slots[s]!;
      if (c < 0) break;
      if (hashes[s] === h && sameBytes(bytes, firstStart[c]!, firstEnd[c]!, a, b)) {
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
      if (firstStart.length * 2 > cap) {
        cap *= 2;
        const next = rehash(slots, hashes, cap);
        slots = next.slots;
        hashes = next.hashes;
      }
    }
    codes[i] = code;
  }
  const dict = firstStart.map((a, c) => decoder.decode(bytes.subarray(a, firstEnd[c]!)));
  return {
    type: "dict",
    length: n,
    data: codes,
    dictionary: utf8Column(dict),
    valid: hasNull ? validFrom(n, isNull) : undefined,
  };
}

function sameBytes(bytes: Uint8Array, a1: number, b1: number, a2: number, b2: number): boolean {
  if (b1 - a1 !== b2 - a2) return false;
  for (let k = 0; k < b1 - a1; k++) if (bytes[a1 + k] !== bytes[a2 + k]) return false;
  return true;
}

function rehash(
  slots: Int32Array,
  hashes: Uint32Array,
  cap: number,
): { slots: Int32Array; hashes: Uint32Array } {
  const ns = new Int32Array(cap).fill(-1);
  const nh = new Uint32Array(cap);
  for (let s = 0; s < slots.length; s++) {
    const c = slots[s]!;
    if (c < 0) continue;
    let t = hashes[s]! & (cap - 1);
    while (ns[t]! >= 0) t = (t + 1) & (cap - 1);
    ns[t] = c;
    nh[t] = hashes[s]!;
  }
  return { slots: ns, hashes: nh };
}
