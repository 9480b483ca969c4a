/**
 * Parquet: planning a read from footers alone (schema, one part per row group or group of row
 * groups, pruning by min/max statistics). Reading a part (parquet-read.ts) and writing a batch
 * (parquet-write.ts) are re-exported here, so one import serves all three.
 */

import type { FileMetaData, SchemaElement } from "hyparquet";
import { BarnError, ErrorCodes } from "../errors.js";
import type { DType, Field, Schema } from "../kernels/batch.js";
import { IoErrorCodes } from "./codes.js";
import { type ColumnStats, checkPredicates, mayMatch, type Predicate } from "./filters.js";
import { expandPaths } from "./glob.js";
import { readFooter, readFooterSync } from "./parquet-footer.js";
import { projectSchema } from "./schema.js";

export { readParquetPart } from "./parquet-read.js";
export { type ParquetWriteOptions, writeParquet } from "./parquet-write.js";

/** File name endings a directory is searched for. */
export const PARQUET_EXTENSIONS = [".parquet", ".pq"] as const;

/** Options of `planParquet`. */
export interface ParquetPlanOptions {
  /** Columns to read (projection), in output order; all when absent. */
  readonly columns?: readonly string[] | undefined;
  /** Predicates (ANDed) used to skip row groups whose statistics prove no row matches. */
  readonly filters?: readonly Predicate[] | undefined;
  /** Consecutive row groups per part (default 1, unless `blocksize` is given). */
  readonly rowGroupsPerPartition?: number | undefined;
  /**
   * Instead of a fixed count: consecutive row groups of a file join one part while their
   * uncompressed bytes (the footer's row group sizes) stay within this many; a larger row group
   * is a part of its own. Ignored when `rowGroupsPerPartition` is given.
   */
  readonly blocksize?: number | undefined;
}

/** One task's worth of a Parquet file: a run of consecutive row groups. Plain data. */
export interface ParquetPart {
  readonly path: string;
  /** Row groups (indices into the file's footer) this part reads. */
  readonly rowGroups: readonly number[];
  /** First row (in the file) and one past the last. */
  readonly rowStart: number;
  readonly rowEnd: number;
  /** The columns to read and the types to give them. */
  readonly schema: Schema;
}

/** A planned Parquet read. */
export interface ParquetPlan {
  /** The schema of the batches the parts give (after projection). */
  readonly schema: Schema;
  readonly parts: ParquetPart[];
  /** Row groups left out because their statistics prove no row matches the filters. */
  readonly prunedRowGroups: number;
}

/** Reads the footers of the files `paths` names and plans one part per row group (or group). */
export async function planParquet(
  paths: string | readonly string[],
  options: ParquetPlanOptions = {},
): Promise<ParquetPlan> {
  const per = groupingOf(options);
  const files = expandPaths(paths, PARQUET_EXTENSIONS);
  return planFromFooters(files, await Promise.all(files.map((f) => readFooter(f))), per, options);
}

/** planParquet with synchronous footer reads (barn/frame's readParquet plans this way). */
export function planParquetSync(
  paths: string | readonly string[],
  options: ParquetPlanOptions = {},
): ParquetPlan {
  const per = groupingOf(options);
  const files = expandPaths(paths, PARQUET_EXTENSIONS);
  return planFromFooters(files, files.map(readFooterSync), per, options);
}

/** How row groups are grouped into parts: a fixed count, or up to a number of bytes. */
type Grouping = { readonly per: number; readonly bytes: number };

function groupingOf(options: ParquetPlanOptions): Grouping {
  const bytes = options.rowGroupsPerPartition === undefined ? options.blocksize : undefined;
  if (bytes !== undefined && !(typeof bytes === "number" && bytes > 0)) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `blocksize must be a positive number of bytes, got ${String(bytes)}`,
    );
  }
  if (bytes !== undefined) return { per: Number.POSITIVE_INFINITY, bytes };
  const per = options.rowGroupsPerPartition ?? 1;
  if (!Number.isInteger(per) || per < 1) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `rowGroupsPerPartition must be a positive integer, got ${String(per)}`,
    );
  }
  return { per, bytes: Number.POSITIVE_INFINITY };
}

