/**
 * Building and reading `Column`s: the shared helpers every reader and writer uses, so each
 * format file only maps its own representation to and from these. Builders take plain JS values
 * (already parsed) and produce typed arrays in Arrow's layout; readers give a row's value back
 * as a plain JS value for the writers.
 */

import type { Column, DType } from "../kernels/batch.js";

/** A plain JS value a cell can hold: what readers produce and writers consume. */
export type Cell = number | bigint | string | boolean | null;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** True when row `i` of `col` is not null. */
export function isValid(col: Column, i: number): boolean {
  const v = col.valid;
  return v === undefined || ((v[i >> 3]! >> (i & 7)) & 1) === 1;
}

/** Builds a validity bitmap from a predicate; returns undefined when no row is null. */
export function validFrom(length: number, isNull: (i: number) => boolean): Uint8Array | undefined {
  let bits: Uint8Array | undefined;
  for (let i = 0; i < length; i++) {
    if (!isNull(i)) continue;
    if (bits === undefined) bits = allValid(length);
    bits[i >> 3]! &= ~(1 << (i & 7));
  }
  return bits;
}

/**
 * The validity bitmap of `length` rows from one flag byte per row (1 = null, 0 = value), eight
 * rows a byte at a time; undefined when no row is null. The readers that collect null flags
 * while decoding (Parquet pages) use this instead of validFrom's callback per row, whose one
 * call site is shared by every caller (not a loop the engine can specialise).
 */
export function validFromNullFlags(nulls: Uint8Array, length: number): Uint8Array | undefined {
  const bits = new Uint8Array((length + 7) >> 3);
  const full = length >> 3;
  let any = 0;
  for (let j = 0; j < full; j++) {
    const i = j << 3;
    const z =
      nulls[i]! |
      (nulls[i + 1]! << 1) |
      (nulls[i + 2]! << 2) |
      (nulls[i + 3]! << 3) |
      (nulls[i + 4]! << 4) |
      (nulls[i + 5]! << 5) |
      (nulls[i + 6]! << 6) |
      (nulls[i + 7]! << 7);
    bits[j] = ~z & 0xff;
    any |= z;
  }
  for (let i = full << 3; i < length; i++) {
    if (nulls[i] === 0) bits[i >> 3]! |= 1 << (i & 7);
    else any = 1;
  }
  return any === 0 ? undefined : bits;
}

/** A bitmap of `length` set bits (spare bits of the last byte are zero, as Arrow writes them). */
function allValid(length: number): Uint8Array {
  const bits = new Uint8Array((length + 7) >> 3).fill(0xff);
  if ((length & 7) !== 0) bits[bits.length - 1] = (1 << (length & 7)) - 1;
  return bits;
}

/** Counts the null rows of a column. */
export function nullCount(col: Column): number {
  if (col.valid === undefined) return 0;
  let n = 0;
  for (let i = 0; i < col.length; i++) if (!isValid(col, i)) n++;
  return n;
}

/** The string at row `i` of a utf8 column (the caller checks validity). */
export function utf8At(col: Column, i: number): string {
  const offsets = col.offsets!;
  return decoder.decode((col.data as Uint8Array).subarray(offsets[i]!, offsets[i + 1]!));
}

/** All strings of a utf8 column (nulls as null), decoding each value once. */
export function utf8Strings(col: Column): (string | null)[] {
  const out: (string | null)[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) out[i] = isValid(col, i) ? utf8At(col, i) : null;
  return out;
}

/** A utf8 column from strings (null for nulls). */
export function utf8Column(values: ArrayLike<string | null | undefined>): Column {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  let bytes = new Uint8Array(Math.max(16, n * 8));
  let pos = 0;
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s === null || s === undefined) {
      hasNull = true;
    } else {
      const need = pos + s.length * 3;
      if (need > bytes.length) {
        const grown = new Uint8Array(Math.max(need, bytes.length * 2));
        grown.set(bytes.subarray(0, pos));
        bytes = grown;
      }
      pos += encoder.encodeInto(s, bytes.subarray(pos)).written;
    }
    offsets[i + 1] = pos;
  }
  const valid = hasNull
    ? validFrom(n, (i) => values[i] === null || values[i] === undefined)
    : undefined;
  return { type: "utf8", length: n, data: bytes.slice(0, pos), offsets, valid };
}

