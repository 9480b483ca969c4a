/** The bag's error codes, by short name (the same strings as in `ErrorCodes`). */
import { ErrorCodes } from "../../errors.js";

export const BagErrorCodes = {
  /** A partition (from fromDelayed, mapPartitions, ...) is not an array or iterable. */
  BAD_PARTITION: ErrorCodes.BAG_BAD_PARTITION,
  /** An aggregation that needs at least one element (min, max, fold without initial) got none. */
  EMPTY: ErrorCodes.BAG_EMPTY,
  /** zip over bags whose partitions hold different numbers of elements. */
  LENGTH_MISMATCH: ErrorCodes.BAG_LENGTH_MISMATCH,
  /** A line of a JSON-lines file is not valid JSON. */
  JSON_PARSE: ErrorCodes.JSON_PARSE,
  /** A file to read does not exist or cannot be read. */
  NOT_FOUND: ErrorCodes.IO_NOT_FOUND,
} as const;
