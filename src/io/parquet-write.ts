/**
 * Writing a Batch as one Parquet file with hyparquet-writer (snappy, row groups, statistics).
 */

import { parquetWriteFile } from "hyparquet-writer";
import type { Batch, Column } from "../kernels/batch.js";
import { columnCells } from "./columns.js";

/** hyparquet-writer's schema element (it bundles its own hyparquet types). */
type WriteElement = NonNullable<Parameters<typeof parquetWriteFile>[0]["schema"]>[number];

/** Options of `writeParquet`. */
export interface ParquetWriteOptions {
  /** Rows per row group (default 1,000,000). */
  readonly rowGroupSize?: number | undefined;
  /** Compression codec (default SNAPPY; also UNCOMPRESSED). */
  readonly codec?: "SNAPPY" | "UNCOMPRESSED" | undefined;
}

/**
 * Writes a batch as one Parquet file: int32 -> INT32, float64 -> DOUBLE, int64 -> INT64, bool ->
 * BOOLEAN, utf8/dict -> BYTE_ARRAY (UTF8; dictionary-encoded when that halves the size),
 * timestamp -> INT64 TIMESTAMP(MILLIS, UTC; fractions of a millisecond are rounded), date ->
 * INT32 DATE. Columns with a validity bitmap are OPTIONAL, others REQUIRED.
 */
export async function writeParquet(
  batch: Batch,
  path: string,
  options: ParquetWriteOptions = {},
): Promise<void> {
  const schema: WriteElement[] = [{ name: "root", num_children: batch.names.length }];
  const columnData = batch.names.map((name, i) => {
    const col = batch.columns[i]!;
    schema.push(schemaElement(name, col));
    return { name, data: writeValues(col) };
  });
  parquetWriteFile({
    filename: path,
    schema,
    columnData,
    codec: options.codec ?? "SNAPPY",
    rowGroupSize: options.rowGroupSize ?? 1_000_000,
  });
}

function schemaElement(name: string, col: Column): WriteElement {
  const repetition_type = col.valid === undefined ? "REQUIRED" : "OPTIONAL";
  switch (col.type) {
    case "int32":
      return { name, type: "INT32", repetition_type };
    case "float64":
      return { name, type: "DOUBLE", repetition_type };
    case "int64":
      return { name, type: "INT64", repetition_type };
    case "bool":
      return { name, type: "BOOLEAN", repetition_type };
    case "utf8":
    case "dict":
      return {
        name,
        type: "BYTE_ARRAY",
        converted_type: "UTF8",
        logical_type: { type: "STRING" },
        repetition_type,
      };
    case "timestamp":
      return {
        name,
        type: "INT64",
        converted_type: "TIMESTAMP_MILLIS",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
        repetition_type,
      };
    case "date":
      return {
        name,
        type: "INT32",
        converted_type: "DATE",
        logical_type: { type: "DATE" },
        repetition_type,
      };
  }
}

function writeValues(col: Column): Int32Array | Float64Array | BigInt64Array | unknown[] {
  if (col.valid === undefined) {
    if (
      col.type === "int32" ||
      col.type === "date" ||
      col.type === "float64" ||
      col.type === "int64"
    ) {
      return col.data as Int32Array | Float64Array | BigInt64Array;
    }
    if (col.type === "timestamp")
      return BigInt64Array.from(col.data as Float64Array, (v) => BigInt(Math.round(v)));
  }
  const cells = columnCells(col);
  if (col.type === "timestamp")
    return cells.map((v) => (v === null ? null : BigInt(Math.round(v as number))));
  return cells;
}
