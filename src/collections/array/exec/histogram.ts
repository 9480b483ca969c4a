/**
 * Histogram counts of one chunk. A value's bin is the last edge at or below it (found by
 * binary search), the last bin closed on the right: the bins NumPy's `histogram` gives, whose
 * equal-width fast path corrects its arithmetic guess against the same edges. NaN and values
 * outside [edges[0], edges[last]] are not counted.
 */
import { OptionError } from "../../../errors.js";
import type { AnyTypedArray, DType } from "../dtype.js";
import { allocShared } from "./block.js";

/** The bin of v among sorted edges (v already known to lie within them). */
function binOf(edges: Float64Array, v: number): number {
  const last = edges.length - 2;
  let lo = 0;
  let hi = last;
  // Invariant: edges[lo] <= v, and the answer is in [lo, hi].
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (edges[mid]! <= v) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Edges found from the data (min and max, NaN ignored) are NaN when every value is NaN and
 * infinite when a value is: NumPy refuses both, and so does the first task that meets them.
 */
export function checkEdges(edges: Float64Array): void {
  const lo = edges[0]!;
  const hi = edges[edges.length - 1]!;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new OptionError(
      `histogram: the range found from the data, [${lo}, ${hi}], is not finite (every value is NaN, or a value is infinite). Fix: pass range: [lo, hi]`,
    );
  }
}

/**
 * The bin of v among equal bins: NumPy's guess by arithmetic, moved to the edges the guess
 * misses by rounding (a step at most), so it agrees with binOf at a few times its speed.
 */
function equalBinOf(edges: Float64Array, v: number, norm: number): number {
  const last = edges.length - 2;
  let b = Math.min(last, Math.max(0, Math.floor((v - edges[0]!) * norm)));
  while (b > 0 && v < edges[b]!) b--;
  while (b < last && v >= edges[b + 1]!) b++;
  return b;
}

/**
 * Per-bin counts (or sums of `weights`, a chunk of the same shape) of `values`, in float64.
 * `equal`: the edges are equal bins (a count of bins was asked for), so a guess can go first.
 */
export function binCounts(
  values: AnyTypedArray,
  weights: AnyTypedArray | null,
  edges: Float64Array,
  equal: boolean,
): Float64Array {
  checkEdges(edges);
  const counts = new Float64Array(edges.length - 1);
  const lo = edges[0]!;
  const hi = edges[edges.length - 1]!;
  const norm = (edges.length - 1) / (hi - lo);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]!);
    if (!(v >= lo && v <= hi)) continue;
    const b = equal ? equalBinOf(edges, v, norm) : binOf(edges, v);
    counts[b] = counts[b]! + (weights === null ? 1 : Number(weights[i]!));
  }
  return counts;
}

/** Partial counts added up; the last level stores them in the result dtype. */
export function sumCounts(parts: readonly Float64Array[], dtype: DType | null): AnyTypedArray {
  const sum = parts[0]!.slice();
  for (let k = 1; k < parts.length; k++) {
    const p = parts[k]!;
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + p[i]!;
  }
  if (dtype === null || dtype === "float64") return sum;
  const out = allocShared(dtype, sum.length) as { [i: number]: number | bigint };
  for (let i = 0; i < sum.length; i++) out[i] = dtype === "int64" ? BigInt(sum[i]!) : sum[i]!;
  return out as AnyTypedArray;
}
