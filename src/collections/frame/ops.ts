/**
 * The frame's task functions, declared with `tasks()` so they ship to workers by module
 * reference. Each takes and returns plain data (batches, partial aggregation states, arrays of
 * them), so results cross threads unchanged. Lowering (lower*.ts) refers to these only.
 */
import { BarnError } from "../../errors.js";
import {
  type AggSpec,
  combinePartials,
  finalizeAggregate,
  type PartialAgg,
  partialAggregate,
  splitPartial,
} from "../../kernels/aggregate.js";
import type { Batch, Schema } from "../../kernels/batch.js";
import { isValid } from "../../kernels/bitmap.js";
import {
  concatBatches,
  emptyBatch,
  projectBatch,
  sliceBatch,
  takeBatch,
} from "../../kernels/column.js";
import { groupIds } from "../../kernels/group-ids.js";
import type { JoinHow } from "../../kernels/join.js";
import { numbersOf, toFloat64 } from "../../kernels/numeric.js";
import { hashPartition, hashPieces, splitByPiece } from "../../kernels/partition.js";
import { sampleCandidates, sampleRows, takeSampled } from "../../kernels/sample.js";
import { argsort, rangePieces } from "../../kernels/sort.js";
import { FunctionCache } from "../../shipping/compile.js";
import { tasks } from "../../shipping/modules.js";
import type { ShippedFn } from "../../shipping/ship.js";
import { FrameErrorCodes, overflowToBarn } from "./errors.js";
import { joinBatches } from "./join-exec.js";
import { runOps } from "./pipeline.js";
import type { RowOp } from "./plan.js";
import { valueAt } from "./records.js";
import { aggregateRows } from "./scan-aggregate.js";

/** Reads a partition held in memory (a data node or a persisted key), keeping `columns`. */
function readMemory(batch: Batch, columns: readonly string[] | null): Batch {
  return columns === null ? batch : projectBatch(batch, columns);
}

/** One blockwise task: the fused row-wise steps over one partition. */
function pipeline(batch: Batch, ops: readonly RowOp[]): Batch {
  return runOps(batch, ops);
}

/** Partial aggregation of one partition. */
function aggPartial(batch: Batch, keys: readonly string[], aggs: readonly AggSpec[]): PartialAgg {
  return partialAggregate(batch, keys, aggs);
}

/** Row-wise steps, then the partial aggregation, in one task (scan-aggregate.ts). */
function aggPartialRows(
  batch: Batch,
  rowOps: readonly RowOp[],
  keys: readonly string[],
  aggs: readonly AggSpec[],
): PartialAgg {
  return aggregateRows(batch, rowOps, keys, aggs);
}

/** One combine step of the tree reduction. */
function aggCombine(parts: readonly PartialAgg[], aggs: readonly AggSpec[]): PartialAgg {
  return combinePartials(parts, aggs);
}

/** The final step: states to output columns. */
function aggFinalize(parts: readonly PartialAgg[], aggs: readonly AggSpec[]): Batch {
  return overflowToBarn(() => finalizeAggregate(combinePartials(parts, aggs), aggs));
}

/** A partial split by key hash into `n` (split_out). */
function aggSplit(p: PartialAgg, n: number): PartialAgg[] {
  return splitPartial(p, n);
}

/**
 * A batch split into `n` by the hash of `keys` (shuffle, map side). `asFloat` marks keys to
 * hash as float64, so an int32 key meets a float64 key of the other join side.
 */
export function hashSplit(
  batch: Batch,
  keys: readonly string[],
  n: number,
  asFloat: readonly boolean[] = [],
): Batch[] {
  if (!asFloat.some((x) => x)) return hashPartition(batch, keys, n);
  const cols = keysOf(batch, keys).map((c, k) => (asFloat[k] ? toFloat64(c) : c));
  return splitByPiece(batch, hashPieces(cols, batch.length, n), n);
}

/** Piece `j` of each split partial, combined (first level of a split-out tree). */
function aggCombinePick(
  pieces: readonly (readonly PartialAgg[])[],
  j: number,
  aggs: readonly AggSpec[],
): PartialAgg {
  return combinePartials(
    pieces.map((p) => p[j]!),
    aggs,
  );
}

