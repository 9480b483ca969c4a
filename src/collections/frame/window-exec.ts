/**
 * Running the window node (its physical form: physical/nodes.ts `WindowExecNode`). With
 * `partitionBy`, rows are hash-shuffled by the partition key by the planner's shuffle node (so
 * each window partition is whole in one frame partition), then each frame partition is
 * sorted by (partition key, order key) and computed on its own. Over the whole frame, the rows
 * are range-sorted by the order key (the sort verb), and each partition needs what came before
 * it, as Dask's cumulative and map_overlap do: a summary task per partition (its rows, distinct
 * keys, running states, and its first and last `halo` rows), one task that turns the summaries
 * into each partition's context (carried states, rows and keys before it, the `halo` rows
 * before and after it, which may span several small or empty partitions), and a task per
 * partition computing its columns with that context. Equal order keys never straddle two
 * partitions (the range sort sends equal keys to one partition), so ranks carry exactly.
 */
import { type GraphNode, type Key, ref, task } from "../../graph/spec.js";
import type { Batch, Column } from "../../kernels/batch.js";
import { concatBatches, projectBatch, sliceBatch, takeBatch } from "../../kernels/column.js";
import { argsort, compareRows } from "../../kernels/sort.js";
import {
  type Carry,
  type CumFn,
  combineCarry,
  cumulative,
  peerGroups,
  rankRows,
  rolling,
  rowNumbers,
  shiftColumn,
} from "../../kernels/window.js";
import { tasks } from "../../shipping/modules.js";
import { overflowToBarn } from "./errors.js";
import type { LowerContext } from "./lower.js";
import type { WindowExecNode } from "./physical/nodes.js";
import type { WindowSpec } from "./window.js";

/** What a partition of a whole-frame window needs from the others. */
interface WindowContext {
  readonly rowsBefore: number;
  readonly peersBefore: number;
  /** Per spec, the running state of the rows before (cumsum, cummax, cummin). */
  readonly carry: readonly Carry[];
  /** The last `halo` rows before this partition, and the first `halo` after (halo columns). */
  readonly before: Batch;
  readonly after: Batch;
}

/** A partition's part of the whole-frame window. */
interface WindowSummary {
  readonly rows: number;
  readonly peers: number;
  readonly states: readonly Carry[];
  readonly head: Batch;
  readonly tail: Batch;
}

const isCum = (s: WindowSpec) => s.fn === "cumsum" || s.fn === "cummax" || s.fn === "cummin";
const usesHalo = (s: WindowSpec) =>
  s.fn === "shift" || s.fn === "rollingSum" || s.fn === "rollingMean";

/** Rows of halo needed on each side: the largest shift or rolling reach. */
function haloOf(specs: readonly WindowSpec[]): number {
  let k = 0;
  for (const s of specs) {
    if (s.fn === "shift") k = Math.max(k, Math.abs(s.n));
    if (s.fn === "rollingSum" || s.fn === "rollingMean") k = Math.max(k, s.n - 1);
  }
  return k;
}

function haloColumns(specs: readonly WindowSpec[]): string[] {
  return [...new Set(specs.filter(usesHalo).map((s) => s.column!))];
}

const colOf = (b: Batch, name: string): Column => b.columns[b.names.indexOf(name)]!;

/** The output columns of `specs` over `batch` (rows in window order, cut at `starts`). */
function windowColumns(
  batch: Batch,
  specs: readonly WindowSpec[],
  orderBy: readonly string[],
  ascending: readonly boolean[],
  starts: Int32Array,
  ctx: WindowContext | undefined,
): Column[] {
  const keys = orderBy.map((c) => colOf(batch, c));
  return specs.map((s, i) => {
    switch (s.fn) {
      case "cumsum":
      case "cummax":
      case "cummin":
        return cumulative(colOf(batch, s.column!), s.fn, starts, ctx?.carry[i] ?? null).column;
      case "cumcount":
        return rowNumbers(starts, ctx?.rowsBefore ?? 0);
      case "rank":
        return rankRows(
          keys,
          ascending,
          s.method,
          starts,
          ctx?.rowsBefore ?? 0,
          ctx?.peersBefore ?? 0,
        );
      case "shift":
      case "rollingSum":
      case "rollingMean":
        return withHalo(batch, s, ctx, starts);
      default:
        return s.fn satisfies never;
    }
  });
}

