/**
 * CSV: planning a read (schema inferred from a sample of the first file, large files split into
 * byte ranges at line boundaries so one file feeds many tasks, gzip files one part each) and
 * reading one part into a Batch inside a task. The split follows dask: a part owns the records
 * that START in its byte range. A part without quote characters is read in one pass that
 * locates the needed columns' fields and converts them from the bytes (csv-scan.ts
 * `scanUnquoted`, csv-fast.ts); otherwise a quote-aware scan finds records and field counts and
 * udsv splits the fields. Either way a malformed row is named by file, line and column.
 *
 * Limit (as in dask): a quoted field holding a newline is read correctly unless a part boundary
 * falls inside it; for such files use a blocksize larger than the file (one part per file).
 */

import { initParser, type Schema as UdsvSchema } from "udsv";
import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, Column, DType, Field, Schema } from "../kernels/batch.js";
import { IoErrorCodes } from "./codes.js";
import { columnBuilder } from "./csv-fast.js";
import {
  countNewlines,
  estimateLines,
  fieldIsQuoted,
  hasQuote,
  type ScannedRecords,
  scanRecords,
  scanUnquoted,
} from "./csv-scan.js";
import { expandPaths } from "./glob.js";
import { checkSchemaTypes } from "./options.js";
import { projectSchema, unknownColumnError } from "./schema.js";
import { columnFromText, takeRows } from "./text-columns.js";
import {
  lineNumberer,
  type PartBytes,
  readTextSampleSync,
  splitTextFilesSync,
  type TextPart,
  withPartBytes,
} from "./text-parts.js";
import { inferTextType } from "./text-values.js";

/** File name endings a directory is searched for. */
export const CSV_EXTENSIONS = [".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz"] as const;

/** Options of `planCsv` and `readCsvPart`. */
export interface CsvOptions {
  /** Target bytes per part (default 64 MiB); gzip files are one part each. */
  readonly blocksize?: number | undefined;
  /** The first line of each file names the columns (default true); else `column0`, `column1`, ... */
  readonly header?: boolean | undefined;
  /** One-character field delimiter (default ","). */
  readonly delimiter?: string | undefined;
  /** Types that override inference, by column name. */
  readonly schema?: Readonly<Record<string, DType>> | undefined;
  /** Texts read as null (default [""]: an empty field is null). */
  readonly nullValues?: readonly string[] | undefined;
  /**
   * Whether a quoted field that spells a null (`""`, or a quoted `nullValues` entry) in a string
   * column is null too. Default false: a quoted `""` is the empty string and only an unquoted
   * empty field is null (RFC 4180; Arrow's quoted_strings_can_be_null=false; DuckDB's
   * allow_quoted_nulls=false). In number, date and bool columns a quoted null spelling is null.
   */
  readonly quotedStringsCanBeNull?: boolean | undefined;
  /** A malformed row throws BARN_CSV_PARSE ("error", the default) or is dropped and counted ("skip"). */
  readonly onBadLines?: "error" | "skip" | undefined;
  /** Columns to keep (projection), in output order. */
  readonly columns?: readonly string[] | undefined;
  /** Bytes of the first file sampled for inference (default 1 MiB). */
  readonly sampleBytes?: number | undefined;
}

/** One task's worth of CSV: a byte range of one file. Plain data. */
export interface CsvPart extends TextPart {
  /** Whether the part's first record is the file's header (start === 0 with a header). */
  readonly skipHeader: boolean;
  /** Every column of the file, in file order (fields are matched to the schema by these). */
  readonly fileColumns: readonly string[];
}

/** A planned CSV read. */
export interface CsvPlan {
  /** The schema of the batches the parts give (after projection and overrides). */
  readonly schema: Schema;
  readonly parts: CsvPart[];
}

/** What reading one part gives: the rows, and how many malformed rows were skipped. */
export interface CsvPartResult {
  readonly batch: Batch;
  readonly badLines: number;
}

const MiB = 1024 * 1024;

