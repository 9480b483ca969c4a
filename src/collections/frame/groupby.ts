/**
 * `df.groupby(keys)`: the grouped view whose `agg` builds the aggregation. Aggregation runs as a
 * partial per partition, a tree of combines (`splitEvery` at a time, like dask's split_every),
 * and a finalize; with `splitOut: n` the partials are hash-partitioned into n outputs.
 */

import { configuredFrameShuffle } from "../../config/values.js";
import { OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import type { AggOutputs, AggSpecOf } from "./agg-types.js";
import type { DataFrame } from "./dataframe.js";
import type { Plan } from "./plan.js";
import type { Names, Row, Simplify } from "./types.js";
import { type AggEntry, type AggOptions, aggSpecs, groupAgg } from "./verbs.js";
import { type WindowEntry, type WindowOptions, windowPlan } from "./window.js";

const AGG_KEYS: readonly string[] = ["splitOut", "splitEvery", "shuffle"];

/** A grouped frame, waiting for its aggregations. */
export class GroupBy<S extends Row, K extends Names<S>> {
  readonly #plan: Plan;
  readonly #keys: readonly K[];
  readonly #make: (p: Plan) => DataFrame<Row>;

  /** @internal use df.groupby() */
  constructor(plan: Plan, keys: readonly K[], make: (p: Plan) => DataFrame<Row>) {
    this.#plan = plan;
    this.#keys = keys;
    this.#make = make;
  }

  /**
   * Aggregate: `{ x: "mean" }` (output named x), `{ x: ["min", "max"] }` (x_min, x_max),
   * `{ meanX: ["x", "mean"] }` (named output). Functions: sum, mean, min, max, count (non-null),
   * size (rows), nunique, std, var (ddof 1), first, last (first/last non-null, in order).
   * On a typed frame, keys and `[column, fn]` columns must be the frame's (a named output or
   * "size" may take any name), sum/mean/std/var only numeric or bool columns, and the output
   * row is typed (agg-types.ts).
   */
  agg<const A extends AggSpecOf<S, A>>(
    spec: A,
    options: AggOptions = {},
  ): DataFrame<Simplify<Pick<S, K> & AggOutputs<S, A>>> {
    checkOptionKeys("agg", options, AGG_KEYS);
    const specs = aggSpecs(this.#plan.schema, spec as Readonly<Record<string, AggEntry>>);
    return this.#make(groupAgg(this.#plan, this.#keys, specs, withShuffle(options))) as never;
  }

  /**
   * Window columns within each group, in the order of `orderBy` (dask's
   * `groupby(k).cumsum()`, Polars' `.over(k, order_by=t)`): `df.window(outputs, { orderBy,
   * partitionBy: keys })`. Every row is kept; rows come out sorted by (keys, orderBy).
   */
  window<const W extends Readonly<Record<string, WindowEntry>>>(
    outputs: W,
    options: Omit<WindowOptions, "partitionBy">,
  ): DataFrame<Simplify<S & { [O in keyof W]: unknown }>> {
    if (typeof options === "object" && options !== null && "partitionBy" in options) {
      throw new OptionError("groupby(...).window: the groups are the partitions; drop partitionBy");
    }
    return this.#make(
      windowPlan(this.#plan, outputs, { ...options, partitionBy: this.#keys }),
    ) as never;
  }

  /** The number of rows per group, as column `size`. */
  size(options: AggOptions = {}): DataFrame<Simplify<Pick<S, K> & { size: number }>> {
    checkOptionKeys("size", options, AGG_KEYS);
    return this.#make(
      groupAgg(
        this.#plan,
        this.#keys,
        [{ fn: "size", column: null, output: "size" }],
        withShuffle(options),
      ),
    ) as never;
  }
}

/** The options with the frame.shuffle setting as the split-out shuffle's default. */
function withShuffle(options: AggOptions): AggOptions {
  return { ...options, shuffle: options.shuffle ?? configuredFrameShuffle() };
}
