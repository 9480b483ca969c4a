/**
 * Exact quantiles with linear interpolation (pandas' `quantile(interpolation="linear")`,
 * DuckDB's `quantile_cont`; the median is q = 0.5). Partial states cannot be merged into an
 * exact quantile, so a grouped quantile keeps every non-null (keys..., value) row of its
 * partition (`quantileRows`), combining concatenates them, and the final step sorts each
 * group's values and interpolates (`quantileValues`). The order is taken on the exact values
 * (int64 as bigints); only the two values around the position are converted to float64 for
 * the interpolation (`lo + (hi - lo) * frac`, which gives an exact 0 where DuckDB's
 * `lo * (1 - frac) + hi * frac` may leave -5.6e-17), so an int64 result beyond 2^53 is the
 * nearest float64 when it falls on a value, and within float64 precision otherwise.
 */
import type { Batch, Column } from "./batch.js";
import { isValid } from "./bitmap.js";
import { concatBatches, takeBatch } from "./column.js";
import { groupIds } from "./group-ids.js";

/** The (keys..., __value) rows of a partition whose value is neither null nor NaN. */
export function quantileRows(batch: Batch, keyNames: readonly string[], c: Column): Batch {
  const keep: number[] = [];
  const x = c.data;
  const isFloat = x instanceof Float64Array;
  for (let i = 0; i < batch.length; i++) {
    if (!isValid(c.valid, i)) continue;
    if (isFloat && Number.isNaN(x[i] as number)) continue;
    keep.push(i);
  }
  const names = [...keyNames, "__value"];
  const cols = [...keyNames.map((k) => batch.columns[batch.names.indexOf(k)]!), c];
  return takeBatch({ names, columns: cols, length: batch.length }, Int32Array.from(keep));
}

/**
 * Per row of `keys`, the q-quantile of the values of its rows in `rows` (keys..., value), as a
 * float64 column (null where a group has no value).
 */
export function quantileValues(keys: Batch, rows: Batch, q: number): Column {
  const k = keys.names.length;
  const keyPart = { names: keys.names, columns: rows.columns.slice(0, k), length: rows.length };
  const both = concatBatches([keys, keyPart]);
  const g = groupIds(both.columns, both.length);
  const value = rows.columns[k]!;
  // Rows of each group, CSR style: counts, then offsets, then the row numbers.
  const start = new Int32Array(g.count + 1);
  for (let r = 0; r < rows.length; r++) start[g.ids[keys.length + r]! + 1]!++;
  for (let i = 0; i < g.count; i++) start[i + 1]! += start[i]!;
  const at = start.slice(0, g.count);
  const order = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) order[at[g.ids[keys.length + r]!]!++] = r;
  const out = new Float64Array(keys.length);
  const valid = new Uint8Array((keys.length + 7) >> 3);
  let allValid = true;
  for (let r = 0; r < keys.length; r++) {
    const grp = g.ids[r]!;
    const v = quantileOf(value, order.subarray(start[grp]!, start[grp + 1]!), q);
    if (v === null) allValid = false;
    else {
      out[r] = v;
      valid[r >> 3]! |= 1 << (r & 7);
    }
  }
  return { type: "float64", length: keys.length, data: out, valid: allValid ? undefined : valid };
}

/** The q-quantile of `value`'s rows `sel` (all non-null), or null when there are none. */
export function quantileOf(value: Column, sel: Int32Array, q: number): number | null {
  const n = sel.length;
  if (n === 0) return null;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  if (value.data instanceof BigInt64Array) {
    const src = value.data;
    const vals = new BigInt64Array(n);
    for (let i = 0; i < n; i++) vals[i] = src[sel[i]!]!;
    vals.sort();
    return interpolate(Number(vals[lo]!), Number(vals[hi]!), pos - lo, lo === hi);
  }
  const src = value.data as ArrayLike<number>;
  const vals = new Float64Array(n);
  for (let i = 0; i < n; i++) vals[i] = src[sel[i]!]!;
  vals.sort();
  return interpolate(vals[lo]!, vals[hi]!, pos - lo, lo === hi);
}

function interpolate(lo: number, hi: number, frac: number, same: boolean): number {
  return same ? lo : lo + (hi - lo) * frac;
}
