/**
 * The IO layer's error codes, by their short names (the same strings as in `ErrorCodes`).
 */
import { ErrorCodes } from "../errors.js";

export const IoErrorCodes = {
  CSV_PARSE: ErrorCodes.CSV_PARSE,
  JSON_PARSE: ErrorCodes.JSON_PARSE,
  NOT_FOUND: ErrorCodes.IO_NOT_FOUND,
  UNKNOWN_COLUMN: ErrorCodes.UNKNOWN_COLUMN,
  UNSUPPORTED: ErrorCodes.IO_UNSUPPORTED,
  CORRUPT: ErrorCodes.IO_CORRUPT,
} as const;
