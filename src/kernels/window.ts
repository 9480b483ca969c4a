/**
 * Window functions over rows already in window order, cut into segments (the window's
 * partitions: `starts[s]..starts[s + 1]`): running sums, maxima and minima, row numbers,
 * shifted values (lag and lead), ranks of the order key, and rolling sums and means over the
 * last `w` rows. The first segment may continue state carried from rows before this batch
 * (the whole-frame window carries across the frame's partitions; frame/window-exec.ts).
 *
 * Nulls: a running function leaves a null row null and goes on (pandas' skipna, Polars); a
 * rolling function counts the non-null values in its window and is null below `minPeriods`.
 * int64 running and rolling sums are exact (bigint); one that leaves int64 throws
 * Int64OverflowError.
 */
import type { Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { takeColumn } from "./column.js";
import { Int64OverflowError } from "./int64.js";
import { compareRows } from "./sort.js";
import { dictToUtf8 } from "./strings.js";

/** A running function. */
export type CumFn = "cumsum" | "cummax" | "cummin";

/** The state of a running function after some rows: null before any non-null value. */
export type Carry = number | bigint | null;

/** How ties of the order key rank (pandas' method). */
export type RankMethod = "average" | "min" | "max" | "dense" | "first";

const MIN64 = -(2n ** 63n);
const MAX64 = 2n ** 63n - 1n;

/** Two states of `fn` merged (the rows of `a`, then those of `b`). */
export function combineCarry(fn: CumFn, a: Carry, b: Carry): Carry {
  if (a === null) return b;
  if (b === null) return a;
  if (fn === "cumsum") return typeof a === "bigint" ? a + (b as bigint) : a + (b as number);
  const bigger = b > a;
  return fn === "cummax" ? (bigger ? b : a) : bigger ? a : b;
}

/**
 * The running `fn` of `c` within each segment, the first starting from `carry`, and the state
 * after the last row. cumsum gives int64 for int64 (exact; with `check`, a value outside int64
 * throws) and float64 otherwise; cummax and cummin keep the column's type.
 */
export function cumulative(
  c: Column,
  fn: CumFn,
  starts: Int32Array,
  carry: Carry,
  check = true,
): { column: Column; state: Carry } {
  const n = c.length;
  const x = c.data;
  const big = x instanceof BigInt64Array;
  const out =
    fn === "cumsum"
      ? big
        ? new BigInt64Array(n)
        : new Float64Array(n)
      : new (x.constructor as new (n: number) => typeof x)(n);
  let state: Carry = carry;
  for (let s = 0; s + 1 < starts.length; s++) {
    if (s > 0) state = null;
    for (let i = starts[s]!; i < starts[s + 1]!; i++) {
      if (!isValid(c.valid, i)) continue;
      state = combineCarry(fn, state, x[i]!);
      if (big && check && ((state as bigint) < MIN64 || (state as bigint) > MAX64)) {
        throw new Int64OverflowError(`cumsum (row ${i})`);
      }
      (out as { [i: number]: number | bigint })[i] = state!;
    }
  }
  const type = fn === "cumsum" ? (big ? "int64" : "float64") : c.type;
  return { column: { type, length: n, data: out, valid: c.valid }, state };
}

/** 0-based row numbers within each segment, the first starting at `offset`. */
export function rowNumbers(starts: Int32Array, offset: number): Column {
  const n = starts[starts.length - 1]!;
  const out = new Float64Array(n);
  for (let s = 0; s + 1 < starts.length; s++) {
    const base = s === 0 ? offset : 0;
    for (let i = starts[s]!; i < starts[s + 1]!; i++) out[i] = base + i - starts[s]!;
  }
  return { type: "float64", length: n, data: out };
}

/**
 * The value `periods` rows earlier in the segment (later when negative), null where there is
 * none. Strings come back as utf8 (a dict column's codes index one partition's dictionary).
 */
export function shiftColumn(c: Column, periods: number, starts: Int32Array): Column {
  const sel = new Int32Array(c.length);
  for (let s = 0; s + 1 < starts.length; s++) {
    const a = starts[s]!;
    const b = starts[s + 1]!;
    for (let i = a; i < b; i++) {
      const j = i - periods;
      sel[i] = j >= a && j < b ? j : -1;
    }
  }
  return takeColumn(c.type === "dict" ? dictToUtf8(c) : c, sel);
}

/**
 * The rank (from 1) of each row's order key within its segment; peers (equal keys, nulls
 * equal to nulls) share it as `method` says. The first segment's ranks continue after
 * `rowsBefore` rows and `peersBefore` distinct keys (dense).
 */
export function rankRows(
  keys: readonly Column[],
  ascending: readonly boolean[],
  method: RankMethod,
  starts: Int32Array,
  rowsBefore: number,
  peersBefore: number,
): Column {
  const n = starts[starts.length - 1]!;
  const out = new Float64Array(n);
  for (let s = 0; s + 1 < starts.length; s++) {
    const a = starts[s]!;
    const b = starts[s + 1]!;
    const rows = s === 0 ? rowsBefore : 0;
    let dense = s === 0 ? peersBefore : 0;
    let i = a;
    while (i < b) {
      let j = i + 1;
      while (j < b && compareRows(keys, j, keys, i, ascending) === 0) j++;
      dense++;
      const lo = rows + i - a + 1;
      const hi = rows + j - a;
      for (let r = i; r < j; r++) {
        out[r] =
          method === "min"
            ? lo
            : method === "max"
              ? hi
              : method === "average"
                ? (lo + hi) / 2
                : method === "dense"
                  ? dense
                  : rows + r - a + 1;
      }
      i = j;
    }
  }
  return { type: "float64", length: n, data: out };
}

/** The number of distinct keys (peer groups) among rows already in order. */
export function peerGroups(keys: readonly Column[], ascending: readonly boolean[], n: number) {
  let groups = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) if (compareRows(keys, i, keys, i - 1, ascending) !== 0) groups++;
  return groups;
}

/**
 * The sum or mean of the non-null values among each row's last `w` rows of its segment (the
 * row included), null where fewer than `minPeriods` are non-null. An int64 sum is exact.
 */
export function rolling(
  c: Column,
  fn: "rollingSum" | "rollingMean",
  w: number,
  minPeriods: number,
  starts: Int32Array,
): Column {
  const n = c.length;
  const x = c.data;
  const big = x instanceof BigInt64Array;
  const exact = big && fn === "rollingSum";
  const out = exact ? new BigInt64Array(n) : new Float64Array(n);
  const valid = new Uint8Array((n + 7) >> 3);
  for (let s = 0; s + 1 < starts.length; s++) {
    const a = starts[s]!;
    const b = starts[s + 1]!;
    let sum = 0;
    let bigSum = 0n;
    let count = 0;
    for (let i = a; i < b; i++) {
      if (isValid(c.valid, i)) {
        count++;
        if (big) bigSum += x[i] as bigint;
        else sum += x[i] as number;
      }
      const gone = i - w;
      if (gone >= a && isValid(c.valid, gone)) {
        count--;
        if (big) bigSum -= x[gone] as bigint;
        else sum -= x[gone] as number;
      }
      if (count < minPeriods || count === 0) continue;
      valid[i >> 3]! |= 1 << (i & 7);
      if (exact) {
        if (bigSum < MIN64 || bigSum > MAX64)
          throw new Int64OverflowError(`rolling sum (row ${i})`);
        out[i] = bigSum;
      } else {
        const total = big ? Number(bigSum) : sum;
        out[i] = fn === "rollingSum" ? total : total / count;
      }
    }
  }
  return { type: exact ? "int64" : "float64", length: n, data: out, valid };
}
