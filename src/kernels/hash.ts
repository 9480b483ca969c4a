/**
 * Row hashing and row equality over key columns, the base of the group-by and join hash tables.
 * Every key type hashes by value so rows from different batches agree: int32, date and bool by
 * value, float64 and timestamp by their bits (-0 as 0, every NaN alike), int64 by its two
 * words, utf8 by its bytes, dict by its dictionary entry's bytes (hashed once per entry), so a
 * dict and a utf8 column with the same strings hash the same. Null has its own hash, and for
 * grouping null equals null (SQL GROUP BY); joins skip null keys themselves.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { bytesEqual, hashBytes, stringRange } from "./strings.js";

const NULL_HASH = 0x5bd1e995;
const f64 = new Float64Array(1);
const f64words = new Int32Array(f64.buffer);

function mix(h: number, v: number): number {
  h = Math.imul(h ^ v, 0x9e3779b1);
  return (h ^ (h >>> 15)) | 0;
}

/** Final avalanche so low bits (used for slots and partitions) depend on every input bit. */
export function finalizeHash(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Hash of a float, treating -0 as 0 and every NaN as one value. */
export function hashFloat(v: number): number {
  if (v === 0) return 0;
  if (Number.isNaN(v)) return 0x7ff80000;
  f64[0] = v;
  return mix(f64words[0]!, f64words[1]!);
}

/** Mix each row's value of `col` into `hashes` (start from zeros for the first column). */
export function hashColumnInto(col: Column, hashes: Int32Array): void {
  const n = col.length;
  const v = col.valid;
  switch (col.type) {
    case "int32":
    case "date":
    case "bool": {
      const x = col.data as Int32Array | Uint8Array;
      for (let i = 0; i < n; i++) hashes[i] = mix(hashes[i]!, isValid(v, i) ? x[i]! : NULL_HASH);
      return;
    }
    case "float64":
    case "timestamp": {
      const x = col.data as Float64Array;
      for (let i = 0; i < n; i++) {
        hashes[i] = mix(hashes[i]!, isValid(v, i) ? hashFloat(x[i]!) : NULL_HASH);
      }
      return;
    }
    case "int64": {
      const x = col.data as BigInt64Array;
      const w = new Int32Array(x.buffer, x.byteOffset, n * 2);
      for (let i = 0; i < n; i++) {
        hashes[i] = mix(hashes[i]!, isValid(v, i) ? mix(w[2 * i]!, w[2 * i + 1]!) : NULL_HASH);
      }
      return;
    }
    case "utf8": {
      const x = col.data as Uint8Array;
      const o = col.offsets!;
      for (let i = 0; i < n; i++) {
        hashes[i] = mix(hashes[i]!, isValid(v, i) ? hashBytes(x, o[i]!, o[i + 1]!) : NULL_HASH);
      }
      return;
    }
    case "dict": {
      const d = col.dictionary!;
      const entry = new Int32Array(d.length);
      const dx = d.data as Uint8Array;
      const dOff = d.offsets!;
      for (let k = 0; k < d.length; k++) entry[k] = hashBytes(dx, dOff[k]!, dOff[k + 1]!);
      const codes = col.data as Int32Array;
      for (let i = 0; i < n; i++) {
        hashes[i] = mix(hashes[i]!, isValid(v, i) ? entry[codes[i]!]! : NULL_HASH);
      }
      return;
    }
    default:
      col.type satisfies never;
  }
}

/** Per-row hashes of several key columns (finalized). */
export function hashRows(cols: readonly Column[], n: number): Int32Array {
  const h = new Int32Array(n);
  for (const c of cols) hashColumnInto(c, h);
  for (let i = 0; i < n; i++) h[i] = finalizeHash(h[i]!);
  return h;
}

const ra = new Int32Array(2);
const rb = new Int32Array(2);

/** Whether row i of `a` and row j of `b` hold the same key value (null equals null). */
export function valuesEqual(a: Column, i: number, b: Column, j: number): boolean {
  const va = isValid(a.valid, i);
  const vb = isValid(b.valid, j);
  if (!va || !vb) return va === vb;
  if (a.type === "utf8" || a.type === "dict") {
    if (a === b && a.type === "dict") {
      return (a.data as Int32Array)[i] === (a.data as Int32Array)[j];
    }
    const x = stringRange(a, i, ra);
    const y = stringRange(b, j, rb);
    return bytesEqual(x, ra[0]!, ra[1]!, y, rb[0]!, rb[1]!);
  }
  const x = a.data[i]!;
  const y = b.data[j]!;
  // biome-ignore lint/suspicious/noSelfCompare: NaN keys group together
  return x === y || (x !== x && y !== y);
}

/** Whether row i of key columns `a` equals row j of key columns `b`. */
export function rowsEqual(
  a: readonly Column[],
  i: number,
  b: readonly Column[],
  j: number,
): boolean {
  for (let c = 0; c < a.length; c++) if (!valuesEqual(a[c]!, i, b[c]!, j)) return false;
  return true;
}
