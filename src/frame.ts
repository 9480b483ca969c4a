/**
 * `barn/frame`: lazy, partitioned DataFrames over Arrow-layout batches.
 * `import * as bf from "barn/frame"`.
 */

export type {
  AggEntryFor,
  AggFnFor,
  AggOutputs,
  AggSpecOf,
  AggValue,
} from "./collections/frame/agg-types.js";
export { batchesToTable, tableToBatch, tableToBatches } from "./collections/frame/arrow.js";
export { type BadLinesReport, countBadLines } from "./collections/frame/bad-lines.js";
export { concat } from "./collections/frame/concat.js";
export {
  type FromMemoryOptions,
  type FromRecordsOptions,
  fromArrow,
  fromBatches,
  fromRecords,
  type SourceSpec,
  sourceFrame,
} from "./collections/frame/create.js";
export {
  DataFrame,
  type ExplainOptions,
  type MapPartitionsOptions,
  type PersistOptions,
} from "./collections/frame/dataframe.js";
export { FrameErrorCodes } from "./collections/frame/errors.js";
export {
  col,
  DateOps,
  Expr,
  type ExprNode,
  type Literal,
  lit,
  StringOps,
  Then,
  When,
  when,
} from "./collections/frame/expr.js";
export type { ValueOfType } from "./collections/frame/expr-values.js";
export { GroupBy } from "./collections/frame/groupby.js";
export type { Merged, MergeOptionsFor } from "./collections/frame/merge-types.js";
export type { Plan, RowOp, SourceFilter, SourceNode } from "./collections/frame/plan.js";
export {
  type ReadCsvOptions,
  type ReadJsonOptions,
  type ReadParquetOptions,
  readCsv,
  readJson,
  readParquet,
} from "./collections/frame/read.js";
export { batchToRecords, recordsToBatch } from "./collections/frame/records.js";
export type { MeltOptions, PivotOptions } from "./collections/frame/reshape.js";
export type { RunOptions } from "./collections/frame/run.js";
export { type Reader, registerReader } from "./collections/frame/sources.js";
export type { Names, ReadRow, Row, SchemaRow } from "./collections/frame/types.js";
export type {
  AggEntry,
  AggOptions,
  MergeOptions,
  QuantileEntry,
} from "./collections/frame/verbs.js";
export type { WindowEntry, WindowFn, WindowOptions } from "./collections/frame/window.js";
export type {
  ToCsvOptions,
  ToJsonOptions,
  ToParquetOptions,
  WriteFormat,
  WriteResult,
} from "./collections/frame/write.js";
export type { AggFn, AggSpec } from "./kernels/aggregate.js";
export type { Batch, Column, DType, Field, Schema } from "./kernels/batch.js";
export type { RankMethod } from "./kernels/window.js";
