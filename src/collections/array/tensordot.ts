/**
 * NumPy's tensordot: sums of products over chosen axes of two arrays. As NumPy computes it:
 * each side's contracted axes are transposed to the inside and the array reshaped to a
 * matrix, the matrices are multiplied by blocks (linalg.ts), and the product is reshaped to
 * a's free axes followed by b's.
 */
import { BarnError, OptionError } from "../../errors.js";
import type { BArray } from "./array.js";
import type { DType } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { fmt, normAxis, sizeOf } from "./shape.js";

/** The axes to contract: the last n of a with the first n of b, or the two lists of axes. */
export type TensordotAxes =
  | number
  | readonly [number, number]
  | readonly [readonly number[], readonly number[]];

/** Both sides' contracted axes, normalized and checked against the shapes. */
function contracted(
  a: readonly number[],
  b: readonly number[],
  axes: TensordotAxes,
): [number[], number[]] {
  let pair: [number[], number[]];
  if (typeof axes === "number") {
    if (!Number.isInteger(axes) || axes < 0 || axes > a.length || axes > b.length) {
      throw new BarnError(
        ArrayErrorCodes.AXIS,
        `tensordot: axes=${axes} for shapes ${fmt(a)} and ${fmt(b)}; it must be a count from 0 to the smaller number of dimensions`,
      );
    }
    pair = [a.map((_, d) => d).slice(a.length - axes), b.map((_, d) => d).slice(0, axes)];
  } else if (Array.isArray(axes) && axes.length === 2) {
    const list = (x: unknown): number[] => (typeof x === "number" ? [x] : [...(x as number[])]);
    pair = [list(axes[0]), list(axes[1])];
  } else {
    throw new OptionError(
      `tensordot: axes must be a count or [axesOfA, axesOfB], got ${JSON.stringify(axes)}`,
    );
  }
  const [pa, pb] = pair;
  if (pa.length !== pb.length) {
    throw new BarnError(
      ArrayErrorCodes.AXIS,
      `tensordot: ${pa.length} axes of a but ${pb.length} of b; contract as many on each side`,
    );
  }
  const na = pa.map((d) => normAxis("tensordot", d, a.length));
  const nb = pb.map((d) => normAxis("tensordot", d, b.length));
  if (new Set(na).size !== na.length || new Set(nb).size !== nb.length)
    throw new BarnError(
      ArrayErrorCodes.AXIS,
      `tensordot: an axis is repeated in ${JSON.stringify(axes)}`,
    );
  na.forEach((d, i) => {
    if (a[d] !== b[nb[i]!]) {
      throw new BarnError(
        ArrayErrorCodes.SHAPE,
        `tensordot: shapes ${fmt(a)} and ${fmt(b)} do not fit: axis ${d} of a has ${a[d]} elements, axis ${nb[i]} of b has ${b[nb[i]!]}`,
      );
    }
  });
  return [na, nb];
}

/**
 * `tensordot(a, b, axes)`: with `axes = n` (default 2) the last n axes of a against the first
 * n of b; with `[axesOfA, axesOfB]` those axes, pairwise. The result has a's other axes, then
 * b's, and the dtype matmul gives.
 */
export function tensordot(
  a: BArray<DType>,
  b: BArray<DType>,
  axes: TensordotAxes = 2,
): BArray<DType> {
  const [ca, cb] = contracted(a.shape, b.shape, axes);
  const freeA = a.shape.map((_, d) => d).filter((d) => !ca.includes(d));
  const freeB = b.shape.map((_, d) => d).filter((d) => !cb.includes(d));
  const k = sizeOf(ca.map((d) => a.shape[d]!));
  const outA = freeA.map((d) => a.shape[d]!);
  const outB = freeB.map((d) => b.shape[d]!);
  const am = a.transpose([...freeA, ...ca]).reshape([sizeOf(outA), k]);
  const bm = b.transpose([...cb, ...freeB]).reshape([k, sizeOf(outB)]);
  return am.matmul(bm).reshape([...outA, ...outB]);
}
