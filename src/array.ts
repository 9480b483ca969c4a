/**
 * `barn/array`: lazy, chunked n-dimensional arrays over typed arrays, NumPy-style, computed
 * as graphs of per-chunk kernels. `import * as ba from "barn/array"`.
 */
import "./collections/array/frame-column.js";
import * as random from "./collections/array/random.js";

export {
  type AllOptions,
  type AxisOptions,
  BArray as Array,
  type Binary,
  type Block,
  type MapBlocksOptions,
  type Operand,
  type PersistOptions,
} from "./collections/array/array.js";
export { fromArrow, toArrow } from "./collections/array/arrow.js";
export { AUTO_CHUNK_BYTES, type ChunkSpec, type Chunks } from "./collections/array/chunks.js";
export {
  arange,
  type CreateOptions,
  type DTypeOf,
  empty,
  eye,
  type FromArrayOptions,
  fromArray,
  fromChunkReader,
  fromDelayed,
  fromFunction,
  full,
  linspace,
  ones,
  zeros,
} from "./collections/array/create.js";
export type {
  AnyTypedArray,
  DType,
  FloatOf,
  ScalarOf,
  SumOf,
  TypedArrayOf,
} from "./collections/array/dtype.js";
export { ArrayErrorCodes } from "./collections/array/errors.js";
// Loading it installs a frame column's toArray(); its type export carries the declaration
// merging that types the method into every program that imports barn/array.
export type { ToArrayOptions } from "./collections/array/frame-column.js";
export { fromFrame } from "./collections/array/from-frame.js";
export { blockwise, concatenate, stack, where } from "./collections/array/functions.js";
export {
  type HistogramCounts,
  type HistogramEdges,
  type HistogramOptions,
  histogram,
} from "./collections/array/histogram.js";
export { NDArray, type Nested } from "./collections/array/ndarray.js";
export type { ArrayPlan, ChunkInfo } from "./collections/array/plan.js";
export type { RandomOptions } from "./collections/array/random.js";
export type { ReduceOptions } from "./collections/array/reductions.js";
export type { RunOptions } from "./collections/array/run.js";
export { Scalar } from "./collections/array/scalar.js";
export type { IndexItem } from "./collections/array/slicing.js";
export { type TensordotAxes, tensordot } from "./collections/array/tensordot.js";
export {
  ZARR_CHUNK_CHANNEL,
  type ZarrArrayInfo,
  type ZarrChunkEvent,
} from "./collections/array/zarr/index.js";
export type { ToZarrOptions } from "./collections/array/zarr-sink.js";
export { type FromZarrOptions, fromZarr } from "./collections/array/zarr-source.js";
export { random };
