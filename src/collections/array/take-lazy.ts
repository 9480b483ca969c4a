/**
 * Indexing by lazy arrays. `x.take(index, axis)` with an integer `index` that is itself a lazy
 * array: the result's shape is the index's, known now, so it stays lazy and synchronous, and
 * the index is never brought to the client: each index chunk meets each source chunk along the
 * axis on the workers (exec/take-lazy.ts; dask.array's `slice_with_int_dask_array`), and the
 * tasks that assemble the output check every index as NumPy does. `x.compress(mask, axis)`
 * with a lazy bool `mask` keeps a number of elements known only once the mask is computed, so
 * it is async, as select() is (select.ts counts the mask's true values per chunk first).
 */
import { BarnError } from "../../errors.js";
import { ref, task } from "../../graph/spec.js";
import { BArray } from "./array.js";
import { chunkIndices, chunkShape, flatIndex, offsets } from "./chunks.js";
import { type DType, isInt } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { add, lowerKeys } from "./lower.js";
import { arrayOps } from "./ops.js";
import { context, type RunOptions } from "./run.js";
import { select } from "./select.js";
import { fmt, normAxis } from "./shape.js";

function checkIndex(index: BArray<DType>): void {
  if (isInt(index.dtype)) return;
  const fix =
    index.dtype === "bool"
      ? "a bool array is a mask: use compress(mask, axis) or select(mask)"
      : `NumPy refuses ${index.dtype} indices: index.astype("int64")`;
  throw new BarnError(
    ArrayErrorCodes.DTYPE,
    `take: the index array is ${index.dtype}, not an integer dtype. Fix: ${fix}`,
  );
}

/** x's elements at the positions `index` (an integer lazy array of any shape) along `axis`. */
export function takeLazy<D extends DType>(
  x: BArray<D>,
  index: BArray<DType>,
  axisArg: number,
): BArray<D> {
  checkIndex(index);
  const axis = normAxis("take", axisArg, x.ndim);
  if (index.ndim !== 1) {
    // NumPy's take puts the index's axes where the taken one was.
    const flat = takeLazy(x, index.ndim === 0 ? index.expandDims(0) : index.ravel(), axis);
    const shape = [...x.shape.slice(0, axis), ...index.shape, ...x.shape.slice(axis + 1)];
    return flat.reshape(shape);
  }
  const n = x.shape[axis]!;
  if (n === 0 && index.size > 0) {
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `take: ${index.size} indices into axis ${axis} of shape ${fmt(x.shape)}, which is empty: every index is out of range`,
    );
  }
  const ctx = context();
  const xs = lowerKeys(x.plan, ctx);
  const is = lowerKeys(index.plan, ctx);
  const along = x.chunks[axis]!;
  const starts = offsets(along);
  const chunks = x.chunks.map((c, d) => (d === axis ? [...index.chunks[0]!] : [...c]));
  const keys = chunkIndices(chunks).map((idx) => {
    const ik = ref(is[idx[axis]!]!);
    const parts = along.map((_, c) => {
      const cidx = idx.map((i, d) => (d === axis ? c : i));
      const shape = chunkShape(x.chunks, cidx);
      const src = ref(xs[flatIndex(x.chunks, cidx)]!);
      const args = [src, shape, ik, starts[c]!, starts[c + 1]!, n, axis, x.dtype] as const;
      return ref(add(ctx, "take-part", task(arrayOps.takePart, ...args)));
    });
    const outShape = chunkShape(chunks, idx);
    const rest = outShape.map((s, d) => (d === axis ? 0 : s));
    return add(
      ctx,
      "take",
      task(arrayOps.takeJoin, parts, rest, ik, starts.slice(0, -1), n, axis, outShape, x.dtype),
    );
  });
  const shape = x.shape.map((s, d) => (d === axis ? index.size : s));
  return new BArray<D>({ kind: "keys", keys, graph: ctx.graph, shape, chunks, dtype: x.dtype }, [
    ...x.held,
    ...index.held,
  ]);
}

/**
 * x's elements along `axis` where the lazy 1-D bool `mask` is true (NumPy's compress: a mask
 * shorter than the axis leaves the rest out). The axis is moved first for select() and back.
 */
export async function compressLazy<D extends DType>(
  x: BArray<D>,
  mask: BArray<"bool">,
  axisArg: number,
  options: RunOptions,
): Promise<BArray<D>> {
  const axis = normAxis("compress", axisArg, x.ndim);
  const n = x.shape[axis]!;
  if (mask.ndim !== 1 || mask.shape[0]! > n) {
    throw new BarnError(
      ArrayErrorCodes.INDEX,
      `compress: a mask of shape ${fmt(mask.shape)} for axis ${axis} of shape ${fmt(x.shape)}; it must be 1-D and no longer than the axis`,
    );
  }
  const order = [axis, ...x.shape.map((_, d) => d).filter((d) => d !== axis)];
  let moved = x.transpose(order);
  if (mask.shape[0]! < n) moved = moved.slice({ stop: mask.shape[0]! });
  const picked = await select(moved, mask, options);
  const back = order.map((_, d) => order.indexOf(d));
  return picked.transpose(back);
}
