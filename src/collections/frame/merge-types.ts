/**
 * Compile-time types of `merge`: the key options name columns of their own side, and the
 * output row follows join-exec.ts `joinSchema`: every left column, then the right columns except
 * a key with the same name as its left key (merged), a right name that clashes with a left one
 * taking `suffix` (default "_right"); key pairs of different types become the common type
 * (`joinKeyType`); a side that may be missing (the right of a left join, the left of a right
 * join, both in an outer join) may be null. An untyped side keeps the result untyped.
 */
import type { JoinHow } from "../../kernels/join.js";
import type { IsUntyped, Names, Simplify } from "./types.js";
import type { MergeOptions } from "./verbs.js";

type OneOrMany<K> = K | readonly K[];

/** MergeOptions whose keys are checked against the left row `L` and the right row `R`. */
export interface MergeOptionsFor<L, R>
  extends Omit<MergeOptions, "on" | "leftOn" | "rightOn" | "how" | "suffix"> {
  /** Key columns with the same name on both sides. */
  readonly on?: OneOrMany<Names<L> & Names<R>> | undefined;
  /** Key columns of the left side (with rightOn). */
  readonly leftOn?: OneOrMany<Names<L>> | undefined;
  /** Key columns of the right side (with leftOn). */
  readonly rightOn?: OneOrMany<Names<R>> | undefined;
  /** inner (default), left, right or outer. */
  readonly how?: JoinHow | undefined;
  /** Added to right-side names that clash with left ones. Default "_right". */
  readonly suffix?: string | undefined;
}

type AsTuple<X> = X extends string ? [X] : X;
type Zip<A, B> = A extends readonly [infer a, ...infer ar]
  ? B extends readonly [infer b, ...infer br]
    ? [a, b] | Zip<ar, br>
    : never
  : never;

/** The key pairs [left, right] of the options `O`. */
type Pairs<O> = O extends { readonly on: infer On extends OneOrMany<string> }
  ? On extends readonly (infer K)[]
    ? K extends string
      ? [K, K]
      : never
    : On extends string
      ? [On, On]
      : never
  : O extends { readonly leftOn: infer A; readonly rightOn: infer B }
    ? Zip<AsTuple<A>, AsTuple<B>>
    : never;

/** Keys whose two sides have the same name: one output column. */
type MergedKeys<P> = P extends [infer l, infer r] ? ([l] extends [r] ? l : never) : never;
type RightKeyOf<C, P> = P extends [C, infer r] ? r : never;
type LeftKeyOf<C, P> = P extends [infer l, C] ? l : never;

type HowOf<O> = O extends { readonly how: infer H extends JoinHow } ? H : "inner";
type SuffixOf<O> = O extends { readonly suffix: infer X extends string }
  ? string extends X
    ? string
    : X
  : "_right";

type NullIn<V> = null extends V ? null : never;
/** `null` when the join kind(s) `H` may leave this side missing. */
type MissingIn<H, Kinds> = [Extract<H, Kinds>] extends [never] ? never : null;

/** The type a key column is joined as (joinKeyType): its own, a string, or a float64 number. */
type JoinKey<Own, Other> = [NonNullable<Own>] extends [NonNullable<Other>]
  ? [NonNullable<Other>] extends [NonNullable<Own>]
    ? Own
    : Common<Own, Other>
  : Common<Own, Other>;
type Common<Own, Other> = [NonNullable<Own | Other>] extends [string]
  ? string | NullIn<Own>
  : number | NullIn<Own>;

type LeftValue<L, R, C extends keyof L, P, H> = [RightKeyOf<C, P>] extends [never]
  ? L[C] | MissingIn<H, "right" | "outer">
  : RightKeyOf<C, P> extends infer rc extends keyof R
    ? C extends MergedKeys<P>
      ?
          | JoinKey<L[C], R[rc]>
          | MissingIn<H, "outer">
          | ([Extract<H, "right">] extends [never] ? never : NullIn<R[rc]>)
      : JoinKey<L[C], R[rc]> | MissingIn<H, "right" | "outer">
    : never;

type RightValue<L, R, C extends keyof R, P, H> =
  | ([LeftKeyOf<C, P>] extends [never]
      ? R[C]
      : LeftKeyOf<C, P> extends infer lk extends keyof L
        ? JoinKey<R[C], L[lk]>
        : never)
  | MissingIn<H, "left" | "outer">;

/** A right column's output name: itself, or with the suffix (twice if that clashes too). */
type RightName<C extends string, L, X extends string> = C extends keyof L
  ? `${C}${X}` extends keyof L
    ? `${C}${X}${X}`
    : `${C}${X}`
  : C;

/** The row type of `left.merge(right, options)`. */
export type Merged<L, R, O> = true extends IsUntyped<L> | IsUntyped<R>
  ? Simplify<L & Omit<R, keyof L>>
  : Simplify<
      { [C in keyof L]: LeftValue<L, R, C, Pairs<O>, HowOf<O>> } & {
        [C in Exclude<Names<R>, MergedKeys<Pairs<O>>> as RightName<C, L, SuffixOf<O>>]: RightValue<
          L,
          R,
          C,
          Pairs<O>,
          HowOf<O>
        >;
      }
    >;