/**
 * A dict column from strings: distinct strings in first-seen order. A Map keyed by the string is
 * the hash table (V8 caches a string's hash, so each lookup hashes once).
 */
export function dictColumn(values: ArrayLike<string | null | undefined>): Column {
  const n = values.length;
  const codes = new Int32Array(n);
  const index = new Map<string, number>();
  const distinct: string[] = [];
  let hasNull = false;
  for (let i = 0; i < n; i++) {
    const s = values[i];
    if (s === null || s === undefined) {
      hasNull = true;
      continue;
    }
    let code = index.get(s);
    if (code === undefined) {
      code = distinct.length;
      index.set(s, code);
      distinct.push(s);
    }
    codes[i] = code;
  }
  const valid = hasNull
    ? validFrom(n, (i) => values[i] === null || values[i] === undefined)
    : undefined;
  return { type: "dict", length: n, data: codes, dictionary: utf8Column(distinct), valid };
}

/** Plain JS values to a column of `type` (numbers for int32/float64/timestamp/date, etc.). */
export function columnFromCells(type: DType, values: ArrayLike<Cell | undefined>): Column {
  const n = values.length;
  const isNull = (i: number) => values[i] === null || values[i] === undefined;
  switch (type) {
    case "utf8":
      return utf8Column(values as ArrayLike<string | null>);
    case "dict":
      return dictColumn(values as ArrayLike<string | null>);
    case "int32":
    case "date": {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) if (!isNull(i)) data[i] = Number(values[i]);
      return { type, length: n, data, valid: validFrom(n, isNull) };
    }
    case "float64":
    case "timestamp": {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) if (!isNull(i)) data[i] = Number(values[i]);
      return { type, length: n, data, valid: validFrom(n, isNull) };
    }
    case "int64": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (!isNull(i)) data[i] = BigInt(values[i] as bigint | number);
      return { type, length: n, data, valid: validFrom(n, isNull) };
    }
    case "bool": {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) if (!isNull(i)) data[i] = values[i] ? 1 : 0;
      return { type, length: n, data, valid: validFrom(n, isNull) };
    }
  }
}

/**
 * A column's rows as plain JS values: numbers (int32, float64, timestamp ms, date days), bigint
 * (int64), boolean, string (utf8 and dict), null for nulls.
 */
export function columnCells(col: Column): Cell[] {
  const n = col.length;
  const out: Cell[] = new Array(n);
  switch (col.type) {
    case "utf8":
      return utf8Strings(col);
    case "dict": {
      const dict = utf8Strings(col.dictionary!);
      const codes = col.data as Int32Array;
      for (let i = 0; i < n; i++) out[i] = isValid(col, i) ? dict[codes[i]!]! : null;
      return out;
    }
    case "bool": {
      const d = col.data as Uint8Array;
      for (let i = 0; i < n; i++) out[i] = isValid(col, i) ? d[i] === 1 : null;
      return out;
    }
    default: {
      const d = col.data as Int32Array | Float64Array | BigInt64Array;
      for (let i = 0; i < n; i++) out[i] = isValid(col, i) ? d[i]! : null;
      return out;
    }
  }
}

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** Year, month (1-12) and day of a day count since 1970-01-01 (proleptic Gregorian). */
function civilFromDays(z: number): [number, number, number] {
  z += 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** `YYYY-MM-DD` of a day count, or undefined outside years 0000-9999. */
function ymd(days: number): string | undefined {
  const [y, m, d] = civilFromDays(days);
  if (y < 0 || y > 9999) return undefined;
  return `${PAD2[Math.floor(y / 100)]}${PAD2[y % 100]}-${PAD2[m]}-${PAD2[d]}`;
}

/**
 * Milliseconds since the epoch as an ISO 8601 string (UTC), exactly as `Date#toISOString`
 * writes it, without a Date object for whole milliseconds in years 0000-9999.
 */
export function isoTimestamp(ms: number): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / 86_400_000);
  const date = ymd(days);
  if (date === undefined) return new Date(ms).toISOString();
  let rem = ms - days * 86_400_000;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const s = Math.floor(rem / 1000);
  return `${date}T${PAD2[h]}:${PAD2[mi]}:${PAD2[s]}.${PAD3[rem - s * 1000]}Z`;
}

/** Days since the epoch as `YYYY-MM-DD`. */
export function isoDate(days: number): string {
  return ymd(days) ?? new Date(days * 86_400_000).toISOString().slice(0, 10);
}
