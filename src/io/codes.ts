/**
 * Error codes the IO layer raises that `errors.ts` does not have yet. They are proposed for
 * `ErrorCodes` (same strings); until they land there, readers and writers use these constants.
 */
export const IoErrorCodes = {
  /** A malformed CSV (or JSON lines) row: the message names the file, line and column. */
  CSV_PARSE: "BARN_CSV_PARSE",
  /** A malformed JSON lines row (bad JSON or a value of the wrong type): names file, line, column. */
  JSON_PARSE: "BARN_JSON_PARSE",
  /** A path, directory or glob matched no file. */
  NOT_FOUND: "BARN_IO_NOT_FOUND",
  /** A column named in `columns`, `filters` or a schema override is not in the data. */
  UNKNOWN_COLUMN: "BARN_UNKNOWN_COLUMN",
  /** The file uses a type or feature the reader does not support (nested Parquet columns). */
  UNSUPPORTED: "BARN_IO_UNSUPPORTED",
} as const;
