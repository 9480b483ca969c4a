/**
 * Boolean masks that are lazy arrays themselves: `await x.select(x.gt(0))`, NumPy's
 * `x[x > 0]`. The result's length is not known until the mask is computed. dask.array gives
 * such results NaN chunk sizes, which most operations then refuse until
 * `compute_chunk_sizes()`; Barn computes the sizes at once instead (a pass that counts each
 * mask chunk's true values, so select() is async), and the result is an ordinary lazy array
 * with a known grid: one chunk per input chunk that keeps any element. The selection itself
 * stays lazy, so the mask is computed twice (count, then select): persist it first when it
 * is costly.
 */
import { BarnError } from "../../errors.js";
import { data, ref, task } from "../../graph/spec.js";
import { withClient } from "../frame/run.js";
import { BArray } from "./array.js";
import { chunkIndices, chunkShape, flatIndex } from "./chunks.js";
import { alloc, type DType } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { add, lowerKeys } from "./lower.js";
import { arrayOps } from "./ops.js";
import { context, type RunOptions } from "./run.js";
import { fmt, sizeOf } from "./shape.js";
import { rechunkTo } from "./view.js";

/**
 * NumPy's `x[mask]`: `mask` a bool array of x's leading dimensions (all of them: the elements,
 * a 1-D array in C order; the first k: the sub-arrays under them, stacked along one axis).
 */
export async function select<D extends DType>(
  x: BArray<D>,
  mask: BArray<"bool">,
  options: RunOptions = {},
): Promise<BArray<D>> {
  if (!(mask instanceof BArray) || mask.dtype !== "bool") {
    throw new BarnError(
      ArrayErrorCodes.DTYPE,
      `select: the mask must be a bool array, got ${mask instanceof BArray ? mask.dtype : typeof mask}. Fix: compare (x.gt(0)) or astype("bool"); take(indices) picks by position`,
    );
  }
  const k = mask.ndim;
  if (k === 0 || k > x.ndim || mask.shape.some((n, d) => n !== x.shape[d])) {
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `select: a mask of shape ${fmt(mask.shape)} for an array of shape ${fmt(x.shape)}; it must have the array's shape, or that of its first dimensions`,
    );
  }
  // The masked dimensions flattened into one (as dask does), so its chunks are ranges of the
  // C order and the chunks' selections, appended, keep that order.
  const rest = x.shape.slice(k);
  const flat = k === 1 ? (x as BArray<DType>) : x.reshape([sizeOf(mask.shape), ...rest]);
  const m = rechunkTo((k === 1 ? mask : mask.ravel()).plan, [flat.chunks[0]!]);
  const counts = await countChunks(m, options);
  const ctx = context();
  const xs = lowerKeys(flat.plan, ctx);
  const ms = lowerKeys(m, ctx);
  const restChunks = flat.chunks.slice(1);
  const lens = counts.filter((n) => n > 0);
  const chunks = [lens.length === 0 ? [0] : lens, ...restChunks];
  const rows = counts.flatMap((n, i) => (n > 0 ? [i] : []));
  const keys = chunkIndices(chunks).map((idx) => {
    const shape = chunkShape(chunks, idx);
    if (lens.length === 0) return add(ctx, "select-empty", data(alloc(x.dtype, sizeOf(shape))));
    const i = rows[idx[0]!]!;
    const src = xs[flatIndex(flat.chunks, [i, ...idx.slice(1)])]!;
    const row = sizeOf(shape.slice(1));
    return add(
      ctx,
      "select",
      task(arrayOps.selectBlock, ref(src), ref(ms[i]!), counts[i]!, row, x.dtype),
    );
  });
  return new BArray<D>(
    {
      kind: "keys",
      keys,
      graph: ctx.graph,
      shape: [lens.reduce((a, b) => a + b, 0), ...rest],
      chunks,
      dtype: x.dtype,
    },
    [...x.held, ...mask.held],
  );
}

/** Each mask chunk's count of true values, computed now. */
async function countChunks(m: BArray<"bool">["plan"], options: RunOptions): Promise<number[]> {
  const ctx = context();
  const keys = lowerKeys(m, ctx).map((k) =>
    add(ctx, "select-count", task(arrayOps.countTrue, ref(k))),
  );
  return withClient(options, async (client) => {
    const futures = client.submitGraph(ctx.graph, keys);
    try {
      return (await client.gather(futures)) as number[];
    } finally {
      for (const f of futures) f.release();
    }
  });
}
