/**
 * barn/array's task functions, declared with `tasks()` so they ship to workers by module
 * reference. Chunks are typed arrays (shared memory when large, so moving them between threads
 * copies nothing); everything else is small plain data. Lowering (lower.ts) refers to these only.
 */
import { FunctionCache } from "../../shipping/compile.js";
import { tasks } from "../../shipping/modules.js";
import type { ShippedFn } from "../../shipping/ship.js";
import type { AnyTypedArray, DType } from "./dtype.js";
import { allocShared as allocLike, type MapSpec, mapBlock } from "./exec/block.js";
import { assemble, type Piece, sliceBlock, takeBlock } from "./exec/copy.js";
import { applyCarry, nextCarry, scanBlock, tailOf } from "./exec/cumulative.js";
import { frameChunk, rowCount } from "./exec/frame-chunk.js";
import { binCounts, sumCounts } from "./exec/histogram.js";
import { matmulBlock } from "./exec/matmul.js";
import { matmulExactBlock } from "./exec/matmul-exact.js";
import { checkChunk, materialize, readChunk } from "./exec/readers.js";
import { type ChunkPlace, combine, finish, type Partial } from "./exec/reduce.js";
import { reduceBlock } from "./exec/reduce-block.js";
import { reducePair } from "./exec/reduce-pair.js";
import { countTrue, selectBlock } from "./exec/select.js";
import { takeJoin, takePart } from "./exec/take-lazy.js";
import type { ChunkInfo, Reader } from "./plan.js";
import type { ReduceSpec } from "./reduce-spec.js";

const userFns = new FunctionCache();
const resolve = async (fn: ShippedFn): Promise<Function> => userFns.resolve(fn);

function read(reader: Reader, info: ChunkInfo): Promise<AnyTypedArray> {
  return readChunk(reader, info, resolve);
}

function map(
  spec: MapSpec,
  inputs: unknown[],
  inShapes: number[][],
  outShape: number[],
): AnyTypedArray {
  const m = materialize(inputs);
  try {
    return mapBlock(spec, m.arrays, inShapes, outShape);
  } finally {
    m.done();
  }
}

function partial(
  spec: MapSpec,
  r: ReduceSpec,
  inputs: unknown[],
  inShapes: number[][],
  shape: number[],
  place: ChunkPlace,
): Partial {
  return reduceBlock(spec, r, inputs, inShapes, shape, place);
}

/** Blocks (i, j) and (j, i) of a reduction's input from chunks X[i, j] and X[j, i] of one X. */
function pairPartial(spec: MapSpec, r: ReduceSpec, inputs: unknown[], shape: number[]): Partial[] {
  return reducePair(spec, r, inputs, shape);
}

/**
 * The partials an input list names: part k itself, or (picks[k] >= 0) partial picks[k] of a
 * pair task's result.
 */
function picked(parts: unknown[], picks: number[] | undefined): Partial[] {
  if (picks === undefined) return parts as Partial[];
  return parts.map((p, k) => (picks[k]! < 0 ? p : (p as Partial[])[picks[k]!]!)) as Partial[];
}

function combinePartials(r: ReduceSpec, parts: unknown[], picks?: number[]): Partial {
  return combine(r, picked(parts, picks));
}

function finishReduce(r: ReduceSpec, parts: unknown[], picks?: number[]): AnyTypedArray {
  const p = picked(parts, picks);
  return finish(r, p.length === 1 ? p[0]! : combine(r, p), r.ddof);
}

function slice(
  src: AnyTypedArray,
  srcShape: number[],
  start: number[],
  step: number[],
  outShape: number[],
  dtype: DType,
): AnyTypedArray {
  return sliceBlock(src, srcShape, start, step, outShape, dtype);
}

function gather(
  srcs: AnyTypedArray[],
  pieces: Piece[],
  outShape: number[],
  dtype: DType,
): AnyTypedArray {
  return assemble(srcs, pieces, outShape, dtype);
}

