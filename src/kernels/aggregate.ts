/**
 * Grouped aggregation as partial states that combine: `partialAggregate` turns one partition
 * into one row per group holding each aggregation's state (sum and count for mean; for the
 * exact sum of an int64 column, its high and low word sums and count (int64.ts); count, mean
 * and M2 for var/std, the winning value for min/max/first/last, the distinct (key, value) rows
 * for nunique); `combinePartials` merges any number of those (so a tree reduction can merge
 * them in rounds), and `finalizeAggregate` turns states into the output columns. States are
 * plain data (columns), so they cross threads like any batch.
 */
import type { Batch, Column } from "./batch.js";
import { concatBatches, concatColumns, takeBatch, takeColumn } from "./column.js";
import { groupIds } from "./group-ids.js";
import { int64Sums, normalise, sumInt64By } from "./int64.js";
import { hashPieces } from "./partition.js";
import { quantileRows, quantileValues } from "./quantile.js";
import {
  argExtremeBy,
  argFirstBy,
  combineMomentsBy,
  countBy,
  LANED_GROUPS,
  momentsBy,
  sumCountBy,
  sumCountBy2,
  sumStatesBy,
} from "./reduce-by.js";
import { giveBack, takeScratchInt32 } from "./scratch.js";

/** An aggregation function name. */
export type AggFn =
  | "sum"
  | "mean"
  | "min"
  | "max"
  | "count"
  | "size"
  | "nunique"
  | "std"
  | "var"
  | "first"
  | "last"
  | "median"
  | "quantile";

/** Every aggregation function, for validation. */
export const AGG_FNS: readonly AggFn[] = [
  "sum",
  "mean",
  "min",
  "max",
  "count",
  "size",
  "nunique",
  "std",
  "var",
  "first",
  "last",
  "median",
  "quantile",
];

/** Whether `fn` keeps its values' rows to the end (quantile.ts) instead of a mergeable state. */
export function keepsRows(fn: AggFn): boolean {
  return fn === "median" || fn === "quantile";
}

/** One aggregation: `fn` over `column` (null for size) named `output`. */
export interface AggSpec {
  readonly fn: AggFn;
  readonly column: string | null;
  readonly output: string;
  /** quantile only: the quantile in [0, 1] (median is 0.5). */
  readonly q?: number | undefined;
}

/** The combinable state of a grouped aggregation: one row per group. */
export interface PartialAgg {
  /** The key columns, one row per group. */
  readonly keys: Batch;
  /** Per spec, its state columns (aligned with `keys`). */
  readonly states: readonly (readonly Column[])[];
  /**
   * Per spec, for nunique: the distinct (keys..., value) rows seen; for median and quantile:
   * every non-null (keys..., value) row seen; null otherwise.
   */
  readonly distinct: readonly (Batch | null)[];
}

function f64(data: Float64Array): Column {
  return { type: "float64", length: data.length, data };
}

function col(batch: Batch, name: string): Column {
  return batch.columns[batch.names.indexOf(name)]!;
}

/** Distinct rows of a batch (first occurrence kept). */
export function distinctRows(batch: Batch): Batch {
  const g = groupIds(batch.columns, batch.length);
  if (batch.columns.length === 0) return batch;
  return g.count === batch.length ? batch : takeBatch(batch, g.firstRow);
}

/** One partition's partial aggregation of `specs` grouped by `keyNames`. */
export function partialAggregate(
  batch: Batch,
  keyNames: readonly string[],
  specs: readonly AggSpec[],
): PartialAgg {
  const keyCols = keyNames.map((k) => col(batch, k));
  // The row group ids die with this call: they live in scratch memory.
  const ids = takeScratchInt32(batch.length);
  try {
    const g = groupIds(keyCols, batch.length, ids);
    const keys = takeBatch({ names: keyNames, columns: keyCols, length: batch.length }, g.firstRow);
    const paired = pairedSums(specs, batch, g.ids, g.count);
    const states: Column[][] = [];
    const distinct: (Batch | null)[] = [];
    for (const [i, s] of specs.entries()) {
      const c = s.column === null ? undefined : col(batch, s.column);
      distinct.push(
        s.fn === "nunique"
          ? nuniqueRows(batch, keyNames, c!)
          : keepsRows(s.fn)
            ? quantileRows(batch, keyNames, c!)
            : null,
      );
      states.push(paired[i] ?? rowStates(s.fn, g.ids, g.count, batch.length, c));
    }
    return { keys, states, distinct };
  } finally {
    giveBack(ids);
  }
}

/**
 * The states of the sum and mean specs over columns without nulls, two columns per pass over
 * the group ids (sumCountBy2); undefined for the other specs.
 */
