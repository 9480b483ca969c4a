/**
 * The task functions of the P2P shuffle (docs/memory.md): a transfer task per input partition
 * splits it (by key hash or by range) and writes the pieces to its worker's shuffle directory,
 * returning the tiny manifest; an output task per partition reads piece j of every manifest
 * (from disk, or over the peer links from the workers that wrote them) and concatenates them.
 * Only one input partition (transfer) or one output partition (read) is in memory at a time,
 * not every split piece as task results.
 */
import {
  type AggSpec,
  combinePartials,
  finalizeAggregate,
  type PartialAgg,
  splitPartial,
} from "../../kernels/aggregate.js";
import type { Batch } from "../../kernels/batch.js";
import { concatBatches } from "../../kernels/column.js";
import type { ShuffleManifest } from "../../protocol/shuffle.js";
import { tasks } from "../../shipping/modules.js";
import { currentShuffle } from "../../worker/shuffle-context.js";
import { overflowToBarn } from "./errors.js";
import { hashSplit, rangeSplit } from "./ops.js";

/** Input partition `part` split into `n` by the hash of `keys`, written; its manifest. */
function p2pHashTransfer(
  batch: Batch,
  keys: readonly string[],
  n: number,
  asFloat: readonly boolean[],
  shuffle: string,
  part: number,
): Promise<ShuffleManifest> {
  const service = currentShuffle(); // before any await: the worker of this task
  return service.write(shuffle, part, hashSplit(batch, keys, n, asFloat));
}

/** Input partition `part` split into `n` key ranges by `bounds`, written; its manifest. */
function p2pRangeTransfer(
  batch: Batch,
  bounds: Batch,
  by: readonly string[],
  ascending: readonly boolean[],
  n: number,
  nullsFirst: readonly boolean[],
  shuffle: string,
  part: number,
): Promise<ShuffleManifest> {
  const service = currentShuffle();
  return service.write(shuffle, part, rangeSplit(batch, bounds, by, ascending, n, nullsFirst));
}

/** Output partition `j`: piece j of every manifest, in input order, concatenated. */
async function p2pUnpack(manifests: readonly ShuffleManifest[], j: number): Promise<Batch> {
  const pieces = (await currentShuffle().read(manifests, j)) as Batch[];
  return concatBatches(pieces);
}

/** A partial aggregation split into `n` by key hash (split_out), written; its manifest. */
function p2pAggTransfer(
  partial: PartialAgg,
  n: number,
  shuffle: string,
  part: number,
): Promise<ShuffleManifest> {
  const service = currentShuffle();
  return service.write(shuffle, part, splitPartial(partial, n));
}

/**
 * Output `j` of a split-out aggregation: piece j of every partial, combined `every` at a time
 * level by level (the task shuffle's tree, so sums add in the same order and the results are
 * the same to the bit), then finalized.
 */
async function p2pAggUnpack(
  manifests: readonly ShuffleManifest[],
  j: number,
  aggs: readonly AggSpec[],
  every: number,
): Promise<Batch> {
  let level = (await currentShuffle().read(manifests, j)) as PartialAgg[];
  const combine = (): PartialAgg[] => {
    const next: PartialAgg[] = [];
    for (let i = 0; i < level.length; i += every) {
      next.push(combinePartials(level.slice(i, i + every), aggs));
    }
    return next;
  };
  level = combine();
  while (level.length > every) level = combine();
  return overflowToBarn(() => finalizeAggregate(combinePartials(level, aggs), aggs));
}

export const p2pOps = tasks(import.meta.url, {
  p2pHashTransfer,
  p2pRangeTransfer,
  p2pUnpack,
  p2pAggTransfer,
  p2pAggUnpack,
});