/** Plans a CSV read: expands paths, infers the schema from a sample, splits files into parts. */
export async function planCsv(
  paths: string | readonly string[],
  options: CsvOptions = {},
): Promise<CsvPlan> {
  return planCsvSync(paths, options);
}

/** planCsv with synchronous reads (a sample of the first file, the files' sizes). */
export function planCsvSync(paths: string | readonly string[], options: CsvOptions = {}): CsvPlan {
  const blocksize = options.blocksize ?? 64 * MiB;
  if (!Number.isInteger(blocksize) || blocksize < 1) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `blocksize must be a positive integer of bytes, got ${String(blocksize)}`,
    );
  }
  const delimiter = delimiterByte(options);
  checkSchemaTypes("readCsv", options.schema);
  const files = expandPaths(paths, CSV_EXTENSIONS);
  const header = options.header ?? true;
  // Each file's header (its first record); a file with none (0 bytes, or only empty lines) has
  // no rows and no columns, and is left out.
  const headers = files.map((f) => fileHeader(f, delimiter, options));
  const firstAt = headers.findIndex((h) => h !== undefined);
  if (firstAt < 0) return { schema: schemaOfEmpty(files, options), parts: [] };
  const first = files[firstAt]!;
  const sample = readTextSampleSync(first, options.sampleBytes ?? MiB);
  const full = inferSchema(first, sample, delimiter, options);
  const schema = projectSchema(full, options.columns);
  const parts: CsvPart[] = [];
  const columnsOf = new Map<string, readonly string[]>();
  files.forEach((path, k) => {
    const h = headers[k];
    if (h === undefined) return;
    columnsOf.set(path, header ? matchHeader(path, h, full, options) : full.map((f) => f.name));
  });
  for (const p of splitTextFilesSync(files, blocksize)) {
    const fileColumns = columnsOf.get(p.path);
    if (fileColumns === undefined) continue;
    parts.push({ ...p, skipHeader: header && p.start === 0, fileColumns });
  }
  return { schema, parts };
}

/** The first record's fields of a file, or undefined when it has none. */
function fileHeader(path: string, delimiter: number, options: CsvOptions): string[] | undefined {
  for (let size = 64 * 1024; ; size *= 4) {
    const sample = readTextSampleSync(path, size);
    const rec = scanRecords(sample.bytes, 0, sample.bytes.length, delimiter);
    // The first record is whole when a later one starts, or when the sample is the whole file.
    if (rec.count === 0 && sample.complete) return undefined;
    if (rec.count > 1 || (rec.count === 1 && sample.complete)) {
      const ncols = rec.fields[0]!;
      const cols = splitFields(sample.bytes, rec, [0], 0, rec.ends[0]!, options, ncols);
      return cols.map((c) => c[0] ?? "");
    }
  }
}

/**
 * A file's columns in its own order, checked against the first file's: the same names in any
 * order are matched by name (as DuckDB's union_by_name and Arrow do); a missing or extra column
 * is an error naming the file and both headers, unless `columns` names only columns it has.
 */
function matchHeader(
  path: string,
  names: readonly string[],
  full: Schema,
  options: CsvOptions,
): readonly string[] {
  const want = options.columns ?? full.map((f) => f.name);
  const missing = want.filter((n) => !names.includes(n));
  const extra =
    options.columns === undefined ? names.filter((n) => !full.some((f) => f.name === n)) : [];
  if (missing.length > 0 || extra.length > 0) {
    const what = [
      missing.length > 0 ? `lacks ${missing.map((n) => JSON.stringify(n)).join(", ")}` : "",
      extra.length > 0 ? `has ${extra.map((n) => JSON.stringify(n)).join(", ")} besides` : "",
    ]
      .filter((x) => x !== "")
      .join(" and ");
    throw new BarnError(
      ErrorCodes.FRAME_SCHEMA_MISMATCH,
      `${path}: its header (${names.join(",")}) ${what} the columns of the first file (${full.map((f) => f.name).join(",")}). ` +
        "Fix: read files with the same columns together (their order may differ), or pass columns: [...] naming the columns every file has",
    );
  }
  return names;
}

