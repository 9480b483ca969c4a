/**
 * Batches to and from `apache-arrow` (the one implementation is arrow-batch.ts), and
 * `batchFromRecords` for plain JS objects.
 */

import { type RecordBatch, Table } from "apache-arrow";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, DType, Schema } from "../kernels/batch.js";
import { batchesToTable, tableToBatch } from "./arrow-batch.js";
import { type Cell, columnFromCells } from "./columns.js";
import { schemaOf } from "./schema.js";

/**
 * An Arrow Table or RecordBatch as a Batch (arrow-batch.ts: buffers wrapped where layouts
 * agree, bitmaps copied bitwise).
 */
export function batchFromArrow(input: Table | RecordBatch): Batch {
  return tableToBatch(input instanceof Table ? input : new Table(input));
}

/** A Batch as an Arrow Table (one record batch); see batchFromArrow. */
export function batchToArrow(batch: Batch): Table {
  return batchesToTable([batch], schemaOf(batch));
}

/**
 * Plain objects as a Batch. Column types come from `schema` when given, else from the values:
 * number -> int32 when every value is an integer in range, else float64; string -> utf8;
 * boolean -> bool; Date -> timestamp; bigint -> int64; null/undefined -> null. A column whose
 * values are all null is float64. Mixed kinds throw BARN_INVALID_OPTION naming the column.
 */
export function batchFromRecords(
  records: readonly Record<string, unknown>[],
  schema?: Schema,
): Batch {
  const names = schema ? schema.map((f) => f.name) : recordNames(records);
  const columns = names.map((name, j) => {
    const raw = records.map((r) => r[name]);
    const type = schema ? schema[j]!.type : inferType(name, raw);
    const values = raw.map(toCell);
    return columnFromCells(type, values);
  });
  return { names, columns, length: records.length };
}

function recordNames(records: readonly Record<string, unknown>[]): string[] {
  const seen = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

function toCell(v: unknown): Cell {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.getTime();
  return v as Cell;
}

const kindToType: Record<string, DType> = {
  string: "utf8",
  boolean: "bool",
  bigint: "int64",
  date: "timestamp",
};

function inferType(name: string, values: readonly unknown[]): DType {
  let kind: string | undefined;
  let allInt = true;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const k = v instanceof Date ? "date" : typeof v;
    if (kind !== undefined && k !== kind) {
      throw new BarnError(
        ErrorCodes.INVALID_OPTION,
        `column "${name}" mixes ${kind} and ${k} values: pass a schema to batchFromRecords, or make the values one kind`,
      );
    }
    kind = k;
    if (k === "number" && allInt) allInt = Number.isInteger(v) && Math.abs(v as number) < 2 ** 31;
  }
  if (kind === undefined) return "float64";
  if (kind === "number") return allInt ? "int32" : "float64";
  const t = kindToType[kind];
  if (t === undefined) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `column "${name}" holds ${kind} values, which a batch cannot hold: convert them to numbers, strings, booleans, bigints or Dates`,
    );
  }
  return t;
}
