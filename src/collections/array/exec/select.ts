/**
 * Boolean masks on the worker: a chunk's count of true values, and the chunk's elements where
 * its mask (a chunk of the same shape, C order) is true.
 */
import { BarnError } from "../../../errors.js";
import type { AnyTypedArray, DType } from "../dtype.js";
import { ArrayErrorCodes } from "../errors.js";
import { allocShared } from "./block.js";

/** How many of a mask chunk's values are true. */
export function countTrue(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

/**
 * `src`'s rows (runs of `row` elements, C order) where `mask` is true, in order: `n` of them
 * (the count made before). With `row` 1, the elements.
 */
export function selectBlock(
  src: AnyTypedArray,
  mask: Uint8Array,
  n: number,
  row: number,
  dtype: DType,
): AnyTypedArray {
  const out = allocShared(dtype, n * row) as AnyTypedArray & {
    [i: number]: number | bigint;
    set(a: ArrayLike<number | bigint>, at: number): void;
  };
  let at = 0;
  for (let i = 0; i < mask.length && at < n; i++) {
    if (mask[i] === 0) continue;
    if (row === 1) out[at] = src[i]!;
    else out.set(src.subarray(i * row, (i + 1) * row) as ArrayLike<number>, at * row);
    at++;
  }
  if (at !== n)
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `select: a mask chunk is true at ${at} places where counting it found ${n}: the mask changed between the two passes. Fix: make it deterministic, or persist() it first`,
    );
  return out;
}
