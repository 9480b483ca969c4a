/**
 * Compile-time types of `.agg({...})`: which specs a frame accepts (keys that are columns, or
 * named outputs over columns; aggregations that fit the column's type) and the output row the
 * spec gives, named and typed as verbs.ts (`aggSpecs`, `aggField`) and records.ts produce them.
 * On an untyped frame every name and every aggregation is accepted (checked when built).
 */
import type { AggFn } from "../../kernels/aggregate.js";
import type { Names, Simplify } from "./types.js";

/** Aggregations that need a numeric or bool column (verbs.ts NUMERIC_AGGS). */
type NumericAgg = "sum" | "mean" | "std" | "var" | "median" | "quantile";

/** The aggregations that fit a column whose values are `V`: no sum/mean/std/var of strings or dates. */
export type AggFnFor<V> = unknown extends V
  ? AggFn
  : [NonNullable<V>] extends [number | bigint | boolean]
    ? AggFn
    : Exclude<AggFn, NumericAgg>;

/** Whether a quantile fits values `V` (numbers, bigints, bools), as `"quantile"` or never. */
type QuantileFor<V> = Extract<AggFnFor<V>, "quantile">;

/**
 * A named output over a column: `[column, fn]`, `{ column, fn }`, `[column, "quantile", q]` or
 * `{ column, fn: "quantile", q }`; `size` takes any name.
 */
type NamedEntry<S> =
  | {
      [C in Names<S>]:
        | readonly [C, AggFnFor<S[C]>]
        | { readonly column: C; readonly fn: AggFnFor<S[C]>; readonly q?: number }
        | readonly [C, QuantileFor<S[C]>, number];
    }[Names<S>]
  | readonly [string, "size"];

/**
 * What `agg` accepts under output name `O`: for a column, an aggregation or a list of them that
 * fit its type; for any name, a named output, or "size".
 */
export type AggEntryFor<S, O> =
  | (O extends Names<S>
      ? AggFnFor<S[O]> | readonly AggFnFor<S[O]>[] | readonly [QuantileFor<S[O]>, number]
      : "size")
  | NamedEntry<S>;

/**
 * The spec `A` checked against the row type `S`: `agg<const A extends AggSpecOf<S, A>>(spec: A)`
 * makes a key that is not a column (`{ scroe: "sum" }`) or an aggregation that does not fit
 * (`{ name: "mean" }` on strings) a compile error on that key.
 */
export type AggSpecOf<S, A = Record<string, unknown>> = {
  readonly [O in keyof A]: AggEntryFor<S, O>;
};

type NullIn<V> = null extends V ? null : never;

/** The exact int64 sum is a bigint; sums of int32, float64 and bool are numbers. */
type SumOf<V> = unknown extends V
  ? unknown
  :
      | ([NonNullable<V>] extends [bigint]
          ? bigint
          : [NonNullable<V>] extends [number | boolean]
            ? number
            : number | bigint)
      | NullIn<V>;

/**
 * The value of aggregation `F` over a column of values `V`: counts are numbers (never null);
 * mean is a number (null where the group has only nulls); std and var are null under two
 * values, median and quantile where a group has no value (float64 either way); sum of int64 is a bigint; min, max, first and last keep the column's type.
 */
export type AggValue<F, V> = F extends "size" | "count" | "nunique"
  ? number
  : F extends "std" | "var" | "median" | "quantile"
    ? number | null
    : F extends "mean"
      ? number | NullIn<V>
      : F extends "sum"
        ? SumOf<V>
        : V;

type ColValue<S, C> = C extends keyof S ? S[C] : unknown;

/** The output columns of one entry, as { name, value } pairs (a list gives `column_fn` each). */
type EntryOutputs<S, O extends string, E> = E extends AggFn
  ? { name: O; value: AggValue<E, ColValue<S, O>> }
  : E extends readonly ["quantile", number] | readonly [string, "quantile", number]
    ? { name: O; value: number | null }
    : E extends readonly [infer C extends string, infer F extends AggFn]
      ? C extends AggFn
        ? ListOutputs<S, O, C | F>
        : { name: O; value: AggValue<F, ColValue<S, C>> }
      : E extends readonly (infer F)[]
        ? ListOutputs<S, O, F>
        : E extends { readonly column: infer C extends string; readonly fn: infer F }
          ? { name: O; value: AggValue<F, ColValue<S, C>> }
          : never;

type ListOutputs<S, O extends string, F> = F extends AggFn
  ? { name: `${O}_${F}`; value: AggValue<F, ColValue<S, O>> }
  : never;

type OutputPairs<S, A> = {
  [O in keyof A & string]: EntryOutputs<S, O, A[O]>;
}[keyof A & string];

/**
 * The output columns of an `agg` spec over rows `S`: `{ x: "mean" }` gives x, `{ x: ["min",
 * "max"] }` x_min and x_max, `{ out: ["x", "mean"] }` and `{ out: { column: "x", fn: "mean" } }`
 * out; each typed by `AggValue`.
 */
export type AggOutputs<S, A> = PairsToRow<OutputPairs<S, A>>;

type PairsToRow<P extends { name: string; value: unknown }> = Simplify<{
  [N in P["name"]]: Extract<P, { name: N }>["value"];
}>;
