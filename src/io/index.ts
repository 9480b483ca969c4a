/**
 * The IO layer's public surface for `barn/frame`: planners (run on the client) and part readers
 * (run in tasks) per format, writers, Arrow and records conversion, and path expansion.
 */

export { batchFromArrow, batchFromRecords, batchToArrow } from "./arrow.js";
export { IoErrorCodes } from "./codes.js";
export {
  CSV_EXTENSIONS,
  type CsvOptions,
  type CsvPart,
  type CsvPartResult,
  type CsvPlan,
  planCsv,
  planCsvSync,
  readCsvPart,
} from "./csv.js";
export { type CsvWriteOptions, writeCsv } from "./csv-write.js";
export type { ColumnStats, Predicate, PredicateOp, PredicateValue } from "./filters.js";
export { mayMatch } from "./filters.js";
export { expandPaths } from "./glob.js";
export {
  JSON_EXTENSIONS,
  type JsonOptions,
  type JsonPart,
  type JsonPlan,
  planJson,
  planJsonSync,
  readJsonPart,
  writeJson,
} from "./json.js";
export {
  PARQUET_EXTENSIONS,
  type ParquetPart,
  type ParquetPlan,
  type ParquetPlanOptions,
  type ParquetWriteOptions,
  planParquet,
  planParquetSync,
  readParquetPart,
  writeParquet,
} from "./parquet.js";
export { schemaOf } from "./schema.js";
