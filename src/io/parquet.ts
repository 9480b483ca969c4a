/**
 * Parquet: planning a read from footers alone (schema, one part per row group or group of row
 * groups, pruning by min/max statistics), reading one part into a Batch inside a task
 * (hyparquet with hyparquet-compressors), and writing a Batch (hyparquet-writer, snappy).
 */

import type { FileMetaData, ParquetParsers, SchemaElement } from "hyparquet";
import { parquetMetadataAsync, parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { parquetWriteFile } from "hyparquet-writer";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, Column, DType, Field, Schema } from "../kernels/batch.js";
import { IoErrorCodes } from "./codes.js";
import { columnCells, dictColumn, utf8Column, validFrom } from "./columns.js";
import { fileAsyncBuffer } from "./files.js";
import { type ColumnStats, checkPredicates, mayMatch, type Predicate } from "./filters.js";
import { expandPaths } from "./glob.js";
import { projectSchema } from "./schema.js";

/** hyparquet-writer's schema element (it bundles its own hyparquet types). */
type WriteElement = NonNullable<Parameters<typeof parquetWriteFile>[0]["schema"]>[number];

/** File name endings a directory is searched for. */
export const PARQUET_EXTENSIONS = [".parquet", ".pq"] as const;

/** Options of `planParquet`. */
export interface ParquetPlanOptions {
  /** Columns to read (projection), in output order; all when absent. */
  readonly columns?: readonly string[] | undefined;
  /** Predicates (ANDed) used to skip row groups whose statistics prove no row matches. */
  readonly filters?: readonly Predicate[] | undefined;
  /** Consecutive row groups per part (default 1). */
  readonly rowGroupsPerPartition?: number | undefined;
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

/** Parsers that keep hyparquet's timestamps and dates as numbers in a batch's units. */
const parsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days,
};

/** Reads the footers of the files `paths` names and plans one part per row group (or group). */
export async function planParquet(
  paths: string | readonly string[],
  options: ParquetPlanOptions = {},
): Promise<ParquetPlan> {
  const per = options.rowGroupsPerPartition ?? 1;
  if (!Number.isInteger(per) || per < 1) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `rowGroupsPerPartition must be a positive integer, got ${String(per)}`,
    );
  }
  const files = expandPaths(paths, PARQUET_EXTENSIONS);
  const metas = await Promise.all(files.map((f) => readFooter(f)));
  const full = schemaFromMetadata(files[0]!, metas[0]!);
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
    };
    meta.row_groups.forEach((rg, g) => {
      const keep = filters.every((p) => {
        const field = full.find((f) => f.name === p.column)!;
        return mayMatch(p, field.type, statsOf(meta, g, p.column));
      });
      if (!keep) {
        pruned++;
        flush();
      } else {
        run.push(g);
        starts.push(rowStart);
        if (run.length === per) flush();
      }
      rowStart += Number(rg.num_rows);
    });
    flush();
  });
  return { schema, parts, prunedRowGroups: pruned };
}

/** Reads one part into a Batch with the part's schema (or the subset `columns` of it). */
export async function readParquetPart(
  part: ParquetPart,
  columns?: readonly string[],
): Promise<Batch> {
  const schema = projectSchema(part.schema, columns);
  const file = await fileAsyncBuffer(part.path);
  const { metadata, scales } = rawTemporal(await parquetMetadataAsync(file, { parsers }));
  const length = part.rowEnd - part.rowStart;
  const chunks = new Map<string, { data: ArrayLike<unknown>; rowStart: number }[]>();
  for (const f of schema) chunks.set(f.name, []);
  await parquetRead({
    file,
    metadata,
    columns: schema.map((f) => f.name),
    rowStart: part.rowStart,
    rowEnd: part.rowEnd,
    compressors,
    parsers,
    onChunk: (c) => {
      chunks
        .get(c.columnName)
        ?.push({ data: c.columnData as ArrayLike<unknown>, rowStart: c.rowStart });
    },
  });
  const cols = schema.map((f) =>
    buildColumn(f, chunks.get(f.name)!, part.rowStart, length, scales.get(f.name) ?? 1),
  );
  return { names: schema.map((f) => f.name), columns: cols, length };
}

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

/* ------------------------------------- planning ------------------------------------- */

