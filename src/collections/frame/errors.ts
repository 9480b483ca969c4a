/**
 * The frame's error codes and the errors a query meets when it is built. They are BarnErrors
 * with stable codes; the codes live here until they move into src/errors.ts' ErrorCodes.
 */
import { BarnError } from "../../errors.js";
import type { DType, Schema } from "../../kernels/batch.js";

/** Stable codes of DataFrame errors. */
export const FrameErrorCodes = {
  /** A query names a column the frame does not have. */
  UNKNOWN_COLUMN: "BARN_FRAME_UNKNOWN_COLUMN",
  /** An expression combines types that do not fit (e.g. a string column compared with a number). */
  TYPE_MISMATCH: "BARN_FRAME_TYPE_MISMATCH",
  /** Frames that must share a schema (concat) do not. */
  SCHEMA_MISMATCH: "BARN_FRAME_SCHEMA_MISMATCH",
  /** A user's mapPartitions function returned something that is not a batch or an arrow Table. */
  BAD_PARTITION: "BARN_FRAME_BAD_PARTITION",
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

/** The field named `name`, or an unknown-column error. */
export function fieldOf(schema: Schema, name: string, where: string) {
  const f = schema.find((x) => x.name === name);
  if (f === undefined) throw unknownColumn(name, schema, where);
  return f;
}
