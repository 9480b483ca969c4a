/**
 * Taking along an axis by an index that is a lazy array's chunk (take-lazy.ts), dask.array's
 * way: each chunk of the source along the axis gives the picks that fall in it, compacted
 * (`takePart`), and one task per index chunk interleaves those parts in the index's order
 * (`takeJoin`), checking every index as NumPy does. No task holds more than one source chunk
 * and one output chunk.
 */
import { BarnError } from "../../../errors.js";
import type { AnyTypedArray, DType } from "../dtype.js";
import { ArrayErrorCodes } from "../errors.js";
import { takeBlock } from "./copy.js";

/** Index `i` counted from the start (negative ones from the end); out-of-range ones stay so. */
function normIndex(i: number, n: number): number {
  return i < 0 ? i + n : i;
}

/** The elements of `src` (this source chunk, covering [lo, hi) of the axis) that `index` picks. */
export function takePart(
  src: AnyTypedArray,
  srcShape: number[],
  index: AnyTypedArray,
  lo: number,
  hi: number,
  n: number,
  axis: number,
  dtype: DType,
): AnyTypedArray {
  const picks: [number, number][] = [];
  for (let k = 0; k < index.length; k++) {
    const g = normIndex(Number(index[k]!), n);
    if (g >= lo && g < hi) picks.push([0, g - lo]);
  }
  const outShape = srcShape.map((s, d) => (d === axis ? picks.length : s));
  return takeBlock([src], [srcShape], picks, axis, outShape, dtype);
}

/** The chunk of the axis each index falls in (`starts`: the chunks' first positions). */
function chunkOf(starts: readonly number[], g: number): number {
  let c = 0;
  while (c + 1 < starts.length && starts[c + 1]! <= g) c++;
  return c;
}

/** The output chunk: the parts (one per source chunk along the axis) in the index's order. */
export function takeJoin(
  parts: AnyTypedArray[],
  partRest: number[],
  index: AnyTypedArray,
  starts: number[],
  n: number,
  axis: number,
  outShape: number[],
  dtype: DType,
): AnyTypedArray {
  const counts = new Array<number>(parts.length).fill(0);
  const picks: [number, number][] = [];
  for (let k = 0; k < index.length; k++) {
    const i = Number(index[k]!);
    const g = normIndex(i, n);
    if (!(g >= 0 && g < n)) {
      throw new BarnError(
        ArrayErrorCodes.INDEX,
        `take: index ${i} is out of range for axis ${axis} with size ${n} (valid: ${-n} to ${n - 1})`,
      );
    }
    const c = chunkOf(starts, g);
    picks.push([c, counts[c]!]);
    counts[c] = counts[c]! + 1;
  }
  const shapes = counts.map((m) => partRest.map((s, d) => (d === axis ? m : s)));
  return takeBlock(parts, shapes, picks, axis, outShape, dtype);
}
