/**
 * Compile-time schemas: a frame's row type `S` flows through the verbs, so `select("a")`,
 * `col("a")` and `groupby("a")` accept only columns the frame has, and new columns get the
 * types their expressions compute.
 */
import type { DType } from "../../kernels/batch.js";
import type { CoalesceV, ColV, EvalValue, LitV, ValOf, ValueOfType } from "./expr-values.js";

/** A row: column name -> value type. */
export type Row = Record<string, unknown>;

/** The column names of a row type. */
export type Names<S> = keyof S & string;

/** `S` with columns renamed by `M` (old -> new). */
export type Renamed<S, M> = {
  [K in keyof S as K extends keyof M ? (M[K] extends string ? M[K] : K) : K]: S[K];
};

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Whether `S` is an untyped row (any string is a column name). */
export type IsUntyped<S> = string extends keyof S ? true : false;

/** The row type after keeping `K` (untyped rows stay untyped). */
export type Picked<S, K extends keyof S> = IsUntyped<S> extends true ? S : Simplify<Pick<S, K>>;

/** The row type after dropping `K` (untyped rows stay untyped). */
export type Dropped<S, K extends keyof S> = IsUntyped<S> extends true ? S : Simplify<Omit<S, K>>;

/** The value a `withColumns` entry (an Expr or a literal) computes on a row of type `S`. */
export type EntryValue<X, S> = EvalValue<ValOf<X>, S>;

/** The row type after `withColumns(E)`: `S` with E's columns added or replaced. */
export type WithColumns<S, E> = Simplify<
  Omit<S, keyof E> & { -readonly [K in keyof E]: EntryValue<E[K], S> }
>;

/** The row type after `fillNull(V)`: each filled column is its values or the fill value (untyped rows stay untyped). */
export type Filled<S, V> =
  IsUntyped<S> extends true
    ? S
    : Simplify<{
        [K in keyof S]: K extends keyof V & string
          ? EvalValue<CoalesceV<ColV<K>, LitV<V[K]>>, S>
          : S[K];
      }>;

/** The row type of a frame whose columns have these Barn types (every value may be null). */
export type SchemaRow<M extends Readonly<Record<string, DType>>> = {
  -readonly [K in keyof M]: ValueOfType<M[K]> | null;
};

/** The value type a reader's column gets: its `schema` option's type, else unknown. */
type ReadValue<M, K> =
  M extends Readonly<Record<string, DType>>
    ? K extends keyof M
      ? ValueOfType<M[K]> | null
      : unknown
    : unknown;

type SchemaOption<O> = O extends {
  readonly schema: infer M extends Readonly<Record<string, DType>>;
}
  ? M
  : undefined;

/**
 * The row type of a file reader called with options `O`, when no row type is given: with a
 * `columns` list (a literal), exactly those columns (typed by `schema` where it names them);
 * with a `schema` alone, its columns typed and any other name accepted (the schema option
 * overrides the types of some columns; the files may hold more); else untyped.
 */
export type ReadRow<T, O> =
  IsUntyped<T> extends false
    ? T
    : O extends { readonly columns: infer C extends readonly string[] }
      ? string extends C[number]
        ? ReadRowOfSchema<SchemaOption<O>>
        : { -readonly [K in C[number]]: ReadValue<SchemaOption<O>, K> }
      : ReadRowOfSchema<SchemaOption<O>>;

type ReadRowOfSchema<M> =
  M extends Readonly<Record<string, DType>> ? Simplify<SchemaRow<M> & Row> : Row;
