/**
 * Compile-time value types of expressions. An `Expr` carries, besides the columns it reads, a
 * small type-level tree of what it computes (`col("x").add(1)` is `ArithV<"add", ColV<"x">,
 * IntLitV>`); a typed frame's `withColumns` evaluates that tree against its row type, so the new
 * column's type is the one `toRecords()` returns. The rules mirror the run-time ones in
 * expr-types.ts (`typeOf`, `commonType`): keep the two in step. Nothing here exists at run time.
 *
 * TS types cannot tell int32 from float64 (both `number`), so where the run-time type depends
 * on that (an int64 beside a `number` column) the result is `bigint | number`. Nodes are marked
 * by a "~barnValue" key, which no real value has.
 */
import type { DType } from "../../kernels/batch.js";

/** The column `N`, looked up in the frame's row type when the expression is used. */
export interface ColV<N extends string> {
  readonly "~barnValue": "col";
  readonly name: N;
}
/** A whole-number literal: a `number` alone, but an int64 beside it stays int64 (eval.ts). */
export interface IntLitV {
  readonly "~barnValue": "intLit";
}
/** `l op r` (add, sub, mul, div). */
export interface ArithV<Op extends string, L, R> {
  readonly "~barnValue": "arith";
  readonly op: Op;
  readonly l: L;
  readonly r: R;
}
/** A value of type `T`, null where any of `Args` is null (comparisons, string and date parts, casts). */
export interface MapV<T, Args extends readonly unknown[]> {
  readonly "~barnValue": "map";
  readonly t: T;
  readonly args: Args;
}
/** `A`, or `B` where `A` is null (fillNull). */
export interface CoalesceV<A, B> {
  readonly "~barnValue": "coalesce";
  readonly a: A;
  readonly b: B;
}
/** One of the branches (when/then/otherwise): their common type. */
export interface CaseV<Bs extends readonly unknown[]> {
  readonly "~barnValue": "case";
  readonly branches: Bs;
}

/** The JS value of a column of type `D` in `toRecords()` (records.ts `valueAt`), without null. */
export type ValueOfType<D extends DType> = D extends "int32" | "float64"
  ? number
  : D extends "int64"
    ? bigint
    : D extends "bool"
      ? boolean
      : D extends "utf8" | "dict"
        ? string
        : D extends "date" | "timestamp"
          ? Date
          : never;

/** The value type of a literal operand (a Date is a timestamp). */
export type LitV<X> = X extends Date
  ? Date
  : X extends number
    ? number extends X
      ? number
      : `${X}` extends `${string}${"." | "e" | "I" | "N"}${string}`
        ? number
        : IntLitV
    : X extends string
      ? string
      : X extends boolean
        ? boolean
        : X extends bigint
          ? bigint
          : X extends null
            ? null
            : unknown;

/** The value-type tree of an operand: an Expr's own, or a literal's. */
export type ValOf<O> = O extends number | string | boolean | bigint | null | Date
  ? LitV<O>
  : O extends { readonly __value?: infer T }
    ? T
    : unknown;

/** The columns an operand reads (none for a literal). */
export type ColsOf<O> = O extends number | string | boolean | bigint | null | Date
  ? never
  : O extends { readonly __columns?: infer M extends string }
    ? M
    : never;

/** `null` when `T` may be null (or is unknown). */
type NullIn<T> = null extends T ? null : never;

/** The result of arithmetic on evaluated operands (typeOf's "arith" case). */
type Arith<Op, L, R> = unknown extends L
  ? unknown
  : unknown extends R
    ? unknown
    : (Op extends "div" ? number : IntArith<NonNullable<L>, NonNullable<R>>) | NullIn<L | R>;

/** int64 when one side is and both are integers (int64, or a whole-number literal); else float64. */
type IntArith<A, B> = [Extract<A | B, bigint>] extends [never]
  ? number
  : [Exclude<A | B, bigint | IntLitV>] extends [never]
    ? bigint
    : bigint | number;

/** The common type of branch values (commonType): an int64 beside a `number` may be either. */
type Common<U> = unknown extends U
  ? unknown
  : [Extract<U, bigint>] extends [never]
    ? U
    : [Exclude<U, bigint | IntLitV | null>] extends [never]
      ? Exclude<U, IntLitV>
      : Exclude<U, IntLitV> | (number extends U ? number : never);

type EvAll<Ts, S> = { [I in keyof Ts]: Ev<Ts[I], S> };

/** Evaluates a value-type tree against row `S`, keeping IntLitV (arithmetic needs it). */
type Ev<T, S> = T extends { readonly "~barnValue": infer Kind }
  ? Kind extends "col"
    ? T extends ColV<infer N>
      ? N extends keyof S
        ? S[N]
        : unknown
      : never
    : Kind extends "intLit"
      ? IntLitV
      : Kind extends "arith"
        ? T extends ArithV<infer Op, infer L, infer R>
          ? Arith<Op, Ev<L, S>, Ev<R, S>>
          : never
        : Kind extends "map"
          ? T extends MapV<infer V, infer Args>
            ? V | NullIn<EvAll<Args, S>[number]>
            : never
          : Kind extends "coalesce"
            ? T extends CoalesceV<infer A, infer B>
              ? unknown extends Ev<A, S>
                ? unknown
                : Common<NonNullable<Ev<A, S>> | Ev<B, S>>
              : never
            : Kind extends "case"
              ? T extends CaseV<infer Bs>
                ? Common<EvAll<Bs, S>[number]>
                : never
              : never
  : T;

/** The value an expression with value tree `T` computes on a row of type `S`. */
export type EvalValue<T, S> = Finish<Ev<T, S>>;

type Finish<T> = T extends IntLitV ? number : T;
