/** barn/array's error codes, by short name (the same strings as in `ErrorCodes`). */
import { ErrorCodes } from "../../errors.js";

export const ArrayErrorCodes = {
  /** An unknown dtype, or a mix NumPy refuses (a scalar out of the array's integer range). */
  DTYPE: ErrorCodes.ARRAY_DTYPE,
  /** Shapes that do not broadcast together. */
  BROADCAST: ErrorCodes.ARRAY_BROADCAST,
  /** A chunking that does not tile the shape. */
  CHUNKS: ErrorCodes.ARRAY_CHUNKS,
  /** An axis out of range. */
  AXIS: ErrorCodes.ARRAY_AXIS,
  /** A shape that does not fit the operation. */
  SHAPE: ErrorCodes.ARRAY_SHAPE,
  /** An index or slice out of range, or a mask of the wrong shape. */
  INDEX: ErrorCodes.ARRAY_INDEX,
  /** A frame column's toArray() without barn/array imported. */
  NOT_LOADED: ErrorCodes.ARRAY_NOT_LOADED,
} as const;
