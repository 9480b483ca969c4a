/**
 * Selection vectors: the row indexes a filter keeps, as an Int32Array. A filter evaluates its
 * predicate to a bool column, turns it into a selection (only rows that are valid AND true
 * survive, as in SQL), and gathers every column once with `takeBatch`.
 */
import type { Batch, Column } from "./batch.js";
import { takeBatch } from "./column.js";
import { giveBack, takeScratchInt32 } from "./scratch.js";

/** Indexes of rows where `mask` is true and not null. */
export function selectionOf(mask: Column): Int32Array {
  const sel = new Int32Array(countSelected(mask) + 1);
  return sel.subarray(0, selectInto(mask, sel));
}

function countSelected(mask: Column): number {
  const x = mask.data as Uint8Array;
  const n = mask.length;
  const v = mask.valid;
  let count = 0;
  if (v === undefined) for (let i = 0; i < n; i++) count += x[i]!;
  else for (let i = 0; i < n; i++) count += x[i]! & (v[i >> 3]! >> (i & 7));
  return count;
}

/**
 * Writes the selected rows' indexes to `sel` (room for the count plus one) and returns the
 * count. Branch-free: every row's index is written and the cursor moves by its 0/1 flag, as a
 * branch per row mispredicts on every other row of a random predicate.
 */
function selectInto(mask: Column, sel: Int32Array): number {
  const x = mask.data as Uint8Array;
  const n = mask.length;
  const v = mask.valid;
  let k = 0;
  if (v === undefined) {
    for (let i = 0; i < n; i++) {
      sel[k] = i;
      k += x[i]!;
    }
  } else {
    for (let i = 0; i < n; i++) {
      sel[k] = i;
      k += x[i]! & (v[i >> 3]! >> (i & 7));
    }
  }
  return k;
}

/**
 * The rows of `batch` where `mask` is true (the batch itself when every row is kept). The
 * selection vector lives in scratch memory: it is dead once the rows are gathered.
 */
export function filterBatch(batch: Batch, mask: Column): Batch {
  const room = takeScratchInt32(batch.length + 1);
  try {
    const count = selectInto(mask, room);
    if (count === batch.length) return batch;
    return takeBatch(batch, room.subarray(0, count));
  } finally {
    giveBack(room);
  }
}
