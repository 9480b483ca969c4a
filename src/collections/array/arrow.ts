/**
 * 1-D arrays to and from apache-arrow Vectors. Arrow numeric vectors are typed arrays already,
 * so both ways are one copy; nulls have no place in a typed array (NaN stands in for a float's,
 * an integer column with nulls is refused).
 */
import { makeVector, type Vector, vectorFromArray } from "apache-arrow";
import { BarnError, OptionError } from "../../errors.js";
import type { BArray } from "./array.js";
import type { ChunkSpec } from "./chunks.js";
import { fromArray } from "./create.js";
import { type AnyTypedArray, dtypeOfTyped } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import type { RunOptions } from "./run.js";

/** A 1-D array of an Arrow vector's values (int64 as BigInt64Array, booleans as bool). */
export function fromArrow(vector: Vector, options: { readonly chunks?: ChunkSpec } = {}): BArray {
  if (
    vector === null ||
    typeof vector !== "object" ||
    typeof (vector as Vector).toArray !== "function"
  ) {
    throw new OptionError("fromArrow(vector): give an apache-arrow Vector (table.getChild(name))");
  }
  const values = vector.toArray() as unknown;
  if (dtypeOfTyped(values) === undefined) {
    if (Array.isArray(values) && values.every((v) => typeof v === "boolean" || v === null)) {
      if (vector.nullCount > 0) throw nulls(vector);
      return fromArray(
        Uint8Array.from(values as boolean[], (b) => (b ? 1 : 0)),
        [values.length],
        { ...options, dtype: "bool" },
      );
    }
    throw new BarnError(
      ArrayErrorCodes.DTYPE,
      `fromArrow: a ${String(vector.type)} vector has no typed-array dtype. Fix: cast it to a numeric type first`,
    );
  }
  let data = values as AnyTypedArray;
  if (vector.nullCount > 0) {
    if (!(data instanceof Float64Array || data instanceof Float32Array)) throw nulls(vector);
    data = data.slice();
    for (let i = 0; i < vector.length; i++) if (!vector.isValid(i)) data[i] = Number.NaN;
  }
  return fromArray(data, [data.length], options) as BArray;
}

function nulls(vector: Vector): BarnError {
  return new BarnError(
    ArrayErrorCodes.DTYPE,
    `fromArrow: the ${String(vector.type)} vector holds ${vector.nullCount} nulls, which an integer or boolean array cannot hold. Fix: fill them first, or cast to a float type (nulls become NaN)`,
  );
}

/** A 1-D array computed into an Arrow vector. */
export async function toArrow(x: BArray, options: RunOptions = {}): Promise<Vector> {
  if (x.ndim !== 1) {
    throw new BarnError(
      ArrayErrorCodes.SHAPE,
      `toArrow: only 1-D arrays become Arrow vectors; this one has shape [${x.shape.join(", ")}]. Fix: x.ravel() or slice a column first`,
    );
  }
  const nd = await x.compute(options);
  if (x.dtype === "bool")
    return vectorFromArray(globalThis.Array.from(nd.data as Uint8Array, (v) => v !== 0));
  return makeVector(nd.data as Float64Array);
}