/** Piece `j` of every split input, concatenated (shuffle, reduce side). */
function pickConcat(pieces: readonly (readonly Batch[])[], j: number): Batch {
  return concatBatches(pieces.map((p) => p[j]!));
}

/** Batches appended into one. */
function concatAll(batches: readonly Batch[]): Batch {
  return concatBatches(batches);
}

/** Two partitions joined. */
function join(
  left: Batch,
  right: Batch,
  leftOn: readonly string[],
  rightOn: readonly string[],
  how: JoinHow,
  suffix: string,
): Batch {
  return joinBatches(left, right, leftOn, rightOn, how, suffix);
}

function keysOf(batch: Batch, by: readonly string[]) {
  return by.map((b) => batch.columns[batch.names.indexOf(b)]!);
}

/** A partition sorted by `by`. */
function sortPart(
  batch: Batch,
  by: readonly string[],
  ascending: readonly boolean[],
  nullsFirst: readonly boolean[] = [],
): Batch {
  const order = argsort(
    keysOf(batch, by).map((column, k) => ({
      column,
      ascending: ascending[k]!,
      nullsFirst: nullsFirst[k] === true,
    })),
    batch.length,
  );
  return takeBatch(batch, order);
}

/** Up to `k` evenly spaced rows of the sort keys (for quantile boundaries). */
function sampleKeys(batch: Batch, by: readonly string[], k: number): Batch {
  const keys = projectBatch(batch, by);
  if (batch.length <= k) return keys;
  const sel = new Int32Array(k);
  for (let i = 0; i < k; i++) sel[i] = Math.floor(((i + 0.5) * batch.length) / k);
  return takeBatch(keys, sel);
}

/** `n - 1` boundary rows at the quantiles of the samples. */
function boundaries(
  samples: readonly Batch[],
  by: readonly string[],
  ascending: readonly boolean[],
  n: number,
  nullsFirst: readonly boolean[] = [],
): Batch {
  const all = concatBatches(samples);
  const sorted = sortPart(all, by, ascending, nullsFirst);
  const sel = new Int32Array(sorted.length === 0 ? 0 : n - 1);
  for (let i = 0; i < sel.length; i++)
    sel[i] = Math.min(sorted.length - 1, Math.floor(((i + 1) * sorted.length) / n));
  return takeBatch(sorted, sel);
}

/** A partition split into `n` key ranges by the boundary rows. */
export function rangeSplit(
  batch: Batch,
  bounds: Batch,
  by: readonly string[],
  ascending: readonly boolean[],
  n: number,
  nullsFirst: readonly boolean[] = [],
): Batch[] {
  const piece = rangePieces(
    keysOf(batch, by),
    batch.length,
    bounds.columns,
    bounds.length,
    ascending,
    nullsFirst,
  );
  return splitByPiece(batch, piece, n);
}

/** Distinct rows by `subset`: the first (or last) occurrence of each, in row order. */
function dedupe(batch: Batch, subset: readonly string[], keep: "first" | "last" = "first"): Batch {
  const g = groupIds(keysOf(batch, subset), batch.length);
  if (g.count === batch.length) return batch;
  if (keep === "first") return takeBatch(batch, g.firstRow);
  const last = new Int32Array(g.count);
  for (let i = 0; i < batch.length; i++) last[g.ids[i]!] = i;
  return takeBatch(batch, last.sort());
}

/** The first `n` rows. */
function limit(batch: Batch, n: number): Batch {
  return sliceBatch(batch, 0, n);
}

/** The first `n` rows of the partitions in order. */
function limitAll(batches: readonly Batch[], n: number): Batch {
  return sliceBatch(concatBatches(batches), 0, n);
}

/** A partition cut into `k` pieces of about equal rows. */
function splitRows(batch: Batch, k: number): Batch[] {
  const out: Batch[] = [];
  for (let i = 0; i < k; i++) {
    out.push(
      sliceBatch(
        batch,
        Math.floor((i * batch.length) / k),
        Math.floor(((i + 1) * batch.length) / k),
      ),
    );
  }
  return out;
}

