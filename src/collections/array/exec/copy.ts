/**
 * Moving elements between chunks without arithmetic: a strided slice of one chunk, and a chunk
 * assembled from rectangular pieces of others (rechunk, concatenate, take). All through the
 * generated strided copy loop, so negative steps and any dimension count cost no special code.
 */
import type { AnyTypedArray, DType } from "../dtype.js";
import { sizeOf, stridesOf } from "../shape.js";
import { allocShared } from "./block.js";
import { kernel } from "./loops.js";

const COPY = () => kernel(1, 0, 0, "in0[o0]", "const out = A[0];", "out[p] = v;", false);

function copyKernel(ndim: number, tiled: boolean) {
  return ndim === 0
    ? COPY()
    : kernel(1, ndim, 0, "in0[o0]", "const out = A[0];", "out[p] = v;", tiled);
}

/** out[o] = src[start + step * o] along every dimension. */
export function sliceBlock(
  src: AnyTypedArray,
  srcShape: readonly number[],
  start: readonly number[],
  step: readonly number[],
  outShape: readonly number[],
  dtype: DType,
): AnyTypedArray {
  const out = allocShared(dtype, sizeOf(outShape));
  if (out.length === 0) return out;
  const st = stridesOf(srcShape);
  const S = st.map((s, d) => s * step[d]!);
  const base = start.reduce((acc, s, d) => acc + s * st[d]!, 0);
  copyKernel(outShape.length, false)(
    [src],
    S,
    outShape,
    stridesOf(outShape),
    [],
    [out],
    [],
    0,
    [base],
    0,
  );
  return out;
}

/** A rectangle of a source chunk copied into a place of the output chunk. */
export interface Piece {
  /** Index into the task's list of source chunks. */
  readonly src: number;
  readonly srcShape: readonly number[];
  readonly srcStart: readonly number[];
  readonly dstStart: readonly number[];
  readonly count: readonly number[];
}

/** An output chunk of `outShape` filled from pieces of `srcs`. */
export function assemble(
  srcs: readonly AnyTypedArray[],
  pieces: readonly Piece[],
  outShape: readonly number[],
  dtype: DType,
): AnyTypedArray {
  if (
    pieces.length === 1 &&
    srcs.length === 1 &&
    sameShape(pieces[0]!.srcShape, outShape) &&
    pieces[0]!.srcStart.every((x) => x === 0)
  ) {
    return srcs[0]!;
  }
  const out = allocShared(dtype, sizeOf(outShape));
  const Q = stridesOf(outShape);
  for (const p of pieces) {
    if (sizeOf(p.count) === 0) continue;
    const st = stridesOf(p.srcShape);
    const base = p.srcStart.reduce((acc, s, d) => acc + s * st[d]!, 0);
    const P0 = p.dstStart.reduce((acc, s, d) => acc + s * Q[d]!, 0);
    copyKernel(outShape.length, false)(
      [srcs[p.src]!],
      st,
      p.count,
      Q,
      [],
      [out],
      [],
      0,
      [base],
      P0,
    );
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Elements `index` (local to the chunks given, in order) along `axis` of a list of chunks. */
export function takeBlock(
  srcs: readonly AnyTypedArray[],
  srcShapes: readonly (readonly number[])[],
  picks: readonly (readonly [number, number])[],
  axis: number,
  outShape: readonly number[],
  dtype: DType,
): AnyTypedArray {
  const pieces: Piece[] = picks.map(([src, at], j) => ({
    src,
    srcShape: srcShapes[src]!,
    srcStart: srcShapes[src]!.map((_, d) => (d === axis ? at : 0)),
    dstStart: outShape.map((_, d) => (d === axis ? j : 0)),
    count: outShape.map((n, d) => (d === axis ? 1 : n)),
  }));
  return assemble(srcs, pieces, outShape, dtype);
}
