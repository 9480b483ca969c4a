/**
 * Per-group reductions over a column, given each row's group id: the inner loops of grouped
 * aggregation. Each is one pass over the rows into arrays indexed by group, with no allocation
 * per row. Null rows are skipped (SQL semantics), so a group with only nulls has count 0.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { argExtremeInt64By } from "./int64.js";
import { numbersOf } from "./numeric.js";
import { bytesCompare } from "./strings.js";

/** Groups up to which sums run in LANES interleaved accumulators (the state stays in cache). */
export const LANED_GROUPS = 4096;
const LANES = 4;

/** Sum and non-null count per group. */
export function sumCountBy(
  ids: Int32Array,
  groups: number,
  col: Column,
): { sum: Float64Array; count: Float64Array } {
  const x = numbersOf(col);
  const v = col.valid;
  const n = col.length;
  if (v === undefined && groups <= LANED_GROUPS) return sumCountLaned(ids, groups, x, n);
  const sum = new Float64Array(groups);
  const count = new Float64Array(groups);
  if (v === undefined) {
    for (let i = 0; i < n; i++) {
      const g = ids[i]!;
      sum[g]! += x[i]!;
      count[g]!++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      if (((v[i >> 3]! >> (i & 7)) & 1) === 0) continue;
      const g = ids[i]!;
      sum[g]! += x[i]!;
      count[g]!++;
    }
  }
  return { sum, count };
}

/**
 * Rows i, i+1, i+2, i+3 add into four separate accumulators per group, combined at the end.
 * With skewed keys, consecutive rows often hit the same group, and one accumulator makes each
 * add wait for the previous one's store; four lanes let them overlap. The sum's rounding then follows the lanes' order, as in any engine
 * that sums in parallel.
 */
function sumCountLaned(
  ids: Int32Array,
  groups: number,
  x: ArrayLike<number>,
  n: number,
): { sum: Float64Array; count: Float64Array } {
  const s = new Float64Array(groups * LANES);
  const c = new Float64Array(groups * LANES);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const g0 = ids[i]! * 4;
    const g1 = ids[i + 1]! * 4 + 1;
    const g2 = ids[i + 2]! * 4 + 2;
    const g3 = ids[i + 3]! * 4 + 3;
    s[g0]! += x[i]!;
    s[g1]! += x[i + 1]!;
    s[g2]! += x[i + 2]!;
    s[g3]! += x[i + 3]!;
    c[g0]!++;
    c[g1]!++;
    c[g2]!++;
    c[g3]!++;
  }
  for (; i < n; i++) {
    const g = ids[i]! * 4;
    s[g]! += x[i]!;
    c[g]!++;
  }
  const sum = new Float64Array(groups);
  const count = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const k = g * 4;
    sum[g] = s[k]! + s[k + 1]! + (s[k + 2]! + s[k + 3]!);
    count[g] = c[k]! + c[k + 1]! + c[k + 2]! + c[k + 3]!;
  }
  return { sum, count };
}

/**
 * Sums of two columns without nulls and the row count per group, in one pass over the group
 * ids (laned as sumCountLaned; `groups` at most LANED_GROUPS). Two aggregations of one groupby
 * read the ids once instead of twice and count once.
 */
export function sumCountBy2(
  ids: Int32Array,
  groups: number,
  a: Column,
  b: Column,
): { sumA: Float64Array; sumB: Float64Array; count: Float64Array } {
  const x = numbersOf(a);
  const y = numbersOf(b);
  const n = a.length;
  const s = new Float64Array(groups * LANES);
  const t = new Float64Array(groups * LANES);
  const c = new Float64Array(groups * LANES);
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const g0 = ids[i]! * 4;
    const g1 = ids[i + 1]! * 4 + 1;
    const g2 = ids[i + 2]! * 4 + 2;
    const g3 = ids[i + 3]! * 4 + 3;
    s[g0]! += x[i]!;
    s[g1]! += x[i + 1]!;
    s[g2]! += x[i + 2]!;
    s[g3]! += x[i + 3]!;
    t[g0]! += y[i]!;
    t[g1]! += y[i + 1]!;
    t[g2]! += y[i + 2]!;
    t[g3]! += y[i + 3]!;
    c[g0]!++;
    c[g1]!++;
    c[g2]!++;
    c[g3]!++;
  }
  for (; i < n; i++) {
    const g = ids[i]! * 4;
    s[g]! += x[i]!;
    t[g]! += y[i]!;
    c[g]!++;
  }
  const sumA = new Float64Array(groups);
  const sumB = new Float64Array(groups);
  const count = new Float64Array(groups);
  for (let g = 0; g < groups; g++) {
    const k = g * 4;
    sumA[g] = s[k]! + s[k + 1]! + (s[k + 2]! + s[k + 3]!);
    sumB[g] = t[k]! + t[k + 1]! + (t[k + 2]! + t[k + 3]!);
    count[g] = c[k]! + c[k + 1]! + c[k + 2]! + c[k + 3]!;
  }
  return { sumA, sumB, count };
}