/** The schema of files that hold nothing: the `schema` option's columns, else none. */
function schemaOfEmpty(files: readonly string[], options: CsvOptions): Schema {
  const given = Object.entries(options.schema ?? {}).map(
    ([name, type]): Field => ({ name, type, nullable: true }),
  );
  const cols = options.columns;
  if (cols === undefined) return given;
  return cols.map((name) => {
    const f = given.find((g) => g.name === name);
    if (f === undefined) {
      throw new BarnError(
        ErrorCodes.INVALID_OPTION,
        `columns: ${JSON.stringify(name)} is not a column: ${files.join(", ")} hold no header. Fix: give its type in schema: { ${JSON.stringify(name)}: "utf8" }`,
      );
    }
    return f;
  });
}

/** Reads the records one part owns into a Batch with `schema` (a projection of the plan's). */
export async function readCsvPart(
  part: CsvPart,
  schema: Schema,
  options: CsvOptions = {},
): Promise<CsvPartResult> {
  return withPartBytes(part, (bytes) => readCsvBytes(part, schema, options, bytes));
}

async function readCsvBytes(
  part: CsvPart,
  schema: Schema,
  options: CsvOptions,
  { bytes, base, begin, finish }: PartBytes,
): Promise<CsvPartResult> {
  const delimiter = delimiterByte(options);
  const skip = options.onBadLines === "skip";
  const nulls = new Set(options.nullValues ?? [""]);
  const ncols = part.fileColumns.length;
  const lineOf = lineNumberer(part, bytes, base, begin);
  const wanted = schema.map((f) => {
    const j = part.fileColumns.indexOf(f.name);
    if (j < 0)
      throw unknownColumnError(
        f.name,
        part.fileColumns.map((name) => ({ name, type: "utf8", nullable: true })),
        `the schema read from ${part.path}`,
      );
    return j;
  });
  // Values that do not parse as their column's type.
  let bad = new Uint8Array(0);
  let dropped = 0;
  let badValue: { row: number; column: string; type: DType; text: string } | undefined;
  const onBadOf = (f: Field) => (row: number, text: string) => {
    if (skip) {
      if (bad[row] === 0) dropped++;
      bad[row] = 1;
      return true;
    }
    badValue ??= { row, column: f.name, type: f.type, text };
    return false;
  };
  let columns: Column[];
  let length: number;
  let badLines = 0;
  /** The part's line (0-based) of kept row `row`. */
  let lineOfRow: (row: number) => number;
  if (!hasQuote(bytes, begin, finish)) {
    // Without quotes, one pass locates the needed columns' fields, converted from the bytes a
    // chunk of rows at a time.
    const nullBytes = [...nulls].map((s) => new TextEncoder().encode(s));
    const capacity = Math.ceil(estimateLines(bytes, begin, finish) * 1.1) + 1024;
    const builders = schema.map((f) => columnBuilder(f.type, capacity, nullBytes, onBadOf(f)));
    let badAt = -1;
    bad = new Uint8Array(capacity);
    const found = scanUnquoted(
      bytes,
      begin,
      finish,
      delimiter,
      ncols,
      wanted,
      part.skipHeader,
      !skip,
      (chunk, rowBase) => {
        if (bad.length < rowBase + chunk.rows) {
          const more = new Uint8Array(Math.ceil((rowBase + chunk.rows) * 1.5));
          more.set(bad);
          bad = more;
        }
        for (let t = 0; t < builders.length; t++) {
          if (!builders[t]!.add(bytes, chunk, t, rowBase)) {
            badAt = chunk.recordStarts[badValue!.row - rowBase]!;
            return false;
          }
        }
        return true;
      },
    );
    if (found.firstBad !== undefined) {
      const line = countNewlines(bytes.subarray(begin, found.firstBad.start));
      throw fieldCountError(part, await lineOf(line), found.firstBad.fields, ncols);
    }
    badLines = found.badRecords;
    length = found.rows;
    columns = builders.map((b) => b.finish(bytes, length));
    lineOfRow = () => countNewlines(bytes.subarray(begin, badAt));
  } else {
    const rec = scanRecords(bytes, begin, finish, delimiter);
    const first = part.skipHeader ? 1 : 0;
    // Records with the wrong number of fields.
    const kept = new Int32Array(Math.max(0, rec.count - first));
    let nkept = 0;
    for (let r = first; r < rec.count; r++) {
      if (rec.fields[r] === ncols) kept[nkept++] = r;
      else if (skip) badLines++;
      else throw fieldCountError(part, await lineOf(rec.lines[r]!), rec.fields[r]!, ncols);
    }
    const good = kept.subarray(0, nkept);
    // udsv splits the fields (quoted ones may hold delimiters, quotes and newlines).
    const strings = splitFields(bytes, rec, good, first, finish, options, ncols);
    length = good.length;
    bad = new Uint8Array(length);
    columns = schema.map((f, t) => {
      const texts = strings[wanted[t]!] ?? [];
      const quoted =
        f.type === "utf8" || f.type === "dict"
          ? quotedNullRows(bytes, rec, good, texts, wanted[t]!, nulls, delimiter, options)
          : undefined;
      return columnFromText(f.type, texts, nulls, onBadOf(f), quoted);
    });
    lineOfRow = (row) => rec.lines[good[row]!]!;
  }
  if (badValue !== undefined) {
    throw valueError(
      part,
      await lineOf(lineOfRow(badValue.row)),
      badValue.column,
      badValue.type,
      badValue.text,
    );
  }
  let batchColumns = columns;
  if (dropped > 0) {
    const keep = new Int32Array(length - dropped);
    let k = 0;
    for (let i = 0; i < length; i++) if (bad[i] === 0) keep[k++] = i;
    batchColumns = columns.map((c) => takeRows(c, keep));
    length = keep.length;
    badLines += dropped;
  }
  return { batch: { names: schema.map((f) => f.name), columns: batchColumns, length }, badLines };
}

