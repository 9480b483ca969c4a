/**
 * The DataFrame: an immutable, lazy handle on a plan. Verbs return new frames (validated when
 * built); nothing runs until compute(), persist(), head(), toRecords() or describe(). Methods
 * are thin facades over the verbs in verbs.ts.
 */
import type * as A from "apache-arrow";
import type { Client } from "../../client/client.js";
import type { Future } from "../../client/future.js";
import { configuredFrameShuffle as configuredShuffle } from "../../config/values.js";
import { OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import type { Batch, Schema } from "../../kernels/batch.js";
import { concatBatches, emptyBatch, sliceBatch } from "../../kernels/column.js";
import { shipFunction } from "../../shipping/ship.js";
import type { AggOutputs, AggSpecOf } from "./agg-types.js";
import { batchesToTable, tableToBatch } from "./arrow.js";
import { describeFrame } from "./describe.js";
import { fieldOf } from "./errors.js";
import { col as colExpr, Expr, type Literal, lit } from "./expr.js";
import type { ColV } from "./expr-values.js";
import { GroupBy } from "./groupby.js";
import type { Merged, MergeOptionsFor } from "./merge-types.js";
import { explainPlan, optimize } from "./optimize/index.js";
import { explainPhysical } from "./physical/explain.js";
import { physicalPlan } from "./physical/planner.js";
import type { Plan } from "./plan.js";
import { quantileFrame, wholeFrameAgg } from "./quantile.js";
import { batchToRecords } from "./records.js";
import { repartition, shuffleOn } from "./repartition.js";
import { type MeltOptions, meltPlan, type PivotOptions, pivotPlan } from "./reshape.js";
import { computeBatches, divisionsOf, persistPlan, RUN_KEYS, type RunOptions } from "./run.js";
import { bindColumn } from "./to-array.js";
import type {
  Dropped,
  Filled,
  Names,
  Picked,
  Renamed,
  Row,
  Simplify,
  WithColumns,
} from "./types.js";
import * as verbs from "./verbs.js";
import { type WindowEntry, type WindowOptions, windowPlan } from "./window.js";
import {
  type ToCsvOptions,
  type ToJsonOptions,
  type ToParquetOptions,
  type WriteResult,
  writeFrame,
} from "./write.js";

/** Options of mapPartitions. */
export interface MapPartitionsOptions {
  /** The output schema; default: found by calling the function on an empty partition. */
  readonly schema?: Schema | undefined;
  /** Give the function an apache-arrow Table (and take one back) instead of a Batch. */
  readonly arrow?: boolean | undefined;
}

/** Options of explain(). */
export interface ExplainOptions {
  /** Show the physical plan (the tasks that run) instead of the optimised logical plan. */
  readonly physical?: boolean | undefined;
}

/** Options of persist(). */
export interface PersistOptions {
  /** The client to keep the partitions on. Default: Client.current(). */
  readonly client?: Client | undefined;
}

/** A lazy, partitioned table with columns typed by `S`. */
export class DataFrame<S extends Row = Row> {
  /** The logical plan (plain data). */
  readonly plan: Plan;
  /** Futures of persisted partitions, kept so the cluster keeps them while this frame lives. */
  readonly #held: readonly Future[];
  declare readonly __row?: S;

  /** @internal use fromRecords / fromArrow / a reader */
  constructor(plan: Plan, held: readonly Future[] = [], index?: string) {
    this.plan = plan;
    this.#held = held;
    this.index = index;
  }

  /** The column set by setIndex() that partitions are ordered by, if any. */
  readonly index: string | undefined;

  #next<T extends Row>(plan: Plan): DataFrame<T> {
    return new DataFrame<T>(plan, this.#held);
  }

  /** The columns' names and types. */
  get schema(): Schema {
    return this.plan.schema;
  }
  /** The column names. */
  get columns(): Names<S>[] {
    return this.plan.schema.map((f) => f.name) as Names<S>[];
  }
  /** The number of partitions. */
  get npartitions(): number {
    return this.plan.npartitions;
  }
  /** Index values at the partition boundaries (npartitions + 1), when known. */
  get divisions(): readonly unknown[] | undefined {
    return this.plan.kind === "source" ? this.plan.divisions : undefined;
  }

  /**
   * The column `name` as an expression (typed by this frame's columns). It remembers this
   * frame, so with barn/array imported `await df.col("x").toArray()` is the column as an array.
   */
  col<K extends Names<S>>(name: K): Expr<K, ColV<K>> {
    return bindColumn(colExpr(name), this as DataFrame);
  }
  /** Keep only these columns, in this order. */
  select<K extends Names<S>>(...columns: K[]): DataFrame<Picked<S, K>> {
    return this.#next(verbs.project(this.plan, columns));
  }
  /** Drop these columns. */
  drop<K extends Names<S>>(...columns: K[]): DataFrame<Dropped<S, K>> {
    return this.#next(verbs.drop(this.plan, columns));
  }
  /** Rename columns (old -> new). */
  rename<const M extends { readonly [K in Names<S>]?: string }>(
    mapping: M,
  ): DataFrame<Simplify<Renamed<S, M>>> {
    return this.#next(verbs.rename(this.plan, mapping as Record<string, string>));
  }
  /** The same frame with its columns untyped (for code that takes any DataFrame). */
  untyped(): DataFrame<Row> {
    return this as unknown as DataFrame<Row>;
  }
  /** Keep the rows where `predicate` is true (null counts as false). */
  filter(predicate: Expr<Names<S>>): DataFrame<S> {
    return this.#next(verbs.filter(this.plan, predicate.node));
  }
  /**
   * Add or replace columns: `{ z: col("x").add(col("y")) }`. Expressions read the input's
   * columns; on a typed frame each new column is typed by what its expression computes.
   */
  withColumns<const E extends Readonly<Record<string, Expr<Names<S>> | Literal>>>(
    exprs: E,
  ): DataFrame<WithColumns<S, E>> {
    const pairs = Object.entries(exprs).map(
      ([n, e]) => [n, (e instanceof Expr ? e : lit(e as Literal)).node] as const,
    );
    return this.#next(verbs.withColumns(this.plan, pairs));
  }
  /** Same as withColumns (pandas' name). */
  assign<const E extends Readonly<Record<string, Expr<Names<S>> | Literal>>>(
    exprs: E,
  ): DataFrame<WithColumns<S, E>> {
    return this.withColumns(exprs);
  }
  /** Group by one or more key columns; follow with `.agg({...})`. */
  groupby<K extends Names<S>>(keys: K | readonly K[]): GroupBy<S, K> {
    const ks = typeof keys === "string" ? [keys] : [...keys];
    // An unknown key fails here, at the verb, not later at .agg().
    for (const k of ks) fieldOf(this.plan.schema, k, "groupby");
    return new GroupBy<S, K>(this.plan, ks, (p) => this.#next(p));
  }
  /**
   * Join with another frame (inner by default; broadcast when one side is small, else hash
   * shuffle). On typed frames the keys must be columns of their side, and the result's row type
   * follows the output columns (merge-types.ts).
   */
  merge<R extends Row, const O extends MergeOptionsFor<S, R>>(
    right: DataFrame<R>,
    options: O,
  ): DataFrame<Merged<S, R, O>> {
    checkOptionKeys("merge", options, verbs.MERGE_KEYS);
    const shuffle = options.shuffle ?? configuredShuffle();
    return new DataFrame(verbs.join(this.plan, right.plan, { ...options, shuffle }), [
      ...this.#held,
      ...right.#held,
    ]);
  }
  /** Same as merge. */
  join<R extends Row, const O extends MergeOptionsFor<S, R>>(
    right: DataFrame<R>,
    options: O,
  ): DataFrame<Merged<S, R, O>> {
    return this.merge(right, options);
  }
  /**
   * Sort by columns; partitions become sorted key ranges. Nulls go last unless `nullsPosition`
   * is "first" (one value, or one per column; pandas' na_position).
   */
  sortValues(
    by: Names<S> | readonly Names<S>[],
    options: {
      ascending?: boolean | readonly boolean[];
      nullsPosition?: verbs.NullsPosition | readonly verbs.NullsPosition[];
      /** "p2p" or "tasks" (see MergeOptions.shuffle). Default: P2P from 32 partitions. */
      shuffle?: verbs.ShuffleOption;
    } = {},
  ): DataFrame<S> {
    checkOptionKeys("sortValues", options, ["ascending", "nullsPosition", "shuffle"]);
    return this.#next(
      verbs.sort(
        this.plan,
        typeof by === "string" ? [by] : by,
        options.ascending ?? true,
        options.nullsPosition ?? "last",
        options.shuffle ?? configuredShuffle(),
      ),
    );
  }
  /**
   * Sort by `column` so partitions hold ordered ranges of it; persist() then knows the divisions.
   * `shuffle` as sortValues'.
   */
  setIndex(column: Names<S>, options: { shuffle?: verbs.ShuffleOption } = {}): DataFrame<S> {
    checkOptionKeys("setIndex", options, ["shuffle"]);
    const plan = verbs.sort(
      this.plan,
      [column],
      true,
      "last",
      options.shuffle ?? configuredShuffle(),
    );
    return new DataFrame<S>(plan, this.#held, column);
  }
  /**
   * Drop rows that repeat another row in the `subset` columns (default all), keeping the first
   * (default) or the last of them in row order (pandas' keep).
   */
  dropDuplicates(
    subset?: readonly Names<S>[],
    options: { readonly keep?: "first" | "last" | undefined } = {},
  ): DataFrame<S> {
    checkOptionKeys("dropDuplicates", options, ["keep"]);
    return this.#next(verbs.dropDuplicates(this.plan, subset, options.keep ?? "first"));
  }
  /**
   * The distinct rows (SQL's SELECT DISTINCT; Polars' unique): one row for each distinct value
   * of the `subset` columns (default all). Which row of a repeated `subset` value is kept is not
   * promised (Polars' keep="any"); use dropDuplicates for the first or the last in row order.
   */
  distinct(subset?: readonly Names<S>[]): DataFrame<S> {
    return this.#next(verbs.dropDuplicates(this.plan, subset, "first", "distinct"));
  }
  /**
   * The distinct values of one column, as a one-column frame (pandas' and Dask's
   * `df[column].unique()`; a null is one value); in no promised order. (Polars' DataFrame.unique is distinct() here.)
   */
  unique<K extends Names<S>>(column: K): DataFrame<Picked<S, K>> {
    if (typeof column !== "string") {
      throw new OptionError(
        `unique(column): give one column name, got ${String(column)} (for distinct rows use distinct(subset?))`,
      );
    }
    return this.select(column).distinct();
  }
  /**
   * Rows chosen at random without replacement: `{ n }` rows in all (one partition; every row
   * when there are fewer), or `{ frac }` of each partition's rows, rounded (as Dask's
   * sample(frac)). The same `seed` chooses the same rows of the same partitions on any
   * scheduler and any number of workers; without one, a seed is drawn when the verb is called
   * (so one frame always computes the same sample). Rows keep their order.
   */
  sample(
    size: { readonly n: number } | { readonly frac: number },
    options: { readonly seed?: number | undefined } = {},
  ): DataFrame<S> {
    if (typeof size !== "object" || size === null) {
      throw new OptionError("sample(size): size must be { n } or { frac }");
    }
    checkOptionKeys("sample", size, ["n", "frac"]);
    checkOptionKeys("sample", options, ["seed"]);
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    return this.#next(verbs.sample(this.plan, size, seed));
  }
  /**
   * Nulls of the named columns replaced by the given values (pandas' fillna with a dict). On a
   * typed frame a column filled with a non-null value is no longer typed as nullable.
   */
  fillNull<const V extends { readonly [K in keyof V]: K extends Names<S> ? Literal : never }>(
    values: V,
  ): DataFrame<Filled<S, V>> {
    const exprs = Object.entries(values).map(
      ([n, v]) => [n, colExpr(n).fillNull(v as Literal).node] as const,
    );
    for (const [n] of exprs) fieldOf(this.plan.schema, n, "fillNull");
    return this.#next(verbs.withColumns(this.plan, exprs));
  }
  /** Rows with no null in the `subset` columns (default all): pandas' dropna, Polars' drop_nulls. */
  dropNulls(subset?: readonly Names<S>[]): DataFrame<S> {
    const names = subset ?? (this.columns as readonly Names<S>[]);
    if (names.length === 0) return this;
    const pred = names.map((n): Expr<Names<S>> => colExpr(n).notNull()).reduce((a, b) => a.and(b));
    return this.filter(pred);
  }
  /**
   * Counts of each distinct value of `column`, most frequent first (columns: column, count).
   * Nulls are counted as a value of their own unless `dropna` (pandas' default is true; here
   * false, as barn/frame did before the option).
   */
  valueCounts<K extends Names<S>>(
    column: K,
    options: { readonly dropna?: boolean | undefined } = {},
  ): DataFrame<Simplify<Pick<S, K> & { count: number }>> {
    checkOptionKeys("valueCounts", options, ["dropna"]);
    const input =
      options.dropna === true
        ? verbs.filter(this.plan, { e: "notNull", arg: { e: "col", name: column } })
        : this.plan;
    const counted = verbs.groupAgg(
      input,
      [column],
      [{ fn: "size", column: null, output: "count" }],
    );
    return this.#next(verbs.sort(counted, ["count", column], [false, true]));
  }
  /**
   * Aggregate the whole frame into one row, with the same spec as `groupby(...).agg` (SQL's
   * aggregates without GROUP BY): `df.agg({ x: "median", p90: ["x", "quantile", 0.9] })`.
   */
  agg<const A extends AggSpecOf<S, A>>(spec: A): DataFrame<AggOutputs<S, A>> {
    return this.#next(wholeFrameAgg(this.plan, spec as Readonly<Record<string, verbs.AggEntry>>));
  }
  /**
   * The q-quantile (0 to 1, linear interpolation: pandas' default, DuckDB's quantile_cont) of
   * each of `columns` (default: every numeric column), as a one-row frame of float64 columns.
   */
  quantile<K extends Names<S>>(
    q: number,
    columns?: readonly K[],
  ): DataFrame<{ [C in K]: number | null }> {
    return this.#next(quantileFrame(this.plan, q, columns));
  }
  /** The median of each of `columns` (default: every numeric column): quantile(0.5). */
  median<K extends Names<S>>(columns?: readonly K[]): DataFrame<{ [C in K]: number | null }> {
    return this.quantile(0.5, columns);
  }
  /**
   * Columns computed over the rows in the order of `orderBy`, within each `partitionBy` group
   * (default: the whole frame): running sums, maxima, minima and row numbers, shifted values
   * (lag/lead), ranks of the order key, rolling sums and means. The result holds every input
   * row, sorted by (partitionBy, orderBy).
   * `df.window({ total: { fn: "cumsum", column: "x" } }, { orderBy: "t" })`.
   */
  window<const W extends Readonly<Record<string, WindowEntry>>>(
    outputs: W,
    options: WindowOptions,
  ): DataFrame<Simplify<S & { [K in keyof W]: unknown }>> {
    return this.#next(windowPlan(this.plan, outputs, options));
  }
  /**
   * Columns unpivoted into rows (pandas' melt, DuckDB's UNPIVOT INCLUDE NULLS): per value
   * column and row, the `idVars`, the column's name (`varName`) and its value (`valueName`).
   */
  melt(options: MeltOptions = {}): DataFrame<Row> {
    return this.#next(meltPlan(this.plan, options));
  }
  /**
   * A spreadsheet-style pivot (pandas' pivot_table, DuckDB's PIVOT): one row per `index`
   * value, one column per listed value of `columns`, cells aggregated from `values`.
   */
  pivotTable(options: PivotOptions, aggOptions: verbs.AggOptions = {}): DataFrame<Row> {
    checkOptionKeys("pivotTable", aggOptions, ["splitOut", "splitEvery", "shuffle"]);
    const shuffle = aggOptions.shuffle ?? configuredShuffle();
    return this.#next(pivotPlan(this.plan, options, { ...aggOptions, shuffle }));
  }
  /** Summary statistics of the numeric columns (count, mean, std, min, quartiles, max) as an arrow Table. */
  async describe(options: RunOptions = {}): Promise<A.Table> {
    checkOptionKeys("describe", options, RUN_KEYS);
    return describeFrame(this.plan, options);
  }
  /**
   * Apply `fn` to every partition (a Batch, or an arrow Table with `{ arrow: true }`). The
   * function ships like any task function: inline with no free variables, or declared with
   * tasks() in a module.
   */
  mapPartitions<T extends Row = Row>(
    fn: (part: A.Table) => A.Table | Promise<A.Table>,
    options: MapPartitionsOptions & { readonly arrow: true },
  ): DataFrame<T>;
  mapPartitions<T extends Row = Row>(
    fn: (part: Batch) => Batch | Promise<Batch>,
    options?: MapPartitionsOptions & { readonly arrow?: false | undefined },
  ): DataFrame<T>;
  mapPartitions<T extends Row = Row>(
    fn: Function,
    options: MapPartitionsOptions = {},
  ): DataFrame<T> {
    checkOptionKeys("mapPartitions", options, ["schema", "arrow"]);
    shipFunction(fn);
    const arrow = options.arrow === true;
    const schema = options.schema ?? inferSchema(fn, arrow, this.plan.schema);
    return this.#next(verbs.mapPartitions(this.plan, fn, arrow, schema));
  }
  /**
   * The same rows in `n` partitions: neighbours concatenated or split by row count, or with
   * `{ on }` hash-partitioned by those columns (as `shuffle(on, { npartitions: n })`).
   */
  repartition(n: number, options: ShuffleOnOptions<S> = {}): DataFrame<S> {
    checkOptionKeys("repartition", options, ["on", "shuffle"]);
    if (options.on === undefined) {
      if (options.shuffle !== undefined) {
        throw new OptionError(
          "repartition: shuffle applies to a repartition by key; give { on: column(s) } too",
        );
      }
      return this.#next(repartition(this.plan, n));
    }
    const on = typeof options.on === "string" ? [options.on] : options.on;
    const shuffle = options.shuffle ?? configuredShuffle();
    return this.#next(shuffleOn(this.plan, on, n, shuffle, "repartition"));
  }
  /**
   * Hash-partition the rows by `on` (dask's `shuffle(on)`): rows with equal values of `on`
   * (nulls alike) end up in one partition, in their input order. `npartitions` defaults to the
   * frame's; `shuffle` as sortValues'.
   */
  shuffle(
    on: Names<S> | readonly Names<S>[],
    options: { npartitions?: number; shuffle?: verbs.ShuffleOption } = {},
  ): DataFrame<S> {
    checkOptionKeys("shuffle", options, ["npartitions", "shuffle"]);
    const cols = typeof on === "string" ? [on] : on;
    const n = options.npartitions ?? this.plan.npartitions;
    const shuffle = options.shuffle ?? configuredShuffle();
    return this.#next(shuffleOn(this.plan, cols, n, shuffle));
  }
  /** A lazy frame of the first `n` rows (one partition). */
  limit(n: number): DataFrame<S> {
    return this.#next(verbs.head(this.plan, n));
  }
  /** The first `n` rows, computing partitions one at a time until there are enough. */
  async head(n = 5, options: RunOptions = {}): Promise<A.Table> {
    checkOptionKeys("head", options, RUN_KEYS);
    const got: Batch[] = [];
    let rows = 0;
    const limited = verbs.head(this.plan, n);
    for (let i = 0; i < this.plan.npartitions && rows < n; i++) {
      const [b] = await computeBatches(this.plan, options, [i]);
      got.push(b!);
      rows += b!.length;
    }
    const all = got.length === 0 ? emptyBatch(limited.schema) : concatBatches(got);
    return batchesToTable([sliceBatch(all, 0, n)], limited.schema);
  }
  /** Compute every partition and return them as one apache-arrow Table. */
  async compute(options: RunOptions = {}): Promise<A.Table> {
    checkOptionKeys("compute", options, RUN_KEYS);
    return batchesToTable(await computeBatches(this.plan, options), optimize(this.plan).schema);
  }
  /** Compute and return plain records (numbers, strings, booleans, bigints, Dates, null). */
  async toRecords(options: RunOptions = {}): Promise<S[]> {
    checkOptionKeys("toRecords", options, RUN_KEYS);
    const batches = await computeBatches(this.plan, options);
    return batches.flatMap((b) => batchToRecords(b)) as S[];
  }
  /** Compute the partitions and keep them on the cluster; the returned frame reads them there. */
  async persist(options: PersistOptions = {}): Promise<DataFrame<S>> {
    checkOptionKeys("persist", options, ["client"]);
    const { client, futures } = persistPlan(this.plan, options.client);
    await Promise.all(futures.map((f) => f.then(() => undefined)));
    const keys = futures.map((f) => f.key);
    const divisions =
      this.index === undefined ? undefined : await divisionsOf(client, keys, this.index);
    const plan: Plan = {
      kind: "source",
      reader: "persisted",
      parts: keys,
      schema: optimize(this.plan).schema,
      npartitions: futures.length,
      divisions,
    };
    return new DataFrame<S>(plan, futures, this.index);
  }
  /** Write one Parquet file per partition into `dir` (part-00000.parquet, ...), as tasks. */
  async toParquet(dir: string, options: ToParquetOptions = {}): Promise<WriteResult> {
    return writeFrame(this.plan, dir, "parquet", options);
  }
  /** Write one CSV file per partition into `dir` (part-00000.csv, ...), as tasks. */
  async toCsv(dir: string, options: ToCsvOptions = {}): Promise<WriteResult> {
    return writeFrame(this.plan, dir, "csv", options);
  }
  /** Write one JSON lines file per partition into `dir` (part-00000.jsonl, ...), as tasks. */
  async toJson(dir: string, options: ToJsonOptions = {}): Promise<WriteResult> {
    return writeFrame(this.plan, dir, "json", options);
  }
  /**
   * The optimised logical plan as an indented tree; with `{ physical: true }`, the physical
   * plan: the tasks that run (fused reads and steps), join strategies and shuffle kinds.
   */
  explain(options: ExplainOptions = {}): string {
    checkOptionKeys("explain", options, ["physical"]);
    const plan = optimize(this.plan);
    return options.physical === true ? explainPhysical(physicalPlan(plan)) : explainPlan(plan);
  }
  /** The futures of persisted partitions this frame keeps alive. @internal */
  get held(): readonly Future[] {
    return this.#held;
  }
}

/** The output schema of a mapPartitions function, from calling it on an empty partition (dask's meta). */
function inferSchema(fn: Function, arrow: boolean, input: Schema): Schema {
  const empty = emptyBatch(input);
  let out: unknown;
  try {
    out = fn(arrow ? batchesToTable([empty], input) : empty);
  } catch (err) {
    throw new OptionError(
      `mapPartitions: calling the function on an empty partition to learn its output columns failed (${err instanceof Error ? err.message : String(err)}). Fix: pass { schema: [{ name, type, nullable }, ...] }`,
    );
  }
  if (typeof (out as { then?: unknown })?.then === "function") {
    throw new OptionError(
      "mapPartitions: the function is async, so its output columns cannot be found up front. Fix: pass { schema: [...] }",
    );
  }
  const b = arrow ? tableToBatch(out as A.Table) : (out as Batch);
  if (b === null || typeof b !== "object" || !Array.isArray(b.names)) {
    throw new OptionError(
      "mapPartitions: the function must return a Batch (or an arrow Table with { arrow: true }). Fix: return the same kind of value it was given, or pass { schema }",
    );
  }
  return b.names.map((name, j) => ({ name, type: b.columns[j]!.type, nullable: true }));
}

/** Options of a repartition by key. */
export interface ShuffleOnOptions<S extends Row> {
  /** Hash-partition by these columns (rows with equal values in one partition). */
  readonly on?: Names<S> | readonly Names<S>[] | undefined;
  /** "p2p" or "tasks" (see MergeOptions.shuffle). Default: P2P from 32 partitions. */
  readonly shuffle?: verbs.ShuffleOption | undefined;
}
