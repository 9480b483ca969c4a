/**
 * An array's plan: plain, immutable data. Every node knows its shape, chunk grid and dtype.
 * Element-wise work (arithmetic, math, comparisons, where, casts, broadcasts and transposes)
 * is one `map` node whose expression tree grows as operations chain (expr.ts), so lowering
 * gives one task per chunk for the whole chain, and a reduction over a map folds the map into
 * its per-chunk task. A source's chunks come from a `Reader`: plain data naming how to make
 * chunk i (a fill, a range, random numbers, a user function, or any `tasks()` function: the
 * seam storage layers such as Zarr plug into).
 */
import type { ShippedFn } from "../../shipping/ship.js";
import type { Chunks } from "./chunks.js";
import type { AnyTypedArray, DType } from "./dtype.js";
import type { RandomDist } from "./exec/random.js";
import type { Expr } from "./expr.js";
import type { ReduceSpec } from "./reduce-spec.js";
import type { ZarrArrayInfo } from "./zarr/info.js";

/** How a source makes one chunk (readers.ts). */
export type Reader =
  | { readonly r: "fill"; readonly value: number | string }
  | { readonly r: "arange"; readonly start: number; readonly step: number }
  | {
      readonly r: "linspace";
      readonly start: number;
      readonly stop: number;
      readonly num: number;
      readonly endpoint: boolean;
    }
  | { readonly r: "eye"; readonly k: number }
  | { readonly r: "random"; readonly seed: number; readonly d: RandomDist }
  /** Chunks cut from an array in memory (one data node each). */
  | { readonly r: "blocks"; readonly blocks: readonly AnyTypedArray[] }
  /** A user function of the chunk's place (fromFunction). */
  | { readonly r: "fn"; readonly fn: ShippedFn }
  /** A Zarr array's chunk at the same grid index (zarr-source.ts; the grids are the same). */
  | { readonly r: "zarr"; readonly info: ZarrArrayInfo }
  /**
   * A function declared with `tasks()`, called as `fn(arg, place)` per chunk, returning the
   * chunk's typed array in C order (or a promise of it). Storage layers plug in here.
   */
  | { readonly r: "call"; readonly fn: Function; readonly arg: unknown };

/** Where a chunk sits in its array: what a reader is given. */
export interface ChunkInfo {
  /** The chunk's index in the grid. */
  readonly index: readonly number[];
  /** The chunk's shape. */
  readonly shape: readonly number[];
  /** The chunk's first element's coordinates in the array. */
  readonly start: readonly number[];
  /** The whole array's shape. */
  readonly arrayShape: readonly number[];
  readonly dtype: DType;
}

/** An operand of a map: which output dimension each of its dimensions runs along. */
export interface Operand {
  readonly plan: ArrayPlan;
  readonly dims: readonly number[];
}

interface Common {
  readonly shape: readonly number[];
  readonly chunks: Chunks;
  readonly dtype: DType;
}

/** One slice along each dimension: chunks of the result, pieces of the input (slice.ts). */
export interface DimSlice {
  readonly start: number;
  readonly step: number;
  readonly length: number;
}

export type ArrayPlan =
  | (Common & { readonly kind: "source"; readonly reader: Reader })
  /** Chunks already held on the cluster or computed by another graph: one key per chunk, C order. */
  | (Common & {
      readonly kind: "keys";
      readonly keys: readonly string[];
      readonly graph?: ReadonlyMap<string, unknown> | undefined;
    })
  | (Common & { readonly kind: "map"; readonly operands: readonly Operand[]; readonly expr: Expr })
  | (Common & {
      readonly kind: "reduce";
      readonly input: ArrayPlan;
      readonly spec: ReduceSpec;
      readonly keepdims: boolean;
      readonly splitEvery: number;
    })
  | (Common & { readonly kind: "rechunk"; readonly input: ArrayPlan })
  | (Common & {
      readonly kind: "slice";
      readonly input: ArrayPlan;
      readonly slices: readonly DimSlice[];
    })
  | (Common & {
      readonly kind: "take";
      readonly input: ArrayPlan;
      readonly axis: number;
      readonly index: readonly number[];
    })
  | (Common & { readonly kind: "reshape"; readonly input: ArrayPlan })
  | (Common & {
      readonly kind: "concat";
      readonly inputs: readonly ArrayPlan[];
      readonly axis: number;
    })
  | (Common & { readonly kind: "matmul"; readonly a: ArrayPlan; readonly b: ArrayPlan })
  | (Common & {
      readonly kind: "cumulative";
      readonly input: ArrayPlan;
      readonly op: "sum" | "prod";
      readonly axis: number;
    })
  | (Common & {
      readonly kind: "blocks";
      readonly inputs: readonly ArrayPlan[];
      readonly fn: ShippedFn;
    })
  /**
   * Counts of the input's values (or sums of `weights`, same shape and grid) in the bins
   * between consecutive `edges` (a float64 array of one chunk; the last bin closed).
   */
  | (Common & {
      readonly kind: "histogram";
      readonly input: ArrayPlan;
      readonly edges: ArrayPlan;
      /** The edges are equal bins (asked for by count): the kernel may guess, then correct. */
      readonly equal: boolean;
      readonly weights: ArrayPlan | null;
    });
