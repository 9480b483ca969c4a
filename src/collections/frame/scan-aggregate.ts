/**
 * The first step of a grouped aggregation over one partition: the steps right under the
 * groupby (row-wise steps, and broadcast joins with a small table), then the partial
 * aggregation, in one task. A trailing filter evaluates its predicate on the whole batch but
 * gathers only the columns the aggregation reads.
 *
 * A reader that can decode into scratch memory (Parquet) runs this in its own read task
 * (`Reader.aggregate`): the batch read never leaves that task, so once the partial is made its
 * buffers go back to the worker's scratch pool for the next part, instead of new memory being
 * faulted in for every part.
 */
import { type AggSpec, type PartialAgg, partialAggregate } from "../../kernels/aggregate.js";
import type { Batch, Column } from "../../kernels/batch.js";
import { giveBack } from "../../kernels/scratch.js";
import { filterRows } from "./eval.js";
import { runOps } from "./pipeline.js";
import type { RowOp } from "./plan.js";

/** `steps` (row-wise steps and broadcast joins), then the partial aggregation of `aggs` by `keys`. */
export function aggregateRows(
  batch: Batch,
  steps: readonly RowOp[],
  keys: readonly string[],
  aggs: readonly AggSpec[],
): PartialAgg {
  const lastJoin = steps.findLastIndex((s) => s.op === "join");
  if (lastJoin < 0) return aggregateRowOps(batch, steps, keys, aggs);
  // The joins gather into scratch memory; what the last one made goes back afterwards (the
  // columns it kept from `batch` are the caller's).
  const joined = runOps(batch, steps.slice(0, lastJoin + 1), true);
  const partial = aggregateRowOps(joined, steps.slice(lastJoin + 1), keys, aggs);
  giveBackUnheld(joined, partial, batch);
  return partial;
}

function aggregateRowOps(
  batch: Batch,
  rowOps: readonly RowOp[],
  keys: readonly string[],
  aggs: readonly AggSpec[],
): PartialAgg {
  const last = rowOps[rowOps.length - 1];
  if (last?.op !== "filter") return partialAggregate(runOps(batch, rowOps), keys, aggs);
  const b = runOps(batch, rowOps.slice(0, -1));
  // size counts rows and reads no values: its column need not be gathered.
  const specs = aggs.map((a) => (a.fn === "size" ? { ...a, column: null } : a));
  const read = new Set<string>(keys);
  for (const a of specs) if (a.column !== null) read.add(a.column);
  const keep = b.names.filter((n) => read.has(n));
  // The kept rows are gathered into scratch memory and live only for this call.
  const kept = filterRows(b, last.predicate, { scratch: true, keep });
  const partial = partialAggregate(kept, keys, specs);
  if (kept.length !== b.length) giveBackUnheld(kept, partial);
  return partial;
}

/**
 * `aggregateRows` over a batch this task owns alone (read into scratch memory here): its
 * buffers go back to the scratch pool afterwards, except those the partial holds.
 */
export function aggregateOwned(
  owned: Batch,
  steps: readonly RowOp[],
  keys: readonly string[],
  aggs: readonly AggSpec[],
): PartialAgg {
  const partial = aggregateRows(owned, steps, keys, aggs);
  giveBackUnheld(owned, partial);
  return partial;
}

/**
 * Gives back the values buffers of `batch` (each once) that `partial` does not hold and that
 * are not buffers of `keep`'s columns.
 */
function giveBackUnheld(batch: Batch, partial: PartialAgg, keep?: Batch): void {
  const held = new Set<ArrayBufferLike>();
  for (const c of keep?.columns ?? []) held.add(c.data.buffer);
  const hold = (c: Column): void => {
    held.add(c.data.buffer);
    if (c.valid !== undefined) held.add(c.valid.buffer);
    if (c.offsets !== undefined) held.add(c.offsets.buffer);
    if (c.dictionary !== undefined) hold(c.dictionary);
  };
  for (const c of partial.keys.columns) hold(c);
  for (const cs of partial.states) for (const c of cs) hold(c);
  for (const d of partial.distinct) if (d !== null) for (const c of d.columns) hold(c);
  for (const c of batch.columns) {
    if (held.has(c.data.buffer)) continue;
    held.add(c.data.buffer); // give each buffer back once
    giveBack(c.data);
  }
}
