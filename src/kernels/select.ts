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
  return selectInto(mask, (count) => new Int32Array(count));
}

function selectInto(mask: Column, make: (count: number) => Int32Array): Int32Array {
  const x = mask.data as Uint8Array;
  const n = mask.length;
  const v = mask.valid;
  let count = 0;
  if (v === undefined) {
    for (let i = 0; i < n; i++) count += x[i]!;
  } else {
    for (let i = 0; i < n; i++) count += x[i]! & (v[i >> 3]! >> (i & 7));
  }
  const sel = make(count);
  let k = 0;
  if (v === undefined) {
    for (let i = 0; i < n; i++) if (x[i] === 1) sel[k++] = i;
  } else {
    for (let i = 0; i < n; i++) if ((x[i]! & (v[i >> 3]! >> (i & 7))) === 1) sel[k++] = i;
  }
  return sel;
}

/**
 * The rows of `batch` where `mask` is true (the batch itself when every row is kept). The
 * selection vector lives in scratch memory: it is dead once the rows are gathered.
 */
export function filterBatch(batch: Batch, mask: Column): Batch {
  const sel = selectInto(mask, takeScratchInt32);
  try {
    if (sel.length === batch.length) return batch;
    return takeBatch(batch, sel);
  } finally {
    giveBack(sel);
  }
}