/** Whether row group `g` of a file may hold rows matching every predicate (by its statistics). */
export function rowGroupMayMatch(
  meta: FileMetaData,
  g: number,
  filters: readonly Predicate[],
  schema: Schema,
): boolean {
  return filters.every((p) => {
    const field = schema.find((f) => f.name === p.column);
    return field === undefined || mayMatch(p, field.type, statsOf(meta, g, p.column));
  });
}

function planFromFooters(
  files: readonly string[],
  metas: readonly FileMetaData[],
  { per, bytes }: Grouping,
  options: ParquetPlanOptions,
): ParquetPlan {
  const full = schemaFromMetadata(files[0]!, metas[0]!, metas);
  const schema = projectSchema(full, options.columns);
  const filters = options.filters ?? [];
  checkPredicates(filters, full);
  const parts: ParquetPart[] = [];
  let pruned = 0;
  files.forEach((path, k) => {
    const meta = metas[k]!;
    checkSameColumns(path, schemaFromMetadata(path, meta), full);
    let run: number[] = [];
    let starts: number[] = [];
    let runBytes = 0;
    let rowStart = 0;
    const flush = () => {
      if (run.length === 0) return;
      const last = run[run.length - 1]!;
      parts.push({
        path,
        rowGroups: run,
        rowStart: starts[0]!,
        rowEnd: starts[starts.length - 1]! + Number(meta.row_groups[last]!.num_rows),
        schema,
      });
      run = [];
      starts = [];
      runBytes = 0;
    };
    meta.row_groups.forEach((rg, g) => {
      const keep = rowGroupMayMatch(meta, g, filters, full);
      if (!keep) {
        pruned++;
        flush();
      } else {
        const size = rowGroupBytes(rg);
        if (run.length > 0 && runBytes + size > bytes) flush();
        run.push(g);
        starts.push(rowStart);
        runBytes += size;
        if (run.length === per) flush();
      }
      rowStart += Number(rg.num_rows);
    });
    flush();
  });
  return { schema, parts, prunedRowGroups: pruned };
}

/**
 * A row group's uncompressed bytes: the footer's total, or (a writer that leaves it 0) the sum
 * of its column chunks' sizes.
 */
function rowGroupBytes(rg: FileMetaData["row_groups"][number]): number {
  const total = Number(rg.total_byte_size);
  if (total > 0) return total;
  return rg.columns.reduce((n, c) => n + Number(c.meta_data?.total_uncompressed_size ?? 0), 0);
}

/* ------------------------------------- planning ------------------------------------- */

/** The batch schema of a file: one field per top-level column. */
function schemaFromMetadata(
  path: string,
  meta: FileMetaData,
  metas: readonly FileMetaData[] = [meta],
): Schema {
  const elements = meta.schema;
  const fields: Field[] = [];
  for (let i = 1; i < elements.length; i++) {
    const el = elements[i]!;
    if (el.num_children !== undefined && el.num_children > 0) {
      throw new BarnError(
        IoErrorCodes.UNSUPPORTED,
        `column "${el.name}" of ${path} is nested (a group, list or map), which a batch cannot hold: read the other columns with the columns option`,
      );
    }
    fields.push({
      name: el.name,
      type: dtypeOf(el, isDictionaryEncoded(metas, el.name)),
      nullable: el.repetition_type !== "REQUIRED",
    });
  }
  return fields;
}

