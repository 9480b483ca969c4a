/**
 * `ba.random`: counter-based random arrays. Element n of an array seeded s depends only on
 * (s, n), so results do not depend on the chunking or the number of workers (exec/random.ts).
 */
import { OptionError } from "../../errors.js";
import { checkOptionKeys } from "../../io/options.js";
import { BArray, chunksFor } from "./array.js";
import type { ChunkSpec } from "./chunks.js";
import { checkDType, type DType } from "./dtype.js";
import type { RandomDist } from "./exec/random.js";
import { checkShape } from "./shape.js";

/** Options of the random functions. */
export interface RandomOptions<D extends DType = DType> {
  readonly chunks?: ChunkSpec | undefined;
  /** A non-negative integer; the same seed gives the same array (default 0). */
  readonly seed?: number | undefined;
  readonly dtype?: D | undefined;
}

function make<D extends DType>(
  where: string,
  shapeArg: unknown,
  options: RandomOptions<D>,
  d: RandomDist,
  fallback: DType,
): BArray<D> {
  checkOptionKeys(where, options, ["chunks", "seed", "dtype"]);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new OptionError(
      `${where}: seed must be a non-negative safe integer, got ${String(seed)}`,
    );
  const shape = checkShape(where, shapeArg);
  const dtype = options.dtype === undefined ? fallback : checkDType(where, options.dtype);
  const chunks = chunksFor(where, shape, options.chunks, dtype);
  return new BArray<D>({ kind: "source", reader: { r: "random", seed, d }, shape, chunks, dtype });
}

/** Uniform doubles in [0, 1). */
export function random<D extends "float64" | "float32" = "float64">(
  shape: number | readonly number[],
  options: RandomOptions<D> = {},
): BArray<D> {
  return make("random.random", shape, options, { dist: "random" }, "float64");
}

/** Normal values (mean 0 and std 1 unless given). */
export function normal<D extends "float64" | "float32" = "float64">(
  shape: number | readonly number[],
  options: RandomOptions<D> & { readonly mean?: number; readonly std?: number } = {},
): BArray<D> {
  const { mean = 0, std = 1, ...rest } = options;
  return make("random.normal", shape, rest, { dist: "normal", mean, std }, "float64");
}

/** Integers in [low, high) (dtype int64 unless given). */
export function integers<D extends DType = "int64">(
  low: number,
  high: number,
  shape: number | readonly number[],
  options: RandomOptions<D> = {},
): BArray<D> {
  if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high) || high <= low) {
    throw new OptionError(
      `random.integers: low and high must be integers with low < high, got ${low}, ${high}`,
    );
  }
  return make("random.integers", shape, options, { dist: "integers", low, high }, "int64");
}
