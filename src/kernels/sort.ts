/**
 * Sorting: a stable multi-key argsort (nulls last in either direction, NaN after numbers), and
 * the row comparison it rests on, which also compares rows of different batches (range
 * partitioning against sampled boundaries). A single numeric key takes a radix argsort
 * (radix.ts) with no comparator calls.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { radixArgsort } from "./radix.js";
import { bytesCompare, stringRange } from "./strings.js";

/** One sort key: a column, its direction, and where its nulls go (last by default). */
export interface SortKey {
  readonly column: Column;
  readonly ascending: boolean;
  readonly nullsFirst?: boolean | undefined;
}

const ra = new Int32Array(2);
const rb = new Int32Array(2);

/** Order of row i of `a` against row j of `b` ascending, nulls and NaN last. */
export function compareValues(a: Column, i: number, b: Column, j: number): number {
  const va = isValid(a.valid, i);
  const vb = isValid(b.valid, j);
  if (!va || !vb) return va === vb ? 0 : va ? -1 : 1;
  if (a.type === "utf8" || a.type === "dict") {
    const x = stringRange(a, i, ra);
    const y = stringRange(b, j, rb);
    return bytesCompare(x, ra[0]!, ra[1]!, y, rb[0]!, rb[1]!);
  }
  const x = a.data[i]!;
  const y = b.data[j]!;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x === y) return 0;
  // biome-ignore lint/suspicious/noSelfCompare: NaN sorts after numbers
  return x !== x ? (y !== y ? 0 : 1) : -1;
}

/**
 * Compare row i of keys `a` with row j of keys `b` (directions from `ascending`; nulls last, or
 * first where `nullsFirst` says so, in either direction).
 */
export function compareRows(
  a: readonly Column[],
  i: number,
  b: readonly Column[],
  j: number,
  ascending: readonly boolean[],
  nullsFirst: readonly boolean[] = [],
): number {
  for (let k = 0; k < a.length; k++) {
    const ca = a[k]!;
    const cb = b[k]!;
    const va = isValid(ca.valid, i);
    const vb = isValid(cb.valid, j);
    if (!va || !vb) {
      if (va === vb) continue;
      return (va ? -1 : 1) * (nullsFirst[k] === true ? -1 : 1);
    }
    const c = compareValues(ca, i, cb, j);
    if (c !== 0) return ascending[k] ? c : -c;
  }
  return 0;
}

/** The row order that sorts `keys` (stable). */
export function argsort(keys: readonly SortKey[], n: number): Int32Array {
  const k0 = keys[0];
  if (
    keys.length === 1 &&
    k0 !== undefined &&
    k0.column.type !== "utf8" &&
    k0.column.type !== "dict"
  ) {
    return radixArgsort(k0.column, n, k0.ascending, k0.nullsFirst === true);
  }
  const cols = keys.map((k) => k.column);
  const asc = keys.map((k) => k.ascending);
  const nf = keys.map((k) => k.nullsFirst === true);
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((p, q) => compareRows(cols, p, cols, q, asc, nf) || p - q);
  return idx;
}

/**
 * The range partition of each row: the number of boundary rows that sort at or before it
 * (binary search), so rows equal to a boundary go right of it. `bounds` are sorted.
 */
export function rangePieces(
  keys: readonly Column[],
  n: number,
  bounds: readonly Column[],
  boundCount: number,
  ascending: readonly boolean[],
  nullsFirst: readonly boolean[] = [],
): Int32Array {
  const piece = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let lo = 0;
    let hi = boundCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareRows(bounds, mid, keys, i, ascending, nullsFirst) <= 0) lo = mid + 1;
      else hi = mid;
    }
    piece[i] = lo;
  }
  return piece;
}
