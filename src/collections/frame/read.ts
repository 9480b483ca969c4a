/**
 * `readParquet`, `readCsv`, `readJson`: frames over files. Planning runs here, on the client and
 * synchronously (Parquet footers, a sample of the first text file, file sizes), so the frame's
 * schema is known and every verb is checked when it is called; each planned part becomes one
 * partition, read by a task (readers.ts). The optimiser pushes the columns a query needs and its
 * simple filters into those tasks.
 */
import { OptionError } from "../../errors.js";
import { type CsvOptions, planCsvSync } from "../../io/csv.js";
import { type JsonOptions, planJsonSync } from "../../io/json.js";
import { checkOptionKeys, checkSchemaTypes } from "../../io/options.js";
import { planParquetSync } from "../../io/parquet.js";
import { projectSchema } from "../../io/schema.js";
import { sourceFrame } from "./create.js";
import type { DataFrame } from "./dataframe.js";
import type { CsvSourcePart, JsonSourcePart } from "./readers.js";
import type { ReadRow, Row } from "./types.js";
import "./readers.js";

/** Options of readParquet. */
export interface ReadParquetOptions {
  /** Only these columns (in this order); the optimiser narrows further to what a query uses. */
  readonly columns?: readonly string[] | undefined;
  /**
   * Consecutive row groups per partition. By default a file's consecutive row groups share a
   * partition up to `blocksize` uncompressed bytes.
   */
  readonly rowGroupsPerPartition?: number | undefined;
  /**
   * Target uncompressed bytes per partition (default 64 MiB) when `rowGroupsPerPartition` is not
   * given: files written with small row groups (DuckDB's 122,880 rows) become fewer, larger
   * partitions; a row group larger than this is a partition of its own.
   */
  readonly blocksize?: number | undefined;
}

/** Options of readCsv. */
export interface ReadCsvOptions {
  /** Target bytes per partition (default 64 MiB): a large file feeds many tasks. */
  readonly blocksize?: number | undefined;
  /** Types that override inference, by column name: `{ id: "int64", code: "utf8" }`. */
  readonly schema?: CsvOptions["schema"];
  /** One-character field delimiter (default ","). */
  readonly delimiter?: string | undefined;
  /** The first line of each file names the columns (default true). */
  readonly header?: boolean | undefined;
  /** Texts read as null (default [""]). */
  readonly nullValues?: readonly string[] | undefined;
  /**
   * Whether a quoted field spelling a null is null too (default false: `""` is the empty string,
   * an unquoted empty field is null; true gives the old behaviour, where both are null).
   */
  readonly quotedStringsCanBeNull?: boolean | undefined;
  /** "error" (default): a malformed row fails with BARN_CSV_PARSE; "skip": dropped (a BARN_BAD_LINES warning per part; count with countBadLines). */
  readonly onBadLines?: "error" | "skip" | undefined;
  /** Only these columns (in this order). */
  readonly columns?: readonly string[] | undefined;
  /** Bytes of the first file sampled to infer types (default 1 MiB). */
  readonly sampleBytes?: number | undefined;
}

/** Options of readJson (JSON lines). */
export interface ReadJsonOptions {
  /** Target bytes per partition (default 64 MiB). */
  readonly blocksize?: number | undefined;
  /** Types that override inference, by column name. */
  readonly schema?: JsonOptions["schema"];
  /** "error" (default): a bad line fails with BARN_JSON_PARSE; "skip": dropped (a BARN_BAD_LINES warning per part; count with countBadLines). */
  readonly onBadLines?: "error" | "skip" | undefined;
  /** Only these columns (in this order). */
  readonly columns?: readonly string[] | undefined;
  /** Bytes of the first file sampled to infer the columns and types (default 1 MiB). */
  readonly sampleBytes?: number | undefined;
}

const OPTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  readParquet: ["columns", "rowGroupsPerPartition", "blocksize"],
  readCsv: [
    "blocksize",
    "schema",
    "delimiter",
    "header",
    "nullValues",
    "quotedStringsCanBeNull",
    "onBadLines",
    "columns",
    "sampleBytes",
  ],
  readJson: ["blocksize", "schema", "onBadLines", "columns", "sampleBytes"],
};

function checkOptions(fn: string, options: unknown): void {
  if (options === null || typeof options !== "object") {
    throw new OptionError(
      `${fn}(paths, options): options must be an object, got ${String(options)}; pass { ... } or leave it out`,
    );
  }
  checkOptionKeys(fn, options, OPTION_KEYS[fn]!);
  checkSchemaTypes(fn, (options as { schema?: unknown }).schema);
}

