/**
 * Splitting a batch into pieces: by key hash (the shuffle behind joins, dropDuplicates and
 * many-group aggregations) and by row count (repartition).
 */
import type { Batch, Column } from "./batch.js";
import { takeBatch } from "./column.js";
import { hashRows } from "./hash.js";

/** The output piece of each row when hashing `keys` into `n` pieces. */
export function hashPieces(keys: readonly Column[], length: number, n: number): Int32Array {
  const h = hashRows(keys, length);
  const piece = new Int32Array(length);
  for (let i = 0; i < length; i++) piece[i] = (h[i]! >>> 0) % n;
  return piece;
}

/** Rows grouped by `piece[i]` into `n` batches, keeping row order within each. */
export function splitByPiece(batch: Batch, piece: Int32Array, n: number): Batch[] {
  const counts = new Int32Array(n + 1);
  for (let i = 0; i < batch.length; i++) counts[piece[i]! + 1]!++;
  for (let p = 0; p < n; p++) counts[p + 1]! += counts[p]!;
  const order = new Int32Array(batch.length);
  const at = counts.slice(0, n);
  for (let i = 0; i < batch.length; i++) order[at[piece[i]!]!++] = i;
  const out: Batch[] = [];
  for (let p = 0; p < n; p++) {
    out.push(takeBatch(batch, order.subarray(counts[p]!, counts[p + 1]!)));
  }
  return out;
}

/** `batch` split into `n` pieces by the hash of its `keys` columns. */
export function hashPartition(batch: Batch, keys: readonly string[], n: number): Batch[] {
  const cols = keys.map((k) => batch.columns[batch.names.indexOf(k)]!);
  return splitByPiece(batch, hashPieces(cols, batch.length, n), n);
}
