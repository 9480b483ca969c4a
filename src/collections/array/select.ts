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
import { alloc, type DType } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { add, lowerKeys } from "./lower.js";
import { arrayOps } from "./ops.js";
import { context, type RunOptions } from "./run.js";
import { fmt } from "./shape.js";
import { rechunkTo } from "./view.js";

/** x's elements where `mask` (a bool array of x's shape) is true, as a 1-D array in C order. */
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
  if (mask.ndim !== x.ndim || mask.shape.some((n, d) => n !== x.shape[d])) {
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `select: a mask of shape ${fmt(mask.shape)} for an array of shape ${fmt(x.shape)}; it must have the array's shape`,
    );
  }
  // Both flattened first (as dask does), so chunks are ranges of the C order and the chunks'
  // selections, appended, are in C order. A 1-D array is its own ravel.
  const flat = x.ravel();
  const m = rechunkTo(mask.ravel().plan, flat.chunks);
  const counts = await countChunks(m, options);
  const ctx = context();
  const xs = lowerKeys(flat.plan, ctx);
  const ms = lowerKeys(m, ctx);
  const keys: string[] = [];
  const lens: number[] = [];
  counts.forEach((n, i) => {
    if (n === 0) return;
    keys.push(add(ctx, "select", task(arrayOps.selectBlock, ref(xs[i]!), ref(ms[i]!), n, x.dtype)));
    lens.push(n);
  });
  if (keys.length === 0) {
    // Nothing selected: one empty chunk, as an empty grid has.
    keys.push(add(ctx, "select-empty", data(alloc(x.dtype, 0))));
    lens.push(0);
  }
  const total = lens.reduce((a, b) => a + b, 0);
  return new BArray<D>(
    { kind: "keys", keys, graph: ctx.graph, shape: [total], chunks: [lens], dtype: x.dtype },
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