function take(
  srcs: AnyTypedArray[],
  shapes: number[][],
  picks: [number, number][],
  axis: number,
  outShape: number[],
  dtype: DType,
): AnyTypedArray {
  return takeBlock(srcs, shapes, picks, axis, outShape, dtype);
}

/** Flat ranges [src, from, to] of C-ordered chunks appended into one chunk (reshape). */
function flatJoin(
  srcs: AnyTypedArray[],
  ranges: [number, number, number][],
  n: number,
  dtype: DType,
): AnyTypedArray {
  if (ranges.length === 1 && ranges[0]![1] === 0 && ranges[0]![2] === srcs[ranges[0]![0]]!.length)
    return srcs[ranges[0]![0]]!;
  const out = allocLike(dtype, n);
  let at = 0;
  for (const [s, from, to] of ranges) {
    (out as { set(a: unknown, at: number): void }).set(srcs[s]!.subarray(from, to), at);
    at += to - from;
  }
  return out;
}

function scan(
  src: AnyTypedArray,
  shape: number[],
  axis: number,
  op: "sum" | "prod",
  dtype: DType,
): AnyTypedArray {
  return scanBlock(src, shape, axis, op, dtype);
}

function tail(scanned: AnyTypedArray, shape: number[], axis: number, dtype: DType): AnyTypedArray {
  return tailOf(scanned, shape, axis, dtype);
}

function carry(
  prev: AnyTypedArray | null,
  t: AnyTypedArray,
  op: "sum" | "prod",
  dtype: DType,
): AnyTypedArray {
  return nextCarry(prev, t, op, dtype);
}

function withCarry(
  scanned: AnyTypedArray,
  c: AnyTypedArray | null,
  shape: number[],
  axis: number,
  op: "sum" | "prod",
  dtype: DType,
): AnyTypedArray {
  return applyCarry(scanned, c, shape, axis, op, dtype);
}

/** A user's function over the blocks of its inputs (mapBlocks / blockwise). */
async function userBlocks(
  fn: ShippedFn,
  inputs: AnyTypedArray[],
  shapes: number[][],
  info: ChunkInfo,
): Promise<AnyTypedArray> {
  const f = await resolve(fn);
  const blocks = inputs.map((data, i) => ({ data, shape: shapes[i]! }));
  return checkChunk(await f(...blocks, info), info, `mapBlocks(${fn.name})`);
}

/** Counts (or weight sums) of one chunk's values over `edges` (exec/histogram.ts). */
function histogram(
  spec: MapSpec,
  inputs: unknown[],
  inShapes: number[][],
  shape: number[],
  edges: Float64Array,
  equal: boolean,
  weights: AnyTypedArray | null,
): Float64Array {
  const m = materialize(inputs);
  try {
    return binCounts(mapBlock(spec, m.arrays, inShapes, shape), weights, edges, equal);
  } finally {
    m.done();
  }
}

function addCounts(parts: Float64Array[], dtype: DType | null): AnyTypedArray {
  return sumCounts(parts, dtype);
}

/** A storage reader's chunk, checked for its dtype and size. */
function checked(x: unknown, info: ChunkInfo): AnyTypedArray {
  return checkChunk(x, info, "chunk reader");
}

/** barn/array's task functions, shipped to workers by reference. */
export const arrayOps = tasks(import.meta.url, {
  read,
  map,
  partial,
  pairPartial,
  combinePartials,
  finishReduce,
  slice,
  gather,
  take,
  flatJoin,
  matmul: matmulBlock,
  // Integer and bool results: exact, wrapping as NumPy's.
  matmulExact: matmulExactBlock,
  scan,
  tail,
  carry,
  withCarry,
  userBlocks,
  histogram,
  addCounts,
  checked,
  countTrue,
  selectBlock,
  takePart,
  takeJoin,
  frameChunk,
  rowCount,
});