/** A shift or rolling column, computed with the halo rows around the partition. */
function withHalo(
  batch: Batch,
  s: WindowSpec,
  ctx: WindowContext | undefined,
  starts: Int32Array,
): Column {
  const compute = (c: Column, st: Int32Array) =>
    s.fn === "shift"
      ? shiftColumn(c, s.n, st)
      : rolling(c, s.fn as "rollingSum" | "rollingMean", s.n, s.minPeriods, st);
  const own = colOf(batch, s.column!);
  if (ctx === undefined) return compute(own, starts);
  const name = [s.column!];
  const ext = concatBatches([
    projectBatch(ctx.before, name),
    projectBatch(batch, name),
    projectBatch(ctx.after, name),
  ]);
  const out = compute(ext.columns[0]!, Int32Array.of(0, ext.length));
  const from = ctx.before.length;
  return sliceBatch({ names: name, columns: [out], length: ext.length }, from, from + batch.length)
    .columns[0]!;
}

function withOutputs(batch: Batch, specs: readonly WindowSpec[], cols: Column[]): Batch {
  return {
    names: [...batch.names, ...specs.map((s) => s.output)],
    columns: [...batch.columns, ...cols],
    length: batch.length,
  };
}

/** Per-group windows of one partition holding whole window partitions. */
function windowGroups(
  batch: Batch,
  partitionBy: readonly string[],
  orderBy: readonly string[],
  ascending: readonly boolean[],
  specs: readonly WindowSpec[],
): Batch {
  const by = [...partitionBy, ...orderBy];
  const asc = [...partitionBy.map(() => true), ...ascending];
  const order = argsort(
    by.map((c, k) => ({ column: colOf(batch, c), ascending: asc[k]! })),
    batch.length,
  );
  const sorted = takeBatch(batch, order);
  const keys = partitionBy.map((c) => colOf(sorted, c));
  const starts: number[] = [0];
  for (let i = 1; i < sorted.length; i++) {
    if (keys.length > 0 && !sameRow(keys, i)) starts.push(i);
  }
  if (sorted.length > 0) starts.push(sorted.length);
  const st = Int32Array.from(sorted.length === 0 ? [0, 0] : starts);
  return overflowToBarn(() =>
    withOutputs(sorted, specs, windowColumns(sorted, specs, orderBy, ascending, st, undefined)),
  );
}

/** Whether row i's partition key equals row i - 1's (nulls equal nulls, as group keys). */
function sameRow(keys: readonly Column[], i: number): boolean {
  return compareRows(keys, i, keys, i - 1, ASC) === 0;
}

const ASC: readonly boolean[] = new Array(64).fill(true);

/** A sorted partition's summary for the whole-frame window. */
function windowSummary(
  batch: Batch,
  orderBy: readonly string[],
  ascending: readonly boolean[],
  specs: readonly WindowSpec[],
): WindowSummary {
  const all = Int32Array.of(0, batch.length);
  const states = specs.map((s) =>
    isCum(s) ? cumulative(colOf(batch, s.column!), s.fn as CumFn, all, null, false).state : null,
  );
  const halo = haloOf(specs);
  const cols = projectBatch(batch, haloColumns(specs));
  const keys = orderBy.map((c) => colOf(batch, c));
  return {
    rows: batch.length,
    peers: specs.some((s) => s.fn === "rank" && s.method === "dense")
      ? peerGroups(keys, ascending, batch.length)
      : 0,
    states,
    head: sliceBatch(cols, 0, Math.min(halo, batch.length)),
    tail: sliceBatch(cols, Math.max(0, batch.length - halo), batch.length),
  };
}

