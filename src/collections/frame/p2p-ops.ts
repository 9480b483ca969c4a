/**
 * The task functions of the P2P shuffle (docs/memory.md): a transfer task per input partition
 * splits it (by key hash or by range) and writes the pieces to its worker's shuffle directory,
 * returning the tiny manifest; an output task per partition reads piece j of every manifest
 * (from disk, or over the peer links from the workers that wrote them) and concatenates them.
 * Only one input partition (transfer) or one output partition (read) is in memory at a time,
 * not every split piece as task results.
 */
import type { Batch } from "../../kernels/batch.js";
import { concatBatches } from "../../kernels/column.js";
import type { ShuffleManifest } from "../../protocol/shuffle.js";
import { tasks } from "../../shipping/modules.js";
import { currentShuffle } from "../../worker/shuffle-context.js";
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

export const p2pOps = tasks(import.meta.url, { p2pHashTransfer, p2pRangeTransfer, p2pUnpack });
