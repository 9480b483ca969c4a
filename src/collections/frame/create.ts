/**
 * Making frames from data already in memory (records, arrow Tables, batches) and from any
 * registered reader (`sourceFrame`, the hook file formats plug into).
 */

import type * as A from "apache-arrow";
import { OptionError } from "../../errors.js";
import { checkFieldTypes, checkOptionKeys } from "../../io/options.js";
import type { Batch, Schema } from "../../kernels/batch.js";
import { concatBatches, emptyBatch, sliceBatch } from "../../kernels/column.js";
import { schemaOfTable, tableToBatch } from "./arrow.js";
import { DataFrame } from "./dataframe.js";
import type { SourceFilter, SourceNode } from "./plan.js";
import { inferSchema, recordsToBatch } from "./records.js";
import { readerOf } from "./sources.js";
import type { Row } from "./types.js";

/** Options for frames built from memory. */
export interface FromMemoryOptions {
  /** How many partitions to cut the rows into (about equal rows). Default 1. */
  readonly npartitions?: number | undefined;
}

function checkPartitions(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1) {
    throw new OptionError(`npartitions must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/** One batch cut into `n` partitions of about equal rows. */
function cut(batch: Batch, n: number): Batch[] {
  return Array.from({ length: n }, (_, i) =>
    sliceBatch(batch, Math.floor((i * batch.length) / n), Math.floor(((i + 1) * batch.length) / n)),
  );
}

/** A frame over batches held in the graph (each batch one partition). */
export function fromBatches<S extends Row = Row>(
  batches: readonly Batch[],
  schema?: Schema,
): DataFrame<S> {
  if (batches.length === 0 && schema === undefined) {
    throw new OptionError("fromBatches: give at least one batch, or the schema of an empty frame");
  }
  const s: Schema =
    schema ??
    batches[0]!.names.map((name, j) => ({
      name,
      type: batches[0]!.columns[j]!.type,
      nullable: true,
    }));
  const parts = batches.length === 0 ? [emptyBatch(s)] : batches;
  const node: SourceNode = {
    kind: "source",
    reader: "memory",
    parts,
    schema: s,
    npartitions: parts.length,
    rows: parts.reduce((n, b) => n + b.length, 0),
  };
  return new DataFrame<S>(node);
}

/** Options of fromRecords. */
export interface FromRecordsOptions extends FromMemoryOptions {
  /** The columns' types, instead of inferring them from the values. */
  readonly schema?: Schema | undefined;
}

/**
 * A frame of plain records; the row type `T` types the frame's columns. Column types are
 * inferred (int32 for small integers, float64, int64 from bigint, bool, utf8, timestamp from
 * Date) unless `schema` is given.
 */
export function fromRecords<T extends Row>(
  rows: readonly T[],
  options: FromRecordsOptions = {},
): DataFrame<T> {
  if (!Array.isArray(rows))
    throw new OptionError("fromRecords(rows): rows must be an array of objects");
  checkOptionKeys("fromRecords", options, ["npartitions", "schema"]);
  if (options.schema !== undefined) checkFieldTypes("fromRecords", options.schema);
  const schema = options.schema ?? inferSchema(rows);
  const batch = recordsToBatch(rows, schema);
  return fromBatches<T>(cut(batch, checkPartitions(options.npartitions ?? 1)), schema);
}

/** A frame over an apache-arrow Table (its record batches, or `npartitions` even cuts). */
export function fromArrow<S extends Row = Row>(
  table: A.Table,
  options: FromMemoryOptions = {},
): DataFrame<S> {
  checkOptionKeys("fromArrow", options, ["npartitions"]);
  const schema = schemaOfTable(table);
  const whole = tableToBatch(table);
  const n = checkPartitions(options.npartitions ?? 1);
  return fromBatches<S>(
    cut(whole.length === 0 ? emptyBatch(schema) : concatBatches([whole]), n),
    schema,
  );
}

/** How a reader describes a dataset it planned: the hook for file formats. */
export interface SourceSpec {
  /** The registered reader's name. */
  readonly reader: string;
  /** One plain-data part per partition. */
  readonly parts: readonly unknown[];
  /** The columns' names and types. */
  readonly schema: Schema;
  /** Filters already known to apply (optional). */
  readonly filters?: readonly SourceFilter[] | undefined;
  /** Total rows, when the reader knows (lets joins broadcast small tables). */
  readonly rows?: number | undefined;
}

/**
 * A frame read by a registered reader. Files with no rows (a Parquet file of 0 rows, a CSV
 * header, an empty JSON lines file) plan no parts: the frame is then one empty partition with
 * the files' schema, as DuckDB and Arrow read them.
 */
export function sourceFrame<S extends Row = Row>(spec: SourceSpec): DataFrame<S> {
  readerOf(spec.reader);
  if (spec.parts.length === 0) return fromBatches<S>([], spec.schema);
  return new DataFrame<S>({
    kind: "source",
    reader: spec.reader,
    parts: spec.parts,
    schema: spec.schema,
    npartitions: spec.parts.length,
    filters: spec.filters,
    rows: spec.rows,
  });
}