function pairedSums(
  specs: readonly AggSpec[],
  batch: Batch,
  ids: Int32Array,
  groups: number,
): (Column[] | undefined)[] {
  const out: (Column[] | undefined)[] = specs.map(() => undefined);
  if (groups > LANED_GROUPS) return out;
  const todo: number[] = [];
  for (const [i, s] of specs.entries()) {
    const c = s.fn === "sum" || s.fn === "mean" ? col(batch, s.column!) : undefined;
    if (c !== undefined && c.valid === undefined && !(s.fn === "sum" && c.type === "int64"))
      todo.push(i);
  }
  for (let k = 0; k + 1 < todo.length; k += 2) {
    const [i, j] = [todo[k]!, todo[k + 1]!];
    const r = sumCountBy2(
      ids,
      groups,
      col(batch, specs[i]!.column!),
      col(batch, specs[j]!.column!),
    );
    out[i] = [f64(r.sumA), f64(r.count)];
    out[j] = [f64(r.sumB), f64(r.count.slice())];
  }
  return out;
}

function nuniqueRows(batch: Batch, keyNames: readonly string[], c: Column): Batch {
  return distinctRows({
    names: [...keyNames, "__value"],
    columns: [...keyNames.map((k) => col(batch, k)), c],
    length: batch.length,
  });
}

function rowStates(
  fn: AggFn,
  ids: Int32Array,
  groups: number,
  n: number,
  c: Column | undefined,
): Column[] {
  switch (fn) {
    case "sum":
    case "mean": {
      if (fn === "sum" && c!.type === "int64") {
        const s = sumInt64By(ids, groups, c!);
        return [f64(s.hi), f64(s.lo), f64(s.count)];
      }
      const { sum, count } = sumCountBy(ids, groups, c!);
      return [f64(sum), f64(count)];
    }
    case "count":
      return [f64(countBy(ids, groups, n, c))];
    case "size":
      return [f64(countBy(ids, groups, n))];
    case "min":
    case "max":
      return [takeColumn(c!, argExtremeBy(ids, groups, c!, fn === "max"))];
    case "first":
    case "last":
      return [takeColumn(c!, argFirstBy(ids, groups, c!, fn === "last"))];
    case "std":
    case "var": {
      const m = momentsBy(ids, groups, c!);
      return [f64(m.count), f64(m.mean), f64(m.m2)];
    }
    case "nunique":
    case "median":
    case "quantile":
      return [];
    default:
      return fn satisfies never;
  }
}

/** Partial states merged into one (groups in order of first appearance, partials in order). */
export function combinePartials(
  parts: readonly PartialAgg[],
  specs: readonly AggSpec[],
): PartialAgg {
  if (parts.length === 1) return parts[0]!;
  const all = concatBatches(parts.map((p) => p.keys));
  const g = groupIds(all.columns, all.length);
  const keys = takeBatch(all, g.firstRow);
  const states: Column[][] = [];
  const distinct: (Batch | null)[] = [];
  specs.forEach((s, i) => {
    const cols = parts[0]!.states[i]!.map((_, j) =>
      concatColumns(parts.map((p) => p.states[i]![j]!)),
    );
    states.push(combineStates(s.fn, g.ids, g.count, cols));
    const rows = () => concatBatches(parts.map((p) => p.distinct[i]!));
    distinct.push(s.fn === "nunique" ? distinctRows(rows()) : keepsRows(s.fn) ? rows() : null);
  });
  return { keys, states, distinct };
}

function combineStates(fn: AggFn, ids: Int32Array, groups: number, cols: Column[]): Column[] {
  const x = (j: number) => cols[j]!.data as Float64Array;
  switch (fn) {
    case "sum":
    case "mean": {
      const out = cols.map((_, j) => sumStatesBy(ids, groups, x(j)));
      // An exact int64 sum's states are (hi, lo, count): carry lo into hi again.
      if (out.length === 3) normalise(out[0]!, out[1]!);
      return out.map(f64);
    }
    case "count":
    case "size":
      return [f64(sumStatesBy(ids, groups, x(0)))];
    case "min":
    case "max":
      return [takeColumn(cols[0]!, argExtremeBy(ids, groups, cols[0]!, fn === "max"))];
    case "first":
    case "last":
      return [takeColumn(cols[0]!, argFirstBy(ids, groups, cols[0]!, fn === "last"))];
    case "std":
    case "var": {
      const m = combineMomentsBy(ids, groups, x(0), x(1), x(2));
      return [f64(m.count), f64(m.mean), f64(m.m2)];
    }
    case "nunique":
    case "median":
    case "quantile":
      return [];
    default:
      return fn satisfies never;
  }
}

