/**
 * Random sampling without replacement that a seed reproduces: every row gets a key in [0, 1)
 * hashed from (seed, partition, row), and a sample of m rows is the m smallest keys. Keys
 * depend on nothing but those three numbers, so the rows chosen are the same on any scheduler
 * and any number of workers; choosing the smallest keys of i.i.d. uniform keys makes every
 * m-subset equally likely.
 */
import type { Batch } from "./batch.js";
import { takeBatch } from "./column.js";

/** The name of the key column a per-partition sample carries to the step that merges them. */
export const SAMPLE_KEY = "__barn_sample_key";

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The key of row `row` of partition `part` under `seed`: 53 random bits as a float in [0, 1). */
export function sampleKey(seed: number, part: number, row: number): number {
  const a = mix32(mix32(mix32(seed | 0) ^ Math.imul(part + 1, 0x9e3779b1)) ^ row);
  const b = mix32(a ^ 0x5bd1e995);
  return ((a >>> 5) * 67108864 + (b >>> 6)) / 9007199254740992;
}

/** The keys of a partition's rows. */
export function sampleKeys(seed: number, part: number, n: number): Float64Array {
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = sampleKey(seed, part, i);
  return keys;
}

/** The positions of the `m` smallest keys (ties by position), ascending: the rows keep their order. */
export function smallestKeys(keys: Float64Array, m: number): Int32Array {
  const n = keys.length;
  if (m >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => keys[x]! - keys[y]! || x - y);
  return order.subarray(0, Math.max(0, m)).sort();
}

/** `m` rows of a partition, chosen at random under `seed` (all rows if it has fewer). */
export function sampleRows(batch: Batch, m: number, seed: number, part: number): Batch {
  return takeBatch(batch, smallestKeys(sampleKeys(seed, part, batch.length), m));
}

/** Up to `n` rows of a partition with their keys as a last column, for `takeSampled`. */
export function sampleCandidates(batch: Batch, n: number, seed: number, part: number): Batch {
  const keys = sampleKeys(seed, part, batch.length);
  const sel = smallestKeys(keys, n);
  const picked = takeBatch(batch, sel);
  const kept = Float64Array.from(sel, (i) => keys[i]!);
  return {
    names: [...picked.names, SAMPLE_KEY],
    columns: [...picked.columns, { type: "float64", length: sel.length, data: kept }],
    length: sel.length,
  };
}

/** The `n` rows with the smallest keys of the candidates (concatenated in partition order), without the key column. */
export function takeSampled(all: Batch, n: number): Batch {
  const k = all.names.length - 1;
  const keys = all.columns[k]!.data as Float64Array;
  const rows = takeBatch(all, smallestKeys(keys, n));
  return { names: rows.names.slice(0, k), columns: rows.columns.slice(0, k), length: rows.length };
}