/** The DType a Parquet leaf column maps to. */
function dtypeOf(el: SchemaElement, dictionary: boolean): DType {
  const logical = el.logical_type;
  const conv = el.converted_type;
  switch (el.type) {
    case "BOOLEAN":
      return "bool";
    case "INT32":
      if (logical?.type === "DATE" || conv === "DATE") return "date";
      if (
        conv === "UINT_32" ||
        (logical?.type === "INTEGER" && !logical.isSigned && logical.bitWidth === 32)
      )
        return "float64";
      if (conv === "DECIMAL" || logical?.type === "DECIMAL") return "float64";
      return "int32";
    case "INT64":
      if (
        logical?.type === "TIMESTAMP" ||
        conv === "TIMESTAMP_MILLIS" ||
        conv === "TIMESTAMP_MICROS"
      )
        return "timestamp";
      if (conv === "DECIMAL" || logical?.type === "DECIMAL" || conv === "UINT_64") return "float64";
      if (logical?.type === "INTEGER" && logical.bitWidth <= 32)
        return logical.isSigned || logical.bitWidth < 32 ? "int32" : "float64";
      return "int64";
    case "INT96":
      return "timestamp";
    case "FLOAT":
    case "DOUBLE":
      return "float64";
    case "FIXED_LEN_BYTE_ARRAY":
      if (conv === "DECIMAL" || logical?.type === "DECIMAL" || logical?.type === "FLOAT16")
        return "float64";
      break;
    case "BYTE_ARRAY":
      if (conv === "DECIMAL" || logical?.type === "DECIMAL") return "float64";
      return dictionary ? "dict" : "utf8";
    default:
      break;
  }
  throw new BarnError(
    IoErrorCodes.UNSUPPORTED,
    `column "${el.name}" has Parquet type ${String(el.type)}${conv ? ` (${conv})` : ""}, which a batch cannot hold: leave it out with the columns option`,
  );
}

/**
 * True when the files' chunks of the column are dictionary-encoded: every chunk of every file
 * with rows has a dictionary. A chunk whose dictionary overflowed into plain pages counts too
 * (its plain values join the column's dictionary as they are read), and so does a chunk whose
 * dictionary page a writer lists as PLAIN (Polars, pyarrow): the encodings list cannot tell
 * that apart from plain data pages, but a dictionary encoding in it can only be the data pages'.
 */
function isDictionaryEncoded(metas: readonly FileMetaData[], name: string): boolean {
  let groups = 0;
  const all = metas.every((meta) =>
    meta.row_groups.every((rg) => {
      groups++;
      const md = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
      if (md === undefined) return false;
      if (Number(rg.num_rows) === 0) return true;
      return md.encodings.some((e) => e === "RLE_DICTIONARY" || e === "PLAIN_DICTIONARY");
    }),
  );
  return all && groups > 0;
}

function checkSameColumns(path: string, schema: Schema, first: Schema): void {
  const a = schema.map((f) => f.name).join(",");
  const b = first.map((f) => f.name).join(",");
  if (a !== b) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `${path} has columns ${a} but the first file has ${b}: read files with the same columns together`,
    );
  }
}

function statsOf(meta: FileMetaData, g: number, column: string): ColumnStats | undefined {
  const rg = meta.row_groups[g]!;
  const md = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === column)?.meta_data;
  const s = md?.statistics;
  if (md === undefined || s === undefined) return undefined;
  // The deprecated min/max of byte arrays were compared as signed bytes: only trust the new ones.
  const strings = md.type === "BYTE_ARRAY";
  const min = s.min_value ?? (strings ? undefined : s.min);
  const max = s.max_value ?? (strings ? undefined : s.max);
  return {
    min: plainStat(min),
    max: plainStat(max),
    maxInexact: strings && s.is_max_value_exact !== true,
    nullCount: s.null_count,
    numRows: rg.num_rows,
  };
}

function plainStat(v: unknown): number | bigint | string | boolean | undefined {
  if (v instanceof Date) return v.getTime();
  if (
    typeof v === "number" ||
    typeof v === "bigint" ||
    typeof v === "string" ||
    typeof v === "boolean"
  )
    return v;
  return undefined;
}