/** The output batch: key columns then one column per spec. */
export function finalizeAggregate(p: PartialAgg, specs: readonly AggSpec[]): Batch {
  const n = p.keys.length;
  const columns: Column[] = [...p.keys.columns];
  specs.forEach((s, i) => {
    columns.push(finalColumn(s, p.states[i]!, n, p, i));
  });
  return { names: [...p.keys.names, ...specs.map((s) => s.output)], columns, length: n };
}

function validWhere(n: number, ok: (g: number) => boolean): Uint8Array | undefined {
  let all = true;
  const valid = new Uint8Array((n + 7) >> 3);
  for (let g = 0; g < n; g++) {
    if (ok(g)) valid[g >> 3]! |= 1 << (g & 7);
    else all = false;
  }
  return all ? undefined : valid;
}

function finalColumn(
  spec: AggSpec,
  st: readonly Column[],
  n: number,
  p: PartialAgg,
  i: number,
): Column {
  const x = (j: number) => st[j]!.data as Float64Array;
  const fn = spec.fn;
  switch (fn) {
    case "sum": {
      const cnt = x(st.length - 1);
      const valid = validWhere(n, (g) => cnt[g]! > 0);
      if (st.length === 3) {
        const data = int64Sums(x(0), x(1), `sum(${spec.column}) as ${JSON.stringify(spec.output)}`);
        return { type: "int64", length: n, data, valid };
      }
      return { ...f64(x(0)), valid };
    }
    case "mean": {
      const sum = x(0);
      const cnt = x(1);
      const out = new Float64Array(n);
      for (let g = 0; g < n; g++) out[g] = sum[g]! / cnt[g]!;
      return { ...f64(out), valid: validWhere(n, (g) => cnt[g]! > 0) };
    }
    case "count":
    case "size":
      return st[0]!;
    case "min":
    case "max":
    case "first":
    case "last":
      return st[0]!;
    case "std":
    case "var": {
      const cnt = x(0);
      const m2 = x(2);
      const out = new Float64Array(n);
      for (let g = 0; g < n; g++) {
        const v = cnt[g]! > 1 ? m2[g]! / (cnt[g]! - 1) : 0;
        out[g] = fn === "std" ? Math.sqrt(v) : v;
      }
      return { ...f64(out), valid: validWhere(n, (g) => cnt[g]! > 1) };
    }
    case "nunique":
      return nuniqueCounts(p.keys, p.distinct[i]!);
    case "median":
      return quantileValues(p.keys, p.distinct[i]!, 0.5);
    case "quantile":
      return quantileValues(p.keys, p.distinct[i]!, spec.q!);
    default:
      return fn satisfies never;
  }
}

/** Per group of `keys`, the number of distinct non-null values among `distinct`'s rows. */
function nuniqueCounts(keys: Batch, distinct: Batch): Column {
  const k = keys.names.length;
  const keyPart = {
    names: keys.names,
    columns: distinct.columns.slice(0, k),
    length: distinct.length,
  };
  const both = concatBatches([keys, keyPart]);
  const g = groupIds(both.columns, both.length);
  const value = distinct.columns[k]!;
  const perGroup = new Float64Array(g.count);
  for (let r = 0; r < distinct.length; r++) {
    if (value.valid === undefined || ((value.valid[r >> 3]! >> (r & 7)) & 1) === 1) {
      perGroup[g.ids[keys.length + r]!]!++;
    }
  }
  const out = new Float64Array(keys.length);
  for (let r = 0; r < keys.length; r++) out[r] = perGroup[g.ids[r]!]!;
  return f64(out);
}

/** A partial split into `n` by the hash of its keys (for many-group, split-out aggregations). */
export function splitPartial(p: PartialAgg, n: number): PartialAgg[] {
  const piece = hashPieces(p.keys.columns, p.keys.length, n);
  const distinctPieces = p.distinct.map((d) =>
    d === null ? null : hashPieces(d.columns.slice(0, p.keys.names.length), d.length, n),
  );
  const out: PartialAgg[] = [];
  for (let j = 0; j < n; j++) {
    const sel = rowsOf(piece, j);
    out.push({
      keys: takeBatch(p.keys, sel),
      states: p.states.map((cols) => cols.map((c) => takeColumn(c, sel))),
      distinct: p.distinct.map((d, i) =>
        d === null ? null : takeBatch(d, rowsOf(distinctPieces[i]!, j)),
      ),
    });
  }
  return out;
}

function rowsOf(piece: Int32Array, j: number): Int32Array {
  let c = 0;
  for (let i = 0; i < piece.length; i++) if (piece[i] === j) c++;
  const sel = new Int32Array(c);
  c = 0;
  for (let i = 0; i < piece.length; i++) if (piece[i] === j) sel[c++] = i;
  return sel;
}
