/**
 * NumPy's matmul over stacks of matrices: the last two axes are the matrices, the axes before
 * them (the batch) broadcast, a 1-D operand is a row (left) or a column (right) whose axis
 * the result then drops. Each matrix of the broadcast batch is a 2-D product by blocks
 * (linalg.ts), and the products are stacked back along the batch axes, so a batch axis chunked
 * one matrix per chunk costs no copy. The result dtype is NumPy's promotion of the two.
 */
import { BarnError } from "../../errors.js";
import { BArray, castPlan } from "./array.js";
import { zeros } from "./create.js";
import { type DType, promote } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { stack } from "./functions.js";
import { matmulPlan } from "./linalg.js";
import { fmt, sizeOf } from "./shape.js";

function shapeError(a: readonly number[], b: readonly number[], why: string): BarnError {
  return new BarnError(
    ArrayErrorCodes.SHAPE,
    `matmul: shapes ${fmt(a)} and ${fmt(b)} do not fit: ${why}`,
  );
}

/** NumPy's broadcast of the two batch shapes (aligned at the right), or a shape error. */
function batchShape(
  a: readonly number[],
  b: readonly number[],
  sa: readonly number[],
  sb: readonly number[],
): number[] {
  const nd = Math.max(a.length, b.length);
  return Array.from({ length: nd }, (_, d) => {
    const x = a[d - nd + a.length] ?? 1;
    const y = b[d - nd + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1)
      throw shapeError(
        sa,
        sb,
        `batch axes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`,
      );
    return x === 1 ? y : x;
  });
}

/** Matrix `idx` of the broadcast batch from `x` (its batch axes of length 1 broadcast). */
function matrixAt(x: BArray<DType>, idx: readonly number[]): BArray<DType> {
  const nb = x.ndim - 2;
  const own = idx.slice(idx.length - nb).map((i, d) => (x.shape[d] === 1 ? 0 : i));
  return own.length === 0 ? x : x.slice(...own);
}

/** The products of every matrix of the batch, stacked along the batch axes from `depth` on. */
function stacked(
  a: BArray<DType>,
  b: BArray<DType>,
  batch: readonly number[],
  prefix: number[],
): BArray<DType> {
  if (prefix.length === batch.length) {
    const x = matrixAt(a, prefix);
    const y = matrixAt(b, prefix);
    return new BArray(matmulPlan(x.plan, y.plan, castPlan), [...x.held, ...y.held]);
  }
  const parts = Array.from({ length: batch[prefix.length]! }, (_, i) =>
    stacked(a, b, batch, [...prefix, i]),
  );
  return stack(parts, 0);
}

/** `a @ b` with NumPy's rules for 1-D operands and stacks of matrices. */
export function matmul(a: BArray<DType>, b: BArray<DType>): BArray<DType> {
  if (!(b instanceof BArray))
    throw new BarnError(ArrayErrorCodes.SHAPE, `matmul: the other operand must be a barn array`);
  if (a.ndim === 0 || b.ndim === 0) {
    throw shapeError(
      a.shape,
      b.shape,
      "a 0-d operand has no matrix axes (NumPy refuses it too). Fix: multiply by a scalar with mul",
    );
  }
  const x = a.ndim === 1 ? a.expandDims(0) : a;
  const y = b.ndim === 1 ? b.expandDims(1) : b;
  const [n, k] = x.shape.slice(-2) as [number, number];
  const [k2, p] = y.shape.slice(-2) as [number, number];
  if (k !== k2) {
    throw shapeError(
      a.shape,
      b.shape,
      `the inner dimensions differ (${k} and ${k2}). Fix: transpose or reshape one side`,
    );
  }
  const batch = batchShape(x.shape.slice(0, -2), y.shape.slice(0, -2), a.shape, b.shape);
  let out: BArray<DType>;
  if (sizeOf(batch) === 0) {
    out = zeros([...batch, n, p], { dtype: promote(a.dtype, b.dtype) }) as BArray<DType>;
  } else out = stacked(x, y, batch, []);
  if (a.ndim === 1) out = out.squeeze(-2);
  if (b.ndim === 1) out = out.squeeze(-1);
  return out;
}