/**
 * The rows (indices into `rows`) whose field `j` spells a null but is quoted, so is a value (in
 * a string column: a number, date or bool column has no empty value, so there it stays null);
 * undefined when there are none or quoted nulls are wanted (quotedStringsCanBeNull).
 */
function quotedNullRows(
  bytes: Uint8Array,
  rec: ScannedRecords,
  rows: ArrayLike<number>,
  texts: readonly string[],
  j: number,
  nulls: ReadonlySet<string>,
  delimiter: number,
  options: CsvOptions,
): Set<number> | undefined {
  if (!rec.quoted || options.quotedStringsCanBeNull === true) return undefined;
  let out: Set<number> | undefined;
  for (let k = 0; k < texts.length; k++) {
    if (!nulls.has(texts[k]!)) continue;
    const r = rows[k]!;
    if (fieldIsQuoted(bytes, rec.starts[r]!, rec.ends[r]!, j, delimiter))
      (out ??= new Set()).add(k);
  }
  return out;
}

/* ------------------------------------- planning ------------------------------------- */

function delimiterByte(options: CsvOptions): number {
  const d = options.delimiter ?? ",";
  if (d.length !== 1 || d.charCodeAt(0) > 127 || d === '"' || d === "\n" || d === "\r") {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `delimiter must be one ASCII character other than a quote or newline, got ${JSON.stringify(d)}`,
    );
  }
  return d.charCodeAt(0);
}

