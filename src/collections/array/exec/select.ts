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

/** `src`'s elements where `mask` is true, in order: `n` of them (the count made before). */
export function selectBlock(
  src: AnyTypedArray,
  mask: Uint8Array,
  n: number,
  dtype: DType,
): AnyTypedArray {
  const out = allocShared(dtype, n) as { [i: number]: number | bigint; length: number };
  let at = 0;
  for (let i = 0; i < mask.length && at < n; i++) if (mask[i] !== 0) out[at++] = src[i]!;
  if (at !== n)
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `select: a mask chunk is true at ${at} places where counting it found ${n}: the mask changed between the two passes. Fix: make it deterministic, or persist() it first`,
    );
  return out as AnyTypedArray;
}