async function readFooter(path: string): Promise<FileMetaData> {
  try {
    return await parquetMetadataAsync(await fileAsyncBuffer(path), { parsers });
  } catch (err) {
    throw new BarnError(
      IoErrorCodes.UNSUPPORTED,
      `cannot read the Parquet footer of ${path}: ${(err as Error).message}; check that it is a Parquet file`,
      { cause: err },
    );
  }
}

/** The batch schema of a file: one field per top-level column. */
export function schemaFromMetadata(path: string, meta: FileMetaData): Schema {
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
      type: dtypeOf(el, isDictionaryEncoded(meta, el.name)),
      nullable: el.repetition_type !== "REQUIRED",
    });
  }
  return fields;
}

/** The DType a Parquet leaf column maps to. */
export function dtypeOf(el: SchemaElement, dictionary: boolean): DType {
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
      if (conv === "DECIMAL") return "float64";
      return "int32";
    case "INT64":
      if (
        logical?.type === "TIMESTAMP" ||
        conv === "TIMESTAMP_MILLIS" ||
        conv === "TIMESTAMP_MICROS"
      )
        return "timestamp";
      if (conv === "DECIMAL" || conv === "UINT_64") return "float64";
      if (logical?.type === "INTEGER" && logical.bitWidth <= 32)
        return logical.isSigned || logical.bitWidth < 32 ? "int32" : "float64";
      return "int64";
    case "INT96":
      return "timestamp";
    case "FLOAT":
    case "DOUBLE":
      return "float64";
    case "FIXED_LEN_BYTE_ARRAY":
      if (conv === "DECIMAL" || logical?.type === "FLOAT16") return "float64";
      break;
    case "BYTE_ARRAY":
      if (conv === "DECIMAL") return "float64";
      return dictionary ? "dict" : "utf8";
    default:
      break;
  }
  throw new BarnError(
    IoErrorCodes.UNSUPPORTED,
    `column "${el.name}" has Parquet type ${String(el.type)}${conv ? ` (${conv})` : ""}, which a batch cannot hold: leave it out with the columns option`,
  );
}

/** True when every chunk of the column in the file is dictionary-encoded (no plain fallback). */
function isDictionaryEncoded(meta: FileMetaData, name: string): boolean {
  if (meta.row_groups.length === 0) return false;
  return meta.row_groups.every((rg) => {
    const md = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === name)?.meta_data;
    if (md === undefined || md.dictionary_page_offset === undefined) return false;
    const stats = md.encoding_stats;
    if (stats !== undefined) {
      return stats.every(
        (s) =>
          (s.page_type !== "DATA_PAGE" && s.page_type !== "DATA_PAGE_V2") ||
          s.encoding === "RLE_DICTIONARY" ||
          s.encoding === "PLAIN_DICTIONARY",
      );
    }
    return !md.encodings.includes("PLAIN") || md.encodings.includes("PLAIN_DICTIONARY");
  });
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

/* -------------------------------------- reading -------------------------------------- */

type Chunk = { data: ArrayLike<unknown>; rowStart: number };

/** Values of one column over [rowStart, rowStart + length), from chunks that may overhang it. */
function gather(chunks: readonly Chunk[], rowStart: number, length: number): ArrayLike<unknown>[] {
  const sorted = [...chunks].sort((a, b) => a.rowStart - b.rowStart);
  const pieces: ArrayLike<unknown>[] = [];
  for (const c of sorted) {
    const lo = Math.max(0, rowStart - c.rowStart);
    const hi = Math.min(c.data.length, rowStart + length - c.rowStart);
    if (hi <= lo) continue;
    const d = c.data as unknown as {
      subarray?: (a: number, b: number) => ArrayLike<unknown>;
      slice: (a: number, b: number) => ArrayLike<unknown>;
    };
    pieces.push(
      lo === 0 && hi === c.data.length ? c.data : d.subarray ? d.subarray(lo, hi) : d.slice(lo, hi),
    );
  }
  return pieces;
}

/**
 * The footer with INT64 timestamp and INT32 date columns stripped of their annotations, so
 * hyparquet hands back their raw typed arrays instead of an array of converted values, and the
 * divisor that turns each timestamp column's raw unit into milliseconds.
 */
function rawTemporal(meta: FileMetaData): { metadata: FileMetaData; scales: Map<string, number> } {
  const scales = new Map<string, number>();
  const schema = meta.schema.map((el) => {
    const unit = timestampUnit(el);
    const isDate =
      el.type === "INT32" && (el.converted_type === "DATE" || el.logical_type?.type === "DATE");
    if (unit === undefined && !isDate) return el;
    if (unit !== undefined)
      scales.set(el.name, unit === "MILLIS" ? 1 : unit === "MICROS" ? 1e3 : 1e6);
    const { converted_type: _c, logical_type: _l, ...raw } = el;
    return raw;
  });
  return { metadata: { ...meta, schema }, scales };
}