function inferSchema(
  path: string,
  sample: { bytes: Uint8Array; complete: boolean },
  delimiter: number,
  options: CsvOptions,
): Schema {
  const rec = scanRecords(sample.bytes, 0, sample.bytes.length, delimiter);
  // A sample cut mid-record ends with a partial record: leave it out.
  const usable = sample.complete ? rec.count : Math.max(0, rec.count - 1);
  if (rec.count === 0) {
    throw new BarnError(
      IoErrorCodes.CSV_PARSE,
      `${path} is empty: a CSV file needs at least a header line or one row`,
    );
  }
  const header = options.header ?? true;
  const ncols = rec.fields[0]!;
  const firstFields = splitFields(sample.bytes, rec, [0], 0, rec.ends[0]!, options, ncols);
  const names = header
    ? firstFields.map((c, i) => c[0] ?? `column${i}`)
    : firstFields.map((_, i) => `column${i}`);
  const rows: number[] = [];
  for (let r = header ? 1 : 0; r < usable; r++) if (rec.fields[r] === ncols) rows.push(r);
  const cols = splitFields(
    sample.bytes,
    rec,
    rows,
    0,
    rows.length > 0 ? rec.ends[rows[rows.length - 1]!]! : 0,
    options,
    ncols,
  );
  const nulls = new Set(options.nullValues ?? [""]);
  const overrides = options.schema ?? {};
  for (const name of Object.keys(overrides)) {
    if (!names.includes(name)) {
      throw unknownColumnError(
        name,
        names.map((n) => ({ name: n, type: "utf8", nullable: true })),
        "the schema option",
      );
    }
  }
  return names.map((name, j): Field => {
    const values = (cols[j] ?? []).filter((s) => !nulls.has(s));
    return { name, type: overrides[name] ?? inferTextType(values), nullable: true };
  });
}

/* -------------------------------------- reading -------------------------------------- */

/**
 * Splits the `rows` records (ascending, all with `ncols` fields) into one string array per column
 * with udsv. When the rows are every record from `rows[0]` on, the text is decoded in one piece;
 * otherwise the kept records are copied together first.
 */
function splitFields(
  bytes: Uint8Array,
  rec: ScannedRecords,
  rows: ArrayLike<number> & Iterable<number>,
  first: number,
  finish: number,
  options: CsvOptions,
  ncols: number,
): string[][] {
  if (rows.length === 0) return Array.from({ length: ncols }, () => []);
  const contiguous = rows.length === rec.count - first && rows[0] === first;
  let text: string;
  let crlf = rec.crlf;
  const decoder = new TextDecoder();
  if (contiguous) text = decoder.decode(bytes.subarray(rec.starts[first]!, finish));
  else {
    let size = 0;
    for (const r of rows) size += rec.ends[r]! - rec.starts[r]! + 1;
    const joined = new Uint8Array(size);
    let pos = 0;
    for (const r of rows) {
      joined.set(bytes.subarray(rec.starts[r]!, rec.ends[r]!), pos);
      pos += rec.ends[r]! - rec.starts[r]!;
      joined[pos++] = 10;
    }
    text = decoder.decode(joined);
    crlf = false;
  }
  const schema: UdsvSchema = {
    col: options.delimiter ?? ",",
    row: crlf ? "\r\n" : "\n",
    encl: rec.quoted ? '"' : "",
    esc: rec.quoted ? '"' : "",
    trim: false,
    cols: Array.from({ length: ncols }, (_, i) => ({
      name: `c${i}`,
      type: "s",
      repl: { empty: "", null: "null", NaN: "NaN" },
    })),
  };
  const cols = initParser(schema).stringCols(text) as string[][];
  if ((cols[0]?.length ?? 0) !== rows.length) {
    throw new BarnError(
      ErrorCodes.INTERNAL,
      `udsv split ${cols[0]?.length ?? 0} rows where the scan found ${rows.length}: a bug in Barn's CSV reader`,
    );
  }
  return cols;
}

const FIX = 'pass onBadLines: "skip" to drop such rows and count them';

function fieldCountError(part: CsvPart, line: number, found: number, expected: number): BarnError {
  const cols = part.fileColumns;
  const where =
    found < expected
      ? `it ends before column "${cols[found]}"`
      : `it has a field after the last column "${cols[expected - 1]}"`;
  return new BarnError(
    IoErrorCodes.CSV_PARSE,
    `${part.path}:${line}: expected ${expected} fields but found ${found} (${where}): fix the row, or ${FIX}`,
  );
}

function valueError(
  part: CsvPart,
  line: number,
  column: string,
  type: DType,
  text: string,
): BarnError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return new BarnError(
    IoErrorCodes.CSV_PARSE,
    `${part.path}:${line}: column "${column}": cannot read ${JSON.stringify(shown)} as ${type}: pass schema: { ${JSON.stringify(column)}: "utf8" } (or the right type) to override the inferred type, or ${FIX}`,
  );
}
