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
 * BOOLEAN, utf8/dict -> BYTE_ARRAY (UTF8; dictionary-encoded when the column has few distinct
 * values, see `fewDistinctStrings`, else when hyparquet-writer finds that halves the size),
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
    const data = writeValues(col);
    const isString = col.type === "utf8" || col.type === "dict";
    return isString && fewDistinctStrings(data as readonly unknown[])
      ? { name, data, encoding: "RLE_DICTIONARY" as const }
      : { name, data };
  });
  parquetWriteFile({
    filename: path,
    schema,
    columnData,
    codec: options.codec ?? "SNAPPY",
    rowGroupSize: options.rowGroupSize ?? 1_000_000,
  });
}

/** Dictionary bytes above which a string column stays PLAIN (pyarrow's default page limit). */
const maxDictionaryBytes = 1 << 20;

/**
 * Whether a string column should be dictionary-encoded, as DuckDB, Polars, pyarrow and Spark do by
 * default: its distinct values fit in 1 MiB and repeat (at most half as many as the rows). Barn
 * decides this itself because hyparquet-writer's automatic choice judges from a 1,000-value sample,
 * which sees mostly distinct values in e.g. 10,000 keys over a million rows and so writes PLAIN;
 * readers then get a utf8 column and hash key bytes per row instead of working on codes. The whole
 * column's dictionary bounds every row group's, so forcing RLE_DICTIONARY stays under the limit.
 */
export function fewDistinctStrings(cells: readonly unknown[]): boolean {
  const maxDistinct = cells.length / 2;
  const seen = new Set<string>();
  let bytes = 0;
  for (const cell of cells) {
    if (typeof cell !== "string" || seen.has(cell)) continue;
    seen.add(cell);
    // UTF-16 length bounds UTF-8 bytes within 3x; the 4-byte length prefix is per entry.
    bytes += cell.length + 4;
    if (seen.size > maxDistinct || bytes > maxDictionaryBytes) return false;
  }
  return seen.size > 0;
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