function timestampUnit(el: SchemaElement): "MILLIS" | "MICROS" | "NANOS" | undefined {
  if (el.type !== "INT64") return undefined;
  if (el.logical_type?.type === "TIMESTAMP") return el.logical_type.unit;
  if (el.converted_type === "TIMESTAMP_MILLIS") return "MILLIS";
  if (el.converted_type === "TIMESTAMP_MICROS") return "MICROS";
  return undefined;
}

/** Raw int64 timestamps to float64 milliseconds, from the two 32-bit halves (no BigInt per value). */
function timestampsFromInt64(p: BigInt64Array, out: Float64Array, k: number, scale: number): void {
  const lo = new Uint32Array(p.buffer, p.byteOffset, p.length * 2);
  const hi = new Int32Array(p.buffer, p.byteOffset, p.length * 2);
  for (let i = 0; i < p.length; i++)
    out[k + i] = (hi[2 * i + 1]! * 4294967296 + lo[2 * i]!) / scale;
}

function buildColumn(
  field: Field,
  chunks: readonly Chunk[],
  rowStart: number,
  length: number,
  scale: number,
): Column {
  const pieces = gather(chunks, rowStart, length);
  const type = field.type;
  if (type === "utf8" || type === "dict") {
    const strings: (string | null)[] = new Array(length);
    let k = 0;
    for (const p of pieces) for (let i = 0; i < p.length; i++) strings[k++] = toStr(p[i]);
    return type === "dict" ? dictColumn(strings) : utf8Column(strings);
  }
  const data =
    type === "int64"
      ? new BigInt64Array(length)
      : type === "float64" || type === "timestamp"
        ? new Float64Array(length)
        : type === "bool"
          ? new Uint8Array(length)
          : new Int32Array(length);
  let hasNull = false;
  let k = 0;
  for (const p of pieces) {
    if (ArrayBuffer.isView(p) && p.constructor === data.constructor) {
      (data as Int32Array).set(p as Int32Array, k);
      k += p.length;
      continue;
    }
    if (type === "timestamp" && p instanceof BigInt64Array) {
      timestampsFromInt64(p, data as Float64Array, k, scale);
      k += p.length;
      continue;
    }
    if (type === "timestamp" && scale !== 1) {
      hasNull = fillScaled(p, data as Float64Array, k, scale) || hasNull;
      k += p.length;
      continue;
    }
    if (type === "int64") hasNull = fillBigInts(p, data as BigInt64Array, k) || hasNull;
    else if (type === "bool") hasNull = fillBools(p, data as Uint8Array, k) || hasNull;
    else hasNull = fillNumbers(p, data as Float64Array | Int32Array, k) || hasNull;
    k += p.length;
  }
  const valid = hasNull ? validFrom(length, (i) => isNullAt(pieces, i)) : undefined;
  return { type, length, data, valid };
}

/* One monomorphic loop per target kind; each returns whether it met a null. */

function fillNumbers(p: ArrayLike<unknown>, data: Float64Array | Int32Array, k: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (typeof v === "number") data[k + i] = v;
    else if (v === null || v === undefined) hasNull = true;
    else data[k + i] = v instanceof Date ? v.getTime() : Number(v);
  }
  return hasNull;
}

function fillScaled(p: ArrayLike<unknown>, data: Float64Array, k: number, scale: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined) hasNull = true;
    else data[k + i] = Number(v) / scale;
  }
  return hasNull;
}

function fillBigInts(p: ArrayLike<unknown>, data: BigInt64Array, k: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined) hasNull = true;
    else data[k + i] = BigInt(v as bigint);
  }
  return hasNull;
}

function fillBools(p: ArrayLike<unknown>, data: Uint8Array, k: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined) hasNull = true;
    else data[k + i] = v === true ? 1 : 0;
  }
  return hasNull;
}

function isNullAt(pieces: readonly ArrayLike<unknown>[], i: number): boolean {
  for (const p of pieces) {
    if (i < p.length) return p[i] === null || p[i] === undefined;
    i -= p.length;
  }
  return true;
}

function toStr(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return String(v);
}

/* -------------------------------------- writing -------------------------------------- */

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
