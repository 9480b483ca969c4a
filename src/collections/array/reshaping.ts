/**
 * Shape operations: transpose, expandDims and squeeze are views (a map whose operand is read
 * with permuted or dropped dimensions, so they fuse with element-wise work around them);
 * reshape, concatenate, stack and rechunk move chunks.
 */
import { BarnError, OptionError } from "../../errors.js";
import {
  AUTO_CHUNK_BYTES,
  type ChunkSpec,
  normalizeChunks,
  regular,
  sameChunks,
} from "./chunks.js";
import { itemsize, promote } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import type { ArrayPlan } from "./plan.js";
import { fmt, normAxes, normAxis, sizeOf } from "./shape.js";
import { dropDims } from "./slicing.js";
import { MapBuilder, rechunkTo } from "./view.js";

/** The array with its dimensions permuted (default: reversed). */
export function transposePlan(plan: ArrayPlan, perm?: readonly number[]): ArrayPlan {
  const nd = plan.shape.length;
  const p =
    perm === undefined
      ? plan.shape.map((_, d) => nd - 1 - d)
      : perm.map((a) => normAxis("transpose", a, nd));
  if (p.length !== nd || new Set(p).size !== nd) {
    throw new BarnError(
      ArrayErrorCodes.AXIS,
      `transpose: axes ${JSON.stringify(perm)} are not a permutation of ${nd} dimensions`,
    );
  }
  if (p.every((a, i) => a === i)) return plan;
  const dims = new Array<number>(nd);
  p.forEach((a, i) => {
    dims[a] = i;
  });
  const b = new MapBuilder();
  const leaf = b.leaf(plan, dims);
  return b.build(
    leaf,
    p.map((a) => plan.shape[a]!),
    p.map((a) => plan.chunks[a]!),
  );
}

/** A new length-1 dimension at `axis`. */
export function expandDimsPlan(plan: ArrayPlan, axisArg: number): ArrayPlan {
  const nd = plan.shape.length + 1;
  const axis = normAxis("expandDims", axisArg, nd);
  const dims = plan.shape.map((_, d) => (d < axis ? d : d + 1));
  const b = new MapBuilder();
  const leaf = b.leaf(plan, dims);
  const shape = [...plan.shape];
  shape.splice(axis, 0, 1);
  const chunks = plan.chunks.map((c) => [...c]);
  chunks.splice(axis, 0, [1]);
  return b.build(leaf, shape, chunks);
}

/** Without length-1 dimensions (the given ones, or all). */
export function squeezePlan(plan: ArrayPlan, axis?: number | readonly number[]): ArrayPlan {
  const axes =
    axis === undefined
      ? plan.shape.flatMap((n, d) => (n === 1 ? [d] : []))
      : normAxes("squeeze", axis, plan.shape.length);
  for (const d of axes) {
    if (plan.shape[d] !== 1) {
      throw new BarnError(
        ArrayErrorCodes.SHAPE,
        `squeeze: axis ${d} of shape ${fmt(plan.shape)} has length ${plan.shape[d]}, not 1`,
      );
    }
  }
  return axes.length === 0 ? plan : dropDims(plan, axes);
}

/** The same elements in C order, in a new shape (one dimension may be -1). */
export function reshapePlan(plan: ArrayPlan, shapeArg: readonly number[]): ArrayPlan {
  const total = sizeOf(plan.shape);
  const free = shapeArg.filter((n) => n === -1).length;
  if (free > 1 || shapeArg.some((n) => !Number.isInteger(n) || n < -1)) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `reshape: ${fmt(shapeArg)} is not a shape (non-negative integers, at most one -1)`,
    );
  }
  const known = shapeArg.reduce((a, n) => (n === -1 ? a : a * n), 1);
  const shape = shapeArg.map((n) => (n === -1 ? (known === 0 ? 0 : total / known) : n));
  if (sizeOf(shape) !== total || shape.some((n) => !Number.isInteger(n))) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `reshape: cannot reshape an array of shape ${fmt(plan.shape)} (${total} elements) into ${fmt(shapeArg)}`,
    );
  }
  if (shape.length === plan.shape.length && shape.every((n, i) => n === plan.shape[i])) return plan;
  // Output chunks split the first axis only, each about as large as the input's chunks.
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  const target = Math.max(
    1,
    Math.floor(Math.min(AUTO_CHUNK_BYTES, maxChunkBytes(plan)) / itemsize(plan.dtype)),
  );
  const rows =
    shape.length === 0
      ? []
      : regular(shape[0]!, Math.max(1, Math.floor(target / Math.max(1, inner))));
  const chunks = shape.map((n, d) => (d === 0 ? rows : [n]));
  return { kind: "reshape", input: plan, shape, chunks, dtype: plan.dtype };
}

function maxChunkBytes(plan: ArrayPlan): number {
  return plan.chunks.reduce((a, c) => a * Math.max(1, ...c), itemsize(plan.dtype));
}

/** Arrays joined along an existing axis (dtypes promoted, other dimensions rechunked alike). */
export function concatPlan(
  plans: readonly ArrayPlan[],
  axisArg: number,
  cast: (p: ArrayPlan, d: ArrayPlan["dtype"]) => ArrayPlan,
): ArrayPlan {
  if (plans.length === 0) throw new OptionError("concatenate: give at least one array");
  const first = plans[0]!;
  const nd = first.shape.length;
  if (nd === 0)
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      "concatenate: zero-dimensional arrays cannot be concatenated",
    );
  const axis = normAxis("concatenate", axisArg, nd);
  for (const p of plans) {
    if (p.shape.length !== nd || p.shape.some((n, d) => d !== axis && n !== first.shape[d])) {
      throw new BarnError(
        ArrayErrorCodes.SHAPE,
        `concatenate: shapes ${plans.map((q) => fmt(q.shape)).join(", ")} differ outside axis ${axis}`,
      );
    }
  }
  const dtype = plans.map((p) => p.dtype).reduce(promote);
  const inputs = plans.map((p) => {
    const c = p.dtype === dtype ? p : cast(p, dtype);
    return rechunkTo(
      c,
      c.chunks.map((lens, d) => (d === axis ? lens : first.chunks[d]!)),
    );
  });
  const shape = first.shape.map((n, d) =>
    d === axis ? plans.reduce((a, p) => a + p.shape[axis]!, 0) : n,
  );
  const along = inputs.flatMap((p) => p.chunks[axis]!);
  const chunks = first.chunks.map((c, d) => (d === axis ? along : c));
  return { kind: "concat", inputs, axis, shape, chunks, dtype };
}

/** The array cut into a new grid. */
export function rechunkPlan(plan: ArrayPlan, spec: ChunkSpec): ArrayPlan {
  const chunks = normalizeChunks("rechunk", plan.shape, spec, plan.dtype);
  return sameChunks(chunks, plan.chunks) ? plan : rechunkTo(plan, chunks);
}
