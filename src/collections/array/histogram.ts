/**
 * NumPy's histogram over a lazy array: `bins` equal bins over `range`, or explicit edges;
 * `density`; `weights`. Without a range, as NumPy and dask.array do, the range is the data's
 * min and max: here NaN-ignoring, computed lazily in the same graph (a min/max pass over x
 * that the counting tasks then wait on), so the edges are a lazy array too. All of it is
 * built from plans the rest of barn/array already lowers (reductions, maps); only the
 * counting is its own node (plan.ts `histogram`, exec/histogram.ts).
 */
import { BarnError, OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import { BArray } from "./array.js";
import { arange, fromArray } from "./create.js";
import { type DType, isFloat } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { where } from "./functions.js";
import { reducePlan } from "./reductions.js";
import { fmt } from "./shape.js";
import { rechunkTo } from "./view.js";

export interface HistogramOptions {
  /** A number of equal bins (default 10), or the bins' edges (increasing; range is then unused). */
  readonly bins?: number | ArrayLike<number> | undefined;
  /** [lo, hi] of the equal bins. Default: the data's min and max, NaN ignored, found lazily. */
  readonly range?: readonly [number, number] | undefined;
  /** Give the probability density (counts / total / bin width, float64) instead of counts. */
  readonly density?: boolean | undefined;
  /** A weight per element (same shape as x): the bins sum weights instead of counting. */
  readonly weights?: BArray<DType> | undefined;
}

/** The edges are known now when given or when the range is; otherwise they are a lazy array. */
export type HistogramEdges<O> = O extends { readonly range: readonly [number, number] }
  ? Float64Array
  : O extends { readonly bins: ArrayLike<number> }
    ? Float64Array
    : BArray<"float64">;

/** Counts are int64; weight sums have the weights' float dtype (int64 for integers). */
export type HistogramCounts<O> = O extends { readonly density: true }
  ? BArray<"float64">
  : O extends { readonly density: boolean }
    ? BArray<"float64" | "int64">
    : O extends { readonly weights: BArray<infer W> }
      ? BArray<W extends "float32" | "float64" ? W : "int64">
      : BArray<"int64">;

function checkRange(range: unknown): [number, number] {
  const [lo, hi] = Array.isArray(range) && range.length === 2 ? range : [Number.NaN, Number.NaN];
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi) {
    throw new OptionError(
      `histogram: range must be [lo, hi] with finite lo <= hi, got ${JSON.stringify(range)}`,
    );
  }
  // NumPy widens an empty range to one unit around it.
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

/** NumPy's edges of equal bins: linspace's arithmetic (i * step + lo, the last exactly hi). */
function equalEdges(lo: number, hi: number, bins: number): Float64Array {
  const step = (hi - lo) / bins;
  return Float64Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : i * step + lo));
}

function checkEdgeList(bins: ArrayLike<number>): Float64Array {
  const edges = Float64Array.from(bins);
  const bad = edges.findIndex((e, i) => !Number.isFinite(e) || (i > 0 && e < edges[i - 1]!));
  if (edges.length < 2 || bad >= 0) {
    throw new OptionError(
      `histogram: bins given as edges must be at least 2 finite, increasing numbers, got [${[...edges].slice(0, 8).join(", ")}${edges.length > 8 ? ", ..." : ""}]`,
    );
  }
  return edges;
}

/**
 * The edges of `bins` equal bins over x's min and max (NaN ignored), as a lazy array: two
 * reductions, then NumPy's widening of an empty range and linspace's arithmetic, element-wise.
 */
function lazyEdges(x: BArray<DType>, bins: number): BArray<"float64"> {
  const xf = x.astype("float64");
  const lo0 = new BArray<"float64">(reducePlan("nanmin", xf.plan, {}), x.held);
  const hi0 = new BArray<"float64">(reducePlan("nanmax", xf.plan, {}), x.held);
  const same = lo0.eq(hi0);
  const lo = where(same, lo0.sub(0.5), lo0);
  const hi = where(same, hi0.add(0.5), hi0);
  const i = arange(bins + 1, undefined, 1, { dtype: "float64", chunks: bins + 1 });
  return where(i.eq(bins), hi, i.mul(hi.sub(lo).div(bins)).add(lo));
}

/**
 * NumPy's histogram: `{ counts, edges }` of x's values in bins (the last bin includes its right
 * edge; NaN and values outside the bins are not counted). `bins` is a count (equal bins over
 * `range`, or over the data's min and max) or the edges themselves.
 */
export function histogram<const O extends HistogramOptions = {}>(
  x: BArray<DType>,
  options?: O,
): { counts: HistogramCounts<O>; edges: HistogramEdges<O> } {
  const o: HistogramOptions = options ?? {};
  checkOptionKeys("histogram", o, ["bins", "range", "density", "weights"]);
  if (!(x instanceof BArray))
    throw new OptionError(`histogram: x must be a barn array, got ${typeof x}`);
  const bins = o.bins ?? 10;
  let edges: Float64Array | BArray<"float64">;
  if (typeof bins === "number") {
    if (!Number.isInteger(bins) || bins < 1)
      throw new OptionError(`histogram: bins must be a positive integer, got ${String(bins)}`);
    if (o.range !== undefined) edges = equalEdges(...checkRange(o.range), bins);
    // NumPy's range of no data (still an array, as the edges found from data are).
    else if (x.size === 0) edges = fromArray(equalEdges(0, 1, bins)) as BArray<"float64">;
    else edges = lazyEdges(x, bins);
  } else edges = checkEdgeList(bins);
  const edgesPlan =
    edges instanceof BArray
      ? rechunkTo(edges.plan, [[edges.size]])
      : fromArray(edges, [edges.length], { chunks: edges.length }).plan;
  const w = o.weights;
  if (w !== undefined && (!(w instanceof BArray) || fmt(w.shape) !== fmt(x.shape))) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `histogram: weights of shape ${w instanceof BArray ? fmt(w.shape) : typeof w} for x of shape ${fmt(x.shape)}; they must have x's shape`,
    );
  }
  const n = edgesPlan.shape[0]! - 1;
  const dtype: DType = w !== undefined && isFloat(w.dtype) ? w.dtype : "int64";
  const held = [...x.held, ...(w?.held ?? []), ...(edges instanceof BArray ? edges.held : [])];
  let counts = new BArray<DType>(
    {
      kind: "histogram",
      input: x.plan,
      edges: edgesPlan,
      equal: typeof bins === "number",
      weights: w === undefined ? null : rechunkTo(w.plan, x.plan.chunks),
      shape: [n],
      chunks: [[n]],
      dtype,
    },
    held,
  );
  if (o.density === true) counts = density(counts, edges);
  return { counts, edges } as { counts: HistogramCounts<O>; edges: HistogramEdges<O> };
}

/** NumPy's density: counts / bin width / total count (NaN where nothing was counted). */
function density(counts: BArray<DType>, edges: Float64Array | BArray<"float64">): BArray<DType> {
  const e = edges instanceof BArray ? edges : fromArray(edges, [edges.length]);
  const widths = e.slice("1:").sub(e.slice(":-1"));
  const c = counts.astype("float64");
  const total = new BArray<"float64">(reducePlan("sum", c.plan, {}), c.held);
  return c.div(widths).div(total);
}
