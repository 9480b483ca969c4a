/**
 * Compile-time schemas: a frame's row type `S` flows through the verbs, so `select("a")`,
 * `col("a")` and `groupby("a")` accept only columns the frame has.
 */

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
