/**
 * PLAIN-encoded Parquet values placed into a column's typed array, one loop per physical type:
 * fixed-width numbers are one byte copy; INT64 timestamps and decimals are divided by the
 * target's divisor; INT96 timestamps (Spark, older pyarrow) become milliseconds; decimals
 * stored as INT32, INT64 or big-endian FIXED_LEN_BYTE_ARRAY become float64; byte arrays become
 * entries of the column's string store (parquet-strings.ts), their numbers written as the rows.
 */

import type { SchemaElement } from "hyparquet";
import type { StringEntries } from "./parquet-strings.js";

/** Where values go: the typed array and what converts a stored value to its value there. */
export interface ValueTarget {
  readonly type: string;
  /** Divisor from the stored number to the column's (timestamp unit to ms, 10^scale). */
  readonly scale: number;
  readonly data: Int32Array | Float64Array | BigInt64Array | Uint8Array;
  /** dict and utf8 targets: the strings the rows' numbers index. */
  readonly strings: StringEntries | undefined;
}

/** Milliseconds between the Julian day INT96 counts from and 1970-01-01. */
const UNIX_JULIAN_DAY = 2440588;
const MS_PER_DAY = 86400000;

/** Bytes one PLAIN value of the column takes (0 for bit-packed booleans, -1 for byte arrays). */
function widthOf(el: SchemaElement): number {
  switch (el.type) {
    case "INT32":
    case "FLOAT":
      return 4;
    case "INT64":
    case "DOUBLE":
      return 8;
    case "INT96":
      return 12;
    case "FIXED_LEN_BYTE_ARRAY":
      return el.type_length ?? -1;
    case "BOOLEAN":
      return 0;
    default:
      return -1;
  }
}

/** True when the column stores decimals (the target is float64 divided by 10^scale). */
export function isDecimal(el: SchemaElement): boolean {
  return el.converted_type === "DECIMAL" || el.logical_type?.type === "DECIMAL";
}

/**
 * `count` PLAIN values of the column's physical type from `bytes[off..]` to rows k.. of the
 * target; false when the bytes are too few or the type is not one placed here.
 */
export function plainInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  el: SchemaElement,
  target: ValueTarget,
  k: number,
): boolean {
  if (target.strings !== undefined) return stringsInto(bytes, off, count, target, k);
  const out = target.data;
  const width = widthOf(el);
  if (width < 0 || off + count * width > bytes.length) return false;
  switch (el.type) {
    case "DOUBLE":
      copyBytes(bytes, off, count * 8, out, k * 8);
      return true;
    case "INT64":
      if (target.type === "timestamp" || target.type === "float64") {
        int64sInto(bytes, off, count, target.scale, out as Float64Array, k);
        return true;
      }
      copyBytes(bytes, off, count * 8, out, k * 8);
      return true;
    case "INT32":
      if (target.type === "float64") {
        int32sInto(bytes, off, count, target.scale, out as Float64Array, k);
        return true;
      }
      copyBytes(bytes, off, count * 4, out, k * 4);
      return true;
    case "FLOAT": {
      const f = new Float32Array(count);
      copyBytes(bytes, off, count * 4, f, 0);
      (out as Float64Array).set(f, k);
      return true;
    }
    case "INT96":
      int96sInto(bytes, off, count, out as Float64Array, k);
      return true;
    case "FIXED_LEN_BYTE_ARRAY":
      bigEndianInto(bytes, off, count, width, target.scale, out as Float64Array, k);
      return true;
    case "BOOLEAN": {
      if (off + Math.ceil(count / 8) > bytes.length) return false;
      const o = out as Uint8Array;
      for (let i = 0; i < count; i++) o[k + i] = (bytes[off + (i >> 3)]! >> (i & 7)) & 1;
      return true;
    }
    default:
      return false;
  }
}

/** `count` length-prefixed byte arrays as entries of the target's strings, their numbers to rows k.. */
function stringsInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  target: ValueTarget,
  k: number,
): boolean {
  const out = target.data as Int32Array;
  const strings = target.strings!;
  const end = bytes.length;
  for (let i = 0; i < count; i++) {
    if (off + 4 > end) return false;
    const len =
      (bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24)) >>>
      0;
    off += 4;
    if (off + len > end) return false;
    out[k + i] = strings.add(bytes, off, len);
    off += len;
  }
  return true;
}

/** Little-endian bytes into a typed array's memory (the machines Barn runs on are little-endian). */
function copyBytes(
  src: Uint8Array,
  off: number,
  n: number,
  out: ArrayBufferView,
  outByte: number,
): void {
  new Uint8Array(out.buffer, out.byteOffset + outByte, n).set(src.subarray(off, off + n));
}

/**
 * INT64 values (little-endian) divided by `scale` into float64: timestamps in the file's unit
 * to milliseconds, decimals to their value. From the two 32-bit halves (no BigInt per value).
 */
export function int64sInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  scale: number,
  out: Float64Array,
  k: number,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, count * 8);
  for (let i = 0; i < count; i++) {
    const lo = view.getUint32(i * 8, true);
    const hi = view.getInt32(i * 8 + 4, true);
    out[k + i] = (hi * 4294967296 + lo) / scale;
  }
}

/** INT32 decimals divided by `scale` into float64. */
function int32sInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  scale: number,
  out: Float64Array,
  k: number,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, count * 4);
  for (let i = 0; i < count; i++) out[k + i] = view.getInt32(i * 4, true) / scale;
}

/** INT96 timestamps (nanoseconds of the day, then the Julian day) to milliseconds. */
function int96sInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  out: Float64Array,
  k: number,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, count * 12);
  for (let i = 0; i < count; i++) {
    const nanos = view.getUint32(i * 12 + 4, true) * 4294967296 + view.getUint32(i * 12, true);
    const day = view.getInt32(i * 12 + 8, true);
    out[k + i] = (day - UNIX_JULIAN_DAY) * MS_PER_DAY + nanos / 1e6;
  }
}

/**
 * Big-endian two's complement integers of `width` bytes (FIXED_LEN_BYTE_ARRAY decimals)
 * divided by `scale`. A negative value is read as the complement of its magnitude, so small
 * negatives stay exact however wide the field.
 */
function bigEndianInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  width: number,
  scale: number,
  out: Float64Array,
  k: number,
): void {
  for (let i = 0; i < count; i++) {
    const at = off + i * width;
    const negative = width > 0 && bytes[at]! >= 128;
    let v = 0;
    for (let b = 0; b < width; b++)
      v = v * 256 + (negative ? 255 - bytes[at + b]! : bytes[at + b]!);
    out[k + i] = (negative ? -(v + 1) : v) / scale;
  }
}
