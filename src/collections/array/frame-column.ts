/**
 * A frame column's `toArray()`: barn/array installs the conversion into barn/frame's seam
 * (collections/frame/to-array.ts) when it is imported, and declares the method on barn/frame's
 * expressions by declaration merging, so `await df.col("x").toArray()` type-checks exactly
 * where "barn/array" is imported. The conversion is fromFrame's (rows counted first; async).
 */
import type { DataFrame } from "../frame/dataframe.js";
import { installColumnToArray } from "../frame/to-array.js";
import type { BArray } from "./array.js";
import type { DType } from "./dtype.js";
import { fromFrame } from "./from-frame.js";
import type { RunOptions } from "./run.js";

/** Options of a frame column's toArray(): where to count its rows (fromFrame's). */
export type ToArrayOptions = RunOptions;

declare module "../frame/expr.js" {
  interface Expr<N extends string = string, T = unknown> {
    /**
     * (barn/array) This column of the frame it was taken from (`df.col("x")`), as a lazy 1-D
     * array: `ba.fromFrame(df, "x", options)`.
     */
    toArray(options?: ToArrayOptions): Promise<BArray<DType>>;
  }
}

/** The frame's column `column` as an array (the function installed into barn/frame). */
function columnToArray(df: DataFrame, column: string, options: unknown): Promise<BArray> {
  return fromFrame(df, column as never, (options ?? {}) as RunOptions);
}

installColumnToArray(columnToArray);
