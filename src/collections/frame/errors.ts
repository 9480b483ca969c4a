/**
 * The errors a query meets when it is built: BarnErrors with stable codes from ErrorCodes
 * (an unknown column has the same code as in the readers).
 */
import { BarnError, ErrorCodes } from "../../errors.js";
import type { DType, Schema } from "../../kernels/batch.js";
import { Int64OverflowError } from "../../kernels/int64.js";

/** The DataFrame's error codes, by short name (the same strings as in `ErrorCodes`). */
export const FrameErrorCodes = {
  /** A query names a column the frame does not have. */
  UNKNOWN_COLUMN: ErrorCodes.UNKNOWN_COLUMN,
  /** An expression combines types that do not fit (e.g. a string column compared with a number). */
  TYPE_MISMATCH: ErrorCodes.FRAME_TYPE_MISMATCH,
  /** Frames that must share a schema (concat) do not. */
  SCHEMA_MISMATCH: ErrorCodes.FRAME_SCHEMA_MISMATCH,
  /** A user's mapPartitions function returned something that is not a batch or an arrow Table. */
  BAD_PARTITION: ErrorCodes.FRAME_BAD_PARTITION,
  /** An exact int64 result (a sum, arithmetic) falls outside the int64 range. */
  OVERFLOW: ErrorCodes.FRAME_OVERFLOW,
} as const;

/** A column name that is not in the schema: names the column and lists the ones there are. */
export function unknownColumn(name: string, schema: Schema, where: string): BarnError {
  const have = schema.map((f) => JSON.stringify(f.name)).join(", ");
  return new BarnError(
    FrameErrorCodes.UNKNOWN_COLUMN,
    `${where}: unknown column ${JSON.stringify(name)}; the frame has columns ${have || "(none)"}. ` +
      "Fix: use one of those names (check spelling and case).",
  );
}

/** Two types that an operation cannot combine: names both and the operation. */
export function typeMismatch(
  what: string,
  left: DType | string,
  right: DType | string,
  fix: string,
): BarnError {
  return new BarnError(
    FrameErrorCodes.TYPE_MISMATCH,
    `${what}: cannot combine ${left} with ${right}. Fix: ${fix}`,
  );
}

/**
 * `fn()`, with a kernel's int64 overflow turned into BARN_FRAME_OVERFLOW (kernels cannot import
 * BarnError; a plain Error would reach the user as BARN_TASK_FAILED).
 */
export function overflowToBarn<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof Int64OverflowError)) throw err;
    throw new BarnError(
      ErrorCodes.FRAME_OVERFLOW,
      `${err.message}. Fix: compute in float64 (multiply by 1.0, or divide) if an approximate result is acceptable, or keep the values smaller`,
      { cause: err },
    );
  }
}

/** The field named `name`, or an unknown-column error. */
export function fieldOf(schema: Schema, name: string, where: string) {
  const f = schema.find((x) => x.name === name);
  if (f === undefined) throw unknownColumn(name, schema, where);
  return f;
}
