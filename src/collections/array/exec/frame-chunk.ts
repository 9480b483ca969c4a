/**
 * A barn/frame partition (a Batch) as an array chunk: the named columns side by side, row by
 * row (C order: rows x columns, or one column's values for a 1-D array). Nulls become NaN in
 * float results; an integer or bool result refuses them, as fromArrow does.
 */
import { BarnError } from "../../../errors.js";
import type { Batch, Column } from "../../../kernels/batch.js";
import { type AnyTypedArray, type DType, isFloat } from "../dtype.js";
import { ArrayErrorCodes } from "../errors.js";
import { allocShared } from "./block.js";

function isNull(c: Column, i: number): boolean {
  return c.valid !== undefined && (c.valid[i >> 3]! & (1 << (i & 7))) === 0;
}

/** The columns `names` of `batch` as one chunk of `dtype`. */
export function frameChunk(batch: Batch, names: readonly string[], dtype: DType): AnyTypedArray {
  const rows = batch.length;
  const nc = names.length;
  const out = allocShared(dtype, rows * nc) as { [i: number]: number | bigint };
  const big = dtype === "int64";
  const float = isFloat(dtype);
  names.forEach((name, j) => {
    const c = batch.columns[batch.names.indexOf(name)]!;
    const src = c.data as { [i: number]: number | bigint };
    for (let i = 0; i < rows; i++) {
      if (isNull(c, i)) {
        if (!float) {
          throw new BarnError(
            ArrayErrorCodes.DTYPE,
            `fromFrame: column ${JSON.stringify(name)} holds nulls, which a ${dtype} array cannot hold. Fix: df.fillNull({ ... }) first, or cast it to float64 (nulls become NaN)`,
          );
        }
        out[i * nc + j] = Number.NaN;
        continue;
      }
      const v = src[i]!;
      out[i * nc + j] = big ? BigInt(v) : Number(v);
    }
  });
  return out as AnyTypedArray;
}

/** A partition's row count. */
export function rowCount(batch: Batch): number {
  return batch.length;
}