/** Non-null count per group (or every row, when `col` is undefined: `size`). */
export function countBy(ids: Int32Array, groups: number, n: number, col?: Column): Float64Array {
  const count = new Float64Array(groups);
  const v = col?.valid;
  if (v === undefined) for (let i = 0; i < n; i++) count[ids[i]!]!++;
  else for (let i = 0; i < n; i++) if (((v[i >> 3]! >> (i & 7)) & 1) === 1) count[ids[i]!]!++;
  return count;
}

/** Sum of a float64 state column per group (combining partial sums or counts). */
export function sumStatesBy(ids: Int32Array, groups: number, x: Float64Array): Float64Array {
  const out = new Float64Array(groups);
  for (let i = 0; i < x.length; i++) out[ids[i]!]! += x[i]!;
  return out;
}

/** Count, mean and sum of squared deviations (M2) per group, by Welford's update. */
export function momentsBy(
  ids: Int32Array,
  groups: number,
  col: Column,
): { count: Float64Array; mean: Float64Array; m2: Float64Array } {
  const count = new Float64Array(groups);
  const mean = new Float64Array(groups);
  const m2 = new Float64Array(groups);
  const x = numbersOf(col);
  const v = col.valid;
  for (let i = 0; i < col.length; i++) {
    if (v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    const g = ids[i]!;
    const c = ++count[g]!;
    const d = x[i]! - mean[g]!;
    mean[g]! += d / c;
    m2[g]! += d * (x[i]! - mean[g]!);
  }
  return { count, mean, m2 };
}

/** Moments of several partial states per group, combined with Chan's parallel formula. */
export function combineMomentsBy(
  ids: Int32Array,
  groups: number,
  cIn: Float64Array,
  meanIn: Float64Array,
  m2In: Float64Array,
): { count: Float64Array; mean: Float64Array; m2: Float64Array } {
  const count = new Float64Array(groups);
  const mean = new Float64Array(groups);
  const m2 = new Float64Array(groups);
  for (let i = 0; i < cIn.length; i++) {
    const nb = cIn[i]!;
    if (nb === 0) continue;
    const g = ids[i]!;
    const na = count[g]!;
    const n = na + nb;
    const d = meanIn[i]! - mean[g]!;
    mean[g]! += (d * nb) / n;
    m2[g]! += m2In[i]! + (d * d * na * nb) / n;
    count[g] = n;
  }
  return { count, mean, m2 };
}

/**
 * The row holding each group's min (or max) non-null value, -1 for a group with none. Numbers
 * compare as numbers (NaN is skipped), int64 exactly, strings by UTF-8 bytes.
 */
export function argExtremeBy(
  ids: Int32Array,
  groups: number,
  col: Column,
  max: boolean,
): Int32Array {
  const best = new Int32Array(groups).fill(-1);
  const v = col.valid;
  const n = col.length;
  if (col.type === "utf8" || col.type === "dict") {
    for (let i = 0; i < n; i++) {
      if (!isValid(v, i)) continue;
      const g = ids[i]!;
      const b = best[g]!;
      if (b < 0) best[g] = i;
      else {
        const c = compareStringRows(col, i, b);
        if (max ? c > 0 : c < 0) best[g] = i;
      }
    }
    return best;
  }
  if (col.type === "int64") return argExtremeInt64By(ids, groups, col, max);
  const x = numbersOf(col);
  for (let i = 0; i < n; i++) {
    if (v !== undefined && ((v[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    const xi = x[i]!;
    // biome-ignore lint/suspicious/noSelfCompare: skip NaN
    if (xi !== xi) continue;
    const g = ids[i]!;
    const b = best[g]!;
    if (b < 0 || (max ? xi > x[b]! : xi < x[b]!)) best[g] = i;
  }
  return best;
}

function compareStringRows(col: Column, i: number, j: number): number {
  if (col.type === "dict") {
    const d = col.dictionary!;
    const codes = col.data as Int32Array;
    const o = d.offsets!;
    const ci = codes[i]!;
    const cj = codes[j]!;
    const b = d.data as Uint8Array;
    return bytesCompare(b, o[ci]!, o[ci + 1]!, b, o[cj]!, o[cj + 1]!);
  }
  const o = col.offsets!;
  const b = col.data as Uint8Array;
  return bytesCompare(b, o[i]!, o[i + 1]!, b, o[j]!, o[j + 1]!);
}

/** The first (or last) row with a non-null value in each group, -1 for a group with none. */
export function argFirstBy(
  ids: Int32Array,
  groups: number,
  col: Column,
  last: boolean,
): Int32Array {
  const best = new Int32Array(groups).fill(-1);
  const v = col.valid;
  for (let i = 0; i < col.length; i++) {
    if (!isValid(v, i)) continue;
    const g = ids[i]!;
    if (last || best[g]! < 0) best[g] = i;
  }
  return best;
}
