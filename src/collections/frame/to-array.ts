/**
 * The seam that gives a frame's column `df.col("x").toArray()` without barn/frame importing
 * barn/array (array sits above frame; the architecture test checks the imports). Here, below:
 * `df.col(name)` remembers the frame it was taken from (a WeakMap beside the expression, so the
 * expression stays plain data), and `Expr.prototype.toArray` is a stub that hands the frame
 * and the column to the conversion barn/array installs when it is imported
 * (collections/array/frame-column.ts, which also types the method by declaration merging).
 * Without that import the stub fails with a BarnError that says to import "barn/array".
 */
import { BarnError, ErrorCodes } from "../../errors.js";
import type { DataFrame } from "./dataframe.js";
import { Expr } from "./expr.js";

/** barn/array's conversion of one column of a frame (its fromFrame). */
export type ColumnToArray = (df: DataFrame, column: string, options: unknown) => Promise<unknown>;

/** The frame each `df.col(name)` came from; held weakly, so neither keeps the other alive. */
const frames = new WeakMap<Expr, DataFrame>();
let installed: ColumnToArray | undefined;

/** `e` is column `df.col(name)` of `df`: remembered for toArray(). */
export function bindColumn<E extends Expr>(e: E, df: DataFrame): E {
  frames.set(e, df);
  return e;
}

/** Called by barn/array when it is imported. */
export function installColumnToArray(fn: ColumnToArray): void {
  installed = fn;
}

/** The stub every expression carries (typed only where barn/array is imported). */
async function toArray(this: Expr, options: unknown = {}): Promise<unknown> {
  if (installed === undefined) {
    throw new BarnError(
      ErrorCodes.ARRAY_NOT_LOADED,
      'toArray(): a frame column becomes an array through barn/array, which is not loaded. Fix: import "barn/array" (e.g. import * as ba from "barn/array") once in your program',
    );
  }
  const df = frames.get(this);
  if (df === undefined || this.node.e !== "col") {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      'toArray(): only a column taken from a frame, df.col(name), knows which frame to read; this expression is computed, or made by col() without a frame. Fix: df.withColumns({ y: expr }).col("y").toArray(), or ba.fromFrame(df, names)',
    );
  }
  return installed(df, this.node.name, options);
}

Object.defineProperty(Expr.prototype, "toArray", {
  value: toArray,
  writable: true,
  configurable: true,
  enumerable: false,
});