function checkBadLines(fn: string, v: unknown): void {
  if (v !== undefined && v !== "error" && v !== "skip") {
    throw new OptionError(
      `${fn}: onBadLines must be "error" (fail on a malformed row) or "skip" (drop and count it), got ${JSON.stringify(v)}`,
    );
  }
}

/** readParquet's default target bytes per partition. */
const PARQUET_BLOCKSIZE = 64 * 2 ** 20;

/**
 * A frame over Parquet files (a path, a directory, a glob, or an array of them): a file's
 * consecutive row groups share a partition up to `blocksize` uncompressed bytes (or
 * `rowGroupsPerPartition` of them share one). Footers are read now; row groups are
 * read by tasks, which skip those whose statistics rule out a pushed-down filter.
 * The frame is typed by `T` when given, else by a literal `columns` list (values `unknown`), else
 * untyped.
 */
export function readParquet<
  T extends Row = Row,
  const O extends ReadParquetOptions = ReadParquetOptions,
>(paths: string | readonly string[], options?: O): DataFrame<ReadRow<T, O>>;
export function readParquet(
  paths: string | readonly string[],
  options: ReadParquetOptions = {},
): DataFrame {
  checkOptions("readParquet", options);
  const plan = planParquetSync(paths, {
    rowGroupsPerPartition: options.rowGroupsPerPartition,
    blocksize: options.blocksize ?? PARQUET_BLOCKSIZE,
  });
  const schema = projectSchema(plan.schema, options.columns);
  const rows = plan.parts.reduce((n, p) => n + (p.rowEnd - p.rowStart), 0);
  const frame = sourceFrame({ reader: "parquet", parts: plan.parts, schema: plan.schema, rows });
  return options.columns === undefined ? frame : frame.select(...schema.map((f) => f.name));
}

/**
 * A frame over CSV files: the schema is inferred from a sample of the first file (override
 * with `schema`), and each file is split into byte ranges of about `blocksize` at line
 * boundaries (gzip files are one partition each). The frame is typed by `T` when given, else
 * from the `schema` and `columns` options (`ReadRow`), else untyped.
 */
export function readCsv<T extends Row = Row, const O extends ReadCsvOptions = ReadCsvOptions>(
  paths: string | readonly string[],
  options?: O,
): DataFrame<ReadRow<T, O>>;
export function readCsv(
  paths: string | readonly string[],
  options: ReadCsvOptions = {},
): DataFrame {
  checkOptions("readCsv", options);
  checkBadLines("readCsv", options.onBadLines);
  // With `columns`, the plan's schema is those columns, and each file needs only them.
  const plan = planCsvSync(paths, options);
  const read = {
    delimiter: options.delimiter,
    nullValues: options.nullValues,
    quotedStringsCanBeNull: options.quotedStringsCanBeNull,
    onBadLines: options.onBadLines,
  };
  const parts: CsvSourcePart[] = plan.parts.map((part) => ({
    part,
    schema: plan.schema,
    options: read,
  }));
  return sourceFrame({ reader: "csv", parts, schema: plan.schema });
}

/**
 * A frame over JSON lines files (one object per line): columns are the keys seen in a sample
 * of the first file, types inferred (override with `schema`); files are split into byte ranges
 * at line boundaries. The frame is typed by `T` when given, else from the `schema` and
 * `columns` options (`ReadRow`), else untyped.
 */
export function readJson<T extends Row = Row, const O extends ReadJsonOptions = ReadJsonOptions>(
  paths: string | readonly string[],
  options?: O,
): DataFrame<ReadRow<T, O>>;
export function readJson(
  paths: string | readonly string[],
  options: ReadJsonOptions = {},
): DataFrame {
  checkOptions("readJson", options);
  checkBadLines("readJson", options.onBadLines);
  const plan = planJsonSync(paths, { ...options, columns: undefined });
  const schema = projectSchema(plan.schema, options.columns);
  const parts: JsonSourcePart[] = plan.parts.map((part) => ({
    part,
    schema: plan.schema,
    options: { onBadLines: options.onBadLines },
  }));
  const frame = sourceFrame({ reader: "json", parts, schema: plan.schema });
  return options.columns === undefined ? frame : frame.select(...schema.map((f) => f.name));
}