const userFns = new FunctionCache();

let arrowModule: Promise<typeof import("./arrow.js")> | undefined;
/**
 * barn/frame's Arrow conversions, loaded by the first task that needs them: apache-arrow takes
 * every worker thread a few hundred milliseconds to compile, and most queries never use it.
 */
function arrowConversions(): Promise<typeof import("./arrow.js")> {
  arrowModule ??= import("./arrow.js");
  return arrowModule;
}

/** A user's mapPartitions function over a batch (or an arrow Table), checked on return. */
async function applyUser(
  fn: ShippedFn,
  arrow: boolean,
  schema: Schema,
  batch: Batch,
): Promise<Batch> {
  const f = await userFns.resolve(fn);
  const input = arrow ? (await arrowConversions()).batchesToTable([batch], schema) : batch;
  const out: unknown = await f(input);
  if (isBatch(out)) return out;
  if (typeof out === "object" && out !== null) {
    const { tableToBatch, isArrowTable } = await arrowConversions();
    if (isArrowTable(out)) return tableToBatch(out);
  }
  throw new BarnError(
    FrameErrorCodes.BAD_PARTITION,
    `mapPartitions(${fn.name}) returned ${out === null ? "null" : typeof out} instead of ${arrow ? "an apache-arrow Table" : "a Batch"}. ` +
      "Fix: return the same kind of value the function was given.",
  );
}

function isBatch(x: unknown): x is Batch {
  return (
    typeof x === "object" &&
    x !== null &&
    Array.isArray((x as Batch).names) &&
    Array.isArray((x as Batch).columns) &&
    typeof (x as Batch).length === "number"
  );
}

/** The first and last value of `column` (null for an empty partition). */
function indexBounds(batch: Batch, column: string): [unknown, unknown] | null {
  if (batch.length === 0) return null;
  const c = batch.columns[batch.names.indexOf(column)]!;
  return [valueAt(c, 0), valueAt(c, batch.length - 1)];
}

/** A partition's sorted non-null values of a column, or evenly spaced ranks of them, with the rows each stands for. */
export interface Sketch {
  readonly values: Float64Array;
  readonly weight: number;
}

/** Per column, a quantile sketch of at most `k` values. */
function quantileSketch(batch: Batch, names: readonly string[], k: number): Sketch[] {
  return names.map((name) => {
    const c = batch.columns[batch.names.indexOf(name)]!;
    const x = numbersOf(c);
    const vals: number[] = [];
    for (let i = 0; i < c.length; i++)
      if (isValid(c.valid, i) && !Number.isNaN(x[i]!)) vals.push(x[i]!);
    const sorted = Float64Array.from(vals).sort();
    if (sorted.length <= k) return { values: sorted, weight: 1 };
    const values = new Float64Array(k);
    for (let i = 0; i < k; i++) values[i] = sorted[Math.floor(((i + 0.5) * sorted.length) / k)]!;
    return { values, weight: sorted.length / k };
  });
}

/** About `frac` of a partition's rows (rounded), chosen under `seed`. */
function samplePart(batch: Batch, frac: number, seed: number, part: number): Batch {
  return sampleRows(batch, Math.round(frac * batch.length), seed, part);
}

/** The `n` sampled rows of all partitions' candidates. */
function sampleTake(parts: readonly Batch[], n: number): Batch {
  return takeSampled(concatBatches(parts), n);
}

/** An empty partition with `schema`. */
function empty(schema: Schema): Batch {
  return emptyBatch(schema);
}

/** The frame's task functions, shipped to workers by reference. */
export const frameOps = tasks(import.meta.url, {
  readMemory,
  pipeline,
  aggPartial,
  aggPartialRows,
  aggCombine,
  aggFinalize,
  aggSplit,
  aggCombinePick,
  hashSplit,
  pickConcat,
  concatAll,
  join,
  sortPart,
  sampleKeys,
  boundaries,
  rangeSplit,
  dedupe,
  limit,
  limitAll,
  samplePart,
  sampleCandidates,
  sampleTake,
  splitRows,
  applyUser,
  empty,
  indexBounds,
  quantileSketch,
});
