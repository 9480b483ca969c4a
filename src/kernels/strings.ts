/**
 * UTF-8 helpers shared by the kernels: building utf8 columns from JS strings, reading a row
 * back, and comparing or hashing byte ranges without decoding them.
 */
import type { Column } from "./batch.js";
import { compactValidity, isValid, newBitmap, setValid } from "./bitmap.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A utf8 column from strings (null or undefined rows are null). */
export function utf8Column(values: readonly (string | null | undefined)[]): Column {
  const n = values.length;
  const offsets = new Int32Array(n + 1);
  const parts: Uint8Array[] = [];
  const valid = newBitmap(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v !== null && v !== undefined) {
      const bytes = encoder.encode(v);
      parts.push(bytes);
      total += bytes.length;
      setValid(valid, i);
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return { type: "utf8", length: n, data, offsets, valid: compactValidity(valid, n) };
}

/** Row `i` of a utf8 column as a string (the caller checks validity). */
export function utf8At(col: Column, i: number): string {
  const o = col.offsets!;
  return decoder.decode((col.data as Uint8Array).subarray(o[i]!, o[i + 1]!));
}

/** Row `i` of a utf8 or dict column as a string, or null. */
export function stringAt(col: Column, i: number): string | null {
  if (!isValid(col.valid, i)) return null;
  if (col.type === "dict") return utf8At(col.dictionary!, (col.data as Int32Array)[i]!);
  return utf8At(col, i);
}

/** Byte-wise equality of two ranges. */
export function bytesEqual(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false;
  for (let k = 0; k < aEnd - aStart; k++) if (a[aStart + k] !== b[bStart + k]) return false;
  return true;
}

/** Byte-wise order of two ranges (UTF-8 byte order is code point order). */
export function bytesCompare(
  a: Uint8Array,
  aStart: number,
  aEnd: number,
  b: Uint8Array,
  bStart: number,
  bEnd: number,
): number {
  const la = aEnd - aStart;
  const lb = bEnd - bStart;
  const m = Math.min(la, lb);
  for (let k = 0; k < m; k++) {
    const d = a[aStart + k]! - b[bStart + k]!;
    if (d !== 0) return d;
  }
  return la - lb;
}

/** A 32-bit hash of a byte range: MurmurHash3's block step over 4-byte words, FNV-1a for the tail. */
export function hashBytes(a: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  let k = start;
  for (; k + 4 <= end; k += 4) {
    let w = a[k]! | (a[k + 1]! << 8) | (a[k + 2]! << 16) | (a[k + 3]! << 24);
    w = Math.imul(w, 0xcc9e2d51);
    w = (w << 15) | (w >>> 17);
    h ^= Math.imul(w, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  for (; k < end; k++) h = Math.imul(h ^ a[k]!, 0x01000193);
  return h | 0;
}

/** UTF-8 bytes of a string. */
export function encodeUtf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A dict column decoded to plain utf8 (for kernels that want one layout). */
export function dictToUtf8(col: Column): Column {
  const dict = col.dictionary!;
  const codes = col.data as Int32Array;
  const dOff = dict.offsets!;
  const dData = dict.data as Uint8Array;
  const n = col.length;
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (isValid(col.valid, i)) {
      const c = codes[i]!;
      total += dOff[c + 1]! - dOff[c]!;
    }
    offsets[i + 1] = total;
  }
  const data = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    if (offsets[i + 1]! === offsets[i]!) continue;
    const c = codes[i]!;
    data.set(dData.subarray(dOff[c]!, dOff[c + 1]!), offsets[i]!);
  }
  return { type: "utf8", length: n, data, offsets, valid: col.valid };
}

/**
 * The UTF-8 bytes of row i of a utf8 or dict column: returns the byte array and writes the
 * [start, end) range into `out`, so comparisons and hashes allocate nothing.
 */
export function stringRange(col: Column, i: number, out: Int32Array): Uint8Array {
  if (col.type === "dict") {
    const d = col.dictionary!;
    const c = (col.data as Int32Array)[i]!;
    out[0] = d.offsets![c]!;
    out[1] = d.offsets![c + 1]!;
    return d.data as Uint8Array;
  }
  out[0] = col.offsets![i]!;
  out[1] = col.offsets![i + 1]!;
  return col.data as Uint8Array;
}
