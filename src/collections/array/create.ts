/**
 * Making arrays: filled (zeros, ones, full, empty), ranges (arange, linspace), eye, from a
 * typed array in memory (cut into chunks on the client), from a function per chunk, from
 * Delayed chunks, and random numbers (random.ts in exec/ makes them counter-based).
 */
import { type Delayed, graphOf } from "../../client/delayed.js";
import { BarnError, OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import { shipUserFn } from "../bag/fns.js";
import { BArray, chunksFor } from "./array.js";
import { type ChunkSpec, chunkIndices, chunkShape, offsets } from "./chunks.js";
import {
  type AnyTypedArray,
  checkDType,
  type DType,
  dtypeOfTyped,
  type TypedArrayOf,
} from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { sliceBlock } from "./exec/copy.js";
import type { ChunkInfo, Reader } from "./plan.js";
import { checkShape, fmt, sizeOf } from "./shape.js";

/** Options of the creation functions. */
export interface CreateOptions<D extends DType = DType> {
  /** The element type (default float64). */
  readonly dtype?: D | undefined;
  /** The chunk grid (default "auto": about 128 MiB per chunk). */
  readonly chunks?: ChunkSpec | undefined;
}

const CREATE_KEYS = ["dtype", "chunks"];

function source<D extends DType>(
  where: string,
  shapeArg: unknown,
  options: CreateOptions<D>,
  reader: Reader,
  fallback: DType = "float64",
): BArray<D> {
  checkOptionKeys(where, options, CREATE_KEYS);
  const shape = checkShape(where, shapeArg);
  const dtype = options.dtype === undefined ? fallback : checkDType(where, options.dtype);
  const chunks = chunksFor(where, shape, options.chunks, dtype);
  return new BArray<D>({ kind: "source", reader, shape, chunks, dtype });
}

export function zeros<D extends DType = "float64">(
  shape: number | readonly number[],
  options: CreateOptions<D> = {},
): BArray<D> {
  return source("zeros", shape, options, { r: "fill", value: 0 });
}

export function ones<D extends DType = "float64">(
  shape: number | readonly number[],
  options: CreateOptions<D> = {},
): BArray<D> {
  return source("ones", shape, options, { r: "fill", value: 1 });
}

/** Every element `value` (dtype: float64 for numbers, int64 for bigints, bool for booleans, unless given). */
export function full<D extends DType = "float64">(
  shape: number | readonly number[],
  value: number | bigint | boolean,
  options: CreateOptions<D> = {},
): BArray<D> {
  const fallback: DType =
    typeof value === "bigint" ? "int64" : typeof value === "boolean" ? "bool" : "float64";
  const v = typeof value === "bigint" ? String(value) : Number(value);
  return source("full", shape, options, { r: "fill", value: v }, fallback);
}

/** Like zeros: Barn never hands out uninitialised memory. */
export function empty<D extends DType = "float64">(
  shape: number | readonly number[],
  options: CreateOptions<D> = {},
): BArray<D> {
  return source("empty", shape, options, { r: "fill", value: 0 });
}

/** Values start, start + step, ... below stop (NumPy's arange; integer dtype when all are integers). */
export function arange<D extends DType = DType>(
  start: number,
  stop?: number,
  step = 1,
  options: CreateOptions<D> = {},
): BArray<D> {
  const [a, b] = stop === undefined ? [0, start] : [start, stop];
  if (!Number.isFinite(a) || !Number.isFinite(b) || !Number.isFinite(step) || step === 0) {
    throw new OptionError(
      `arange: start, stop and step must be finite numbers and step non-zero, got ${a}, ${b}, ${step}`,
    );
  }
  const n = Math.max(0, Math.ceil((b - a) / step));
  const ints = Number.isInteger(a) && Number.isInteger(b) && Number.isInteger(step);
  return source(
    "arange",
    [n],
    options,
    { r: "arange", start: a, step },
    ints ? "int64" : "float64",
  );
}

/** `num` evenly spaced values from start to stop (stop included unless endpoint: false). */
export function linspace<D extends DType = "float64">(
  start: number,
  stop: number,
  num = 50,
  options: CreateOptions<D> & { readonly endpoint?: boolean } = {},
): BArray<D> {
  const { endpoint = true, ...rest } = options;
  if (!Number.isInteger(num) || num < 0)
    throw new OptionError(`linspace: num must be a non-negative integer, got ${num}`);
  return source("linspace", [num], rest as CreateOptions<D>, {
    r: "linspace",
    start,
    stop,
    num,
    endpoint,
  });
}

/** An n x m matrix with ones on diagonal k. */
export function eye<D extends DType = "float64">(
  n: number,
  options: CreateOptions<D> & { readonly m?: number; readonly k?: number } = {},
): BArray<D> {
  const { m = n, k = 0, ...rest } = options;
  return source("eye", [n, m], rest as CreateOptions<D>, { r: "eye", k });
}

/** Options of fromArray. */
export interface FromArrayOptions {
  readonly chunks?: ChunkSpec | undefined;
  /** Read a Uint8Array as booleans. */
  readonly dtype?: "bool" | undefined;
}

/** A typed array in memory (C order) as a chunked array: each chunk is copied into the graph. */
export function fromArray(
  data: Uint8Array,
  shape: number | readonly number[] | undefined,
  options: FromArrayOptions & { readonly dtype: "bool" },
): BArray<"bool">;
export function fromArray<T extends AnyTypedArray>(
  data: T,
  shape?: number | readonly number[],
  options?: FromArrayOptions,
): BArray<DTypeOf<T>>;
export function fromArray<T extends AnyTypedArray>(
  data: T,
  shape?: number | readonly number[],
  options: FromArrayOptions = {},
): BArray<DType> {
  checkOptionKeys("fromArray", options, ["chunks", "dtype"]);
  let dtype = dtypeOfTyped(data);
  if (dtype === undefined)
    throw new OptionError(
      `fromArray(data): data must be a typed array (Float64Array, Int32Array, BigInt64Array, ...), got ${typeof data}`,
    );
  if (options.dtype === "bool") dtype = "bool";
  const s = shape === undefined ? [data.length] : checkShape("fromArray", shape);
  if (sizeOf(s) !== data.length) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `fromArray: ${data.length} elements do not fill shape ${fmt(s)}`,
    );
  }
  const chunks = chunksFor("fromArray", s, options.chunks, dtype);
  const blocks = chunkIndices(chunks).map((idx) => {
    const start = idx.map((i, d) => offsets(chunks[d]!)[i]!);
    return sliceBlock(
      data,
      s,
      start,
      s.map(() => 1),
      chunkShape(chunks, idx),
      dtype!,
    );
  });
  return new BArray({ kind: "source", reader: { r: "blocks", blocks }, shape: s, chunks, dtype });
}