/** Each partition's context, from every partition's summary. */
function windowContexts(
  summaries: readonly WindowSummary[],
  specs: readonly WindowSpec[],
): WindowContext[] {
  const halo = haloOf(specs);
  // No rows, with the halo columns (every summary's head has them).
  const none = sliceBatch(summaries[0]!.head, 0, 0);
  const out: WindowContext[] = [];
  let rows = 0;
  let peers = 0;
  let carry: Carry[] = specs.map(() => null);
  for (let j = 0; j < summaries.length; j++) {
    out.push({
      rowsBefore: rows,
      peersBefore: peers,
      carry,
      before: lastRows(
        summaries.slice(0, j).map((s) => s.tail),
        halo,
        none,
      ),
      after: firstRows(
        summaries.slice(j + 1).map((s) => s.head),
        halo,
        none,
      ),
    });
    const s = summaries[j]!;
    rows += s.rows;
    peers += s.peers;
    carry = carry.map((c, i) =>
      isCum(specs[i]!) ? combineCarry(specs[i]!.fn as CumFn, c, s.states[i]!) : null,
    );
  }
  return out;
}

function lastRows(tails: readonly Batch[], k: number, none: Batch): Batch {
  const got: Batch[] = [];
  let n = 0;
  for (let i = tails.length - 1; i >= 0 && n < k; i--) {
    got.unshift(tails[i]!);
    n += tails[i]!.length;
  }
  if (got.length === 0) return none;
  const all = concatBatches(got);
  return sliceBatch(all, Math.max(0, all.length - k), all.length);
}

function firstRows(heads: readonly Batch[], k: number, none: Batch): Batch {
  const got: Batch[] = [];
  let n = 0;
  for (let i = 0; i < heads.length && n < k; i++) {
    got.push(heads[i]!);
    n += heads[i]!.length;
  }
  if (got.length === 0) return none;
  return sliceBatch(concatBatches(got), 0, k);
}

/** One sorted partition's window columns, with its context. */
function windowApply(
  batch: Batch,
  contexts: readonly WindowContext[],
  j: number,
  orderBy: readonly string[],
  ascending: readonly boolean[],
  specs: readonly WindowSpec[],
): Batch {
  const ctx = contexts[j]!;
  const starts = Int32Array.of(0, batch.length);
  return overflowToBarn(() =>
    withOutputs(batch, specs, windowColumns(batch, specs, orderBy, ascending, starts, ctx)),
  );
}

/** The window's task functions, shipped to workers by reference. */
export const windowOps = tasks(import.meta.url, {
  windowGroups,
  windowSummary,
  windowContexts,
  windowApply,
});

function add(ctx: LowerContext, kind: string, node: GraphNode): Key {
  const key = `${kind}-${ctx.prefix}-${(ctx.counter++).toString(36)}`;
  ctx.graph.set(key, node);
  return key;
}

/** The window node's tasks over its (shuffled or sorted) input, one key per output partition. */
export function lowerWindow(
  node: WindowExecNode,
  parts: readonly Key[],
  ctx: LowerContext,
): readonly Key[] {
  const { partitionBy, orderBy, ascending, specs } = node;
  if (node.over === "groups" || parts.length === 1) {
    return parts.map((k) =>
      add(
        ctx,
        "window",
        task(windowOps.windowGroups, ref(k), partitionBy, orderBy, ascending, specs),
      ),
    );
  }
  const summaries = parts.map((k) =>
    add(ctx, "window-summary", task(windowOps.windowSummary, ref(k), orderBy, ascending, specs)),
  );
  const contexts = add(
    ctx,
    "window-context",
    task(windowOps.windowContexts, summaries.map(ref), specs),
  );
  return parts.map((k, j) =>
    add(
      ctx,
      "window",
      task(windowOps.windowApply, ref(k), ref(contexts), j, orderBy, ascending, specs),
    ),
  );
}
