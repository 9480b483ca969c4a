/**
 * Stable LSD radix argsort of float64 values (four 16-bit passes over an order-preserving
 * 64-bit key), for a single numeric sort key. NaN and null rows are left out of the radix pass
 * and appended after the numbers, NaN first, then nulls (or the nulls go first, with
 * `nullsFirst`), whatever the direction.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { wordsOf } from "./int64.js";
import { numbersOf } from "./numeric.js";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** The row order that sorts `col` (numbers, dates, timestamps), stably, nulls and NaN last. */
export function radixArgsort(
  col: Column,
  n: number,
  ascending: boolean,
  nullsFirst = false,
): Int32Array {
  const lo = new Uint32Array(n);
  const hi = new Uint32Array(n);
  const idx = new Int32Array(n);
  const nans: number[] = [];
  const nulls: number[] = [];
  let m = 0;
  if (col.type === "int64") m = int64Keys(col, n, ascending, lo, hi, idx, nulls);
  const x = col.type === "int64" ? new Float64Array(0) : numbersOf(col);
  for (let i = 0; i < (col.type === "int64" ? 0 : n); i++) {
    if (!isValid(col.valid, i)) {
      nulls.push(i);
      continue;
    }
    const v = x[i]!;
    if (Number.isNaN(v)) {
      nans.push(i);
      continue;
    }
    f64[0] = v === 0 ? 0 : v;
    let l = u32[0]!;
    let h = u32[1]!;
    // Order-preserving: negative numbers flip every bit, positive ones only the sign bit.
    if (h & 0x80000000) {
      l = ~l >>> 0;
      h = ~h >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    if (!ascending) {
      l = ~l >>> 0;
      h = ~h >>> 0;
    }
    lo[m] = l;
    hi[m] = h;
    idx[m++] = i;
  }
  return sortKeys(lo, hi, idx, m, n, nans, nulls, nullsFirst);
}

/**
 * An int64 column's order-preserving keys: its words with the sign bit of the high word
 * flipped (exact; int64 values beyond 2^53 are distinct keys). Returns the count.
 */
function int64Keys(
  col: Column,
  n: number,
  ascending: boolean,
  lo: Uint32Array,
  hi: Uint32Array,
  idx: Int32Array,
  nulls: number[],
): number {
  const w = wordsOf(col);
  const flip = ascending ? 0 : 0xffffffff;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!isValid(col.valid, i)) {
      nulls.push(i);
      continue;
    }
    lo[m] = (w.lo[2 * i]! ^ flip) >>> 0;
    hi[m] = (w.hi[2 * i]! ^ 0x80000000 ^ flip) >>> 0;
    idx[m++] = i;
  }
  return m;
}

/** The four radix passes over (hi, lo) keys, then the NaN and null rows. */
function sortKeys(
  lo: Uint32Array<ArrayBuffer>,
  hi: Uint32Array<ArrayBuffer>,
  idx: Int32Array<ArrayBuffer>,
  m: number,
  n: number,
  nans: readonly number[],
  nulls: readonly number[],
  nullsFirst: boolean,
): Int32Array {
  let lo2 = new Uint32Array(m);
  let hi2 = new Uint32Array(m);
  let idx2 = new Int32Array(m);
  const counts = new Int32Array(65536);
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? lo : hi;
    const shift = (pass & 1) * 16;
    counts.fill(0);
    for (let k = 0; k < m; k++) counts[(word[k]! >>> shift) & 0xffff]!++;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[d]!;
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < m; k++) {
      const at = counts[(word[k]! >>> shift) & 0xffff]!++;
      lo2[at] = lo[k]!;
      hi2[at] = hi[k]!;
      idx2[at] = idx[k]!;
    }
    [lo, lo2] = [lo2, lo];
    [hi, hi2] = [hi2, hi];
    [idx, idx2] = [idx2, idx];
  }
  const out = new Int32Array(n);
  let at = 0;
  if (nullsFirst) for (const i of nulls) out[at++] = i;
  out.set(idx.subarray(0, m), at);
  at += m;
  for (const i of nans) out[at++] = i;
  if (!nullsFirst) for (const i of nulls) out[at++] = i;
  return out;
}