/** The dtype a typed array holds. */
export type DTypeOf<T> = T extends Float64Array
  ? "float64"
  : T extends Float32Array
    ? "float32"
    : T extends Int8Array
      ? "int8"
      : T extends Int16Array
        ? "int16"
        : T extends Int32Array
          ? "int32"
          : T extends Uint8Array
            ? "uint8"
            : T extends Uint16Array
              ? "uint16"
              : T extends Uint32Array
                ? "uint32"
                : T extends BigInt64Array
                  ? "int64"
                  : DType;

/**
 * An array whose chunks `fn(info)` makes on the workers: info holds the chunk's index, shape,
 * start and dtype; fn returns the chunk's typed array in C order (or a promise of it).
 */
export function fromFunction<D extends DType = "float64">(
  fn: (info: ChunkInfo) => TypedArrayOf<D> | Promise<TypedArrayOf<D>>,
  shape: number | readonly number[],
  options: CreateOptions<D> = {},
): BArray<D> {
  return source("fromFunction", shape, options, { r: "fn", fn: shipUserFn("fromFunction", fn) });
}

/**
 * An array from a function declared with `tasks()`, called on the workers as `fn(arg, info)`
 * per chunk. The seam for storage layers (a Zarr store's chunk reader plugs in here).
 */
export function fromChunkReader<D extends DType>(
  fn: (arg: never, info: ChunkInfo) => unknown,
  arg: unknown,
  shape: readonly number[],
  options: { readonly dtype: D; readonly chunks: ChunkSpec },
): BArray<D> {
  return source("fromChunkReader", shape, options, { r: "call", fn, arg });
}

/** An array whose chunks are Delayed values (each a typed array of its chunk's shape, C order). */
export function fromDelayed<D extends DType>(
  values: readonly Delayed[],
  shape: readonly number[],
  options: { readonly dtype: D; readonly chunks: ChunkSpec },
): BArray<D> {
  checkOptionKeys("fromDelayed", options, CREATE_KEYS);
  const s = checkShape("fromDelayed", shape);
  const dtype = checkDType("fromDelayed", options.dtype);
  const chunks = chunksFor("fromDelayed", s, options.chunks, dtype);
  const n = chunkIndices(chunks).length;
  if (
    !Array.isArray(values) ||
    values.length !== n ||
    values.some((d) => typeof (d as Delayed)?.key !== "string")
  ) {
    throw new OptionError(
      `fromDelayed: give one Delayed per chunk (${n} for chunks ${JSON.stringify(chunks)}), in C order of the grid`,
    );
  }
  return new BArray<D>({
    kind: "keys",
    keys: values.map((d) => d.key),
    graph: graphOf(values),
    shape: s,
    chunks,
    dtype,
  });
}
