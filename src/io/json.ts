/**
 * JSON lines: one JSON object per line. Planning splits files into byte ranges at line
 * boundaries (exact: JSON strings cannot hold a raw newline) and infers the schema from a sample
 * of the first file; a part is read by parsing each line and gathering each column's values into
 * typed arrays. Writing emits one object per row (gzip when the path ends with `.gz`).
 */

import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, Column, DType, Field, Schema } from "../kernels/batch.js";
import { IoErrorCodes } from "./codes.js";
import { columnCells, isoDate, isoTimestamp } from "./columns.js";
import { scanRecords } from "./csv-scan.js";
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
import { inferTextType, parseDate, parseTimestamp } from "./text-values.js";
import { TextSink } from "./text-write.js";

/** File name endings a directory is searched for. */
export const JSON_EXTENSIONS = [
  ".jsonl",
  ".ndjson",
  ".json",
  ".jsonl.gz",
  ".ndjson.gz",
  ".json.gz",
] as const;

/** Options of `planJson` and `readJsonPart`. */
export interface JsonOptions {
  /** Target bytes per part (default 64 MiB); gzip files are one part each. */
  readonly blocksize?: number | undefined;
  /** Types that override inference, by column name. */
  readonly schema?: Readonly<Record<string, DType>> | undefined;
  /** Columns to keep (projection), in output order. */
  readonly columns?: readonly string[] | undefined;
  /** A malformed line throws BARN_JSON_PARSE ("error", the default) or is dropped and counted ("skip"). */
  readonly onBadLines?: "error" | "skip" | undefined;
  /** Bytes of the first file sampled for inference (default 1 MiB). */
  readonly sampleBytes?: number | undefined;
}

/** One task's worth of JSON lines: a byte range of one file. Plain data. */
export type JsonPart = TextPart;

/** A planned JSON lines read. */
export interface JsonPlan {
  readonly schema: Schema;
  readonly parts: JsonPart[];
}

const MiB = 1024 * 1024;
const decoder = new TextDecoder();

/**
 * Plans a JSON lines read. Types are inferred from the sample's values: integers -> int32 (int64
 * beyond 32 bits), other numbers -> float64, booleans -> bool, strings -> date / timestamp when
 * all are ISO 8601, else utf8 or dict; columns are the keys seen, in first-seen order.
 */
export async function planJson(
  paths: string | readonly string[],
  options: JsonOptions = {},
): Promise<JsonPlan> {
  return planJsonSync(paths, options);
}

/** planJson with synchronous reads (a sample of the first file, the files' sizes). */
export function planJsonSync(
  paths: string | readonly string[],
  options: JsonOptions = {},
): JsonPlan {
  const blocksize = options.blocksize ?? 64 * MiB;
  if (!Number.isInteger(blocksize) || blocksize < 1) {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `blocksize must be a positive integer of bytes, got ${String(blocksize)}`,
    );
  }
  checkSchemaTypes("readJson", options.schema);
  const files = expandPaths(paths, JSON_EXTENSIONS);
  // The columns come from the first file with a line (empty files have none and no rows).
  const full = inferJsonSchema(files, options);
  return {
    schema: projectSchema(full, options.columns),
    parts: splitTextFilesSync(files, blocksize),
  };
}

/** Reads the lines one part owns into a Batch with `schema`; a key missing from a line is null. */
export async function readJsonPart(
  part: JsonPart,
  schema: Schema,
  options: JsonOptions = {},
): Promise<{ batch: Batch; badLines: number }> {
  return withPartBytes(part, (bytes) => readJsonBytes(part, schema, options, bytes));
}

async function readJsonBytes(
  part: JsonPart,
  schema: Schema,
  options: JsonOptions,
  { bytes, base, begin, finish }: PartBytes,
): Promise<{ batch: Batch; badLines: number }> {
  const rec = scanRecords(bytes, begin, finish, -1, -1);
  const lineOf = lineNumberer(part, bytes, base, begin);
  const skip = options.onBadLines === "skip";
  const rows: Record<string, unknown>[] = [];
  const recOfRow: number[] = [];
  let badLines = 0;
  for (let r = 0; r < rec.count; r++) {
    const text = decoder.decode(bytes.subarray(rec.starts[r]!, rec.ends[r]!));
    if (text.trim() === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (err) {
      row = err;
    }
    if (row === null || typeof row !== "object" || Array.isArray(row) || row instanceof Error) {
      if (skip) {
        badLines++;
        continue;
      }
      throw new BarnError(
        IoErrorCodes.JSON_PARSE,
        `${part.path}:${await lineOf(rec.lines[r]!)}: not a JSON object (${row instanceof Error ? row.message : `got ${JSON.stringify(row)?.slice(0, 40)}`}): fix the line, or pass onBadLines: "skip" to drop such lines and count them`,
      );
    }
    rows.push(row as Record<string, unknown>);
    recOfRow.push(r);
  }
  const bad = new Uint8Array(rows.length);
  const columns: Column[] = [];
  for (const f of schema) {
    const texts: (string | undefined)[] = new Array(rows.length);
    let firstBad = -1;
    for (let i = 0; i < rows.length; i++) {
      const v = rows[i]![f.name];
      const t = toText(v, f.type);
      if (t === BAD) {
        if (skip) bad[i] = 1;
        else if (firstBad < 0) firstBad = i;
        texts[i] = undefined;
      } else texts[i] = t;
    }
    const badValue = async (i: number) => {
      const v = JSON.stringify(rows[i]![f.name]);
      return new BarnError(
        IoErrorCodes.JSON_PARSE,
        `${part.path}:${await lineOf(rec.lines[recOfRow[i]!]!)}: column "${f.name}": cannot read ${v} as ${f.type}: pass schema: { ${JSON.stringify(f.name)}: "utf8" } (or the right type), or onBadLines: "skip"`,
      );
    };
    if (firstBad >= 0) throw await badValue(firstBad);
    // A string that is not a value of the type (an impossible date, an int64 out of range) is
    // an error too, or a dropped row under onBadLines: "skip".
    let unparsed = -1;
    columns.push(
      columnFromText(f.type, texts, NO_NULLS, (i) => {
        bad[i] = 1;
        if (!skip) unparsed = i;
        return skip;
      }),
    );
    if (unparsed >= 0) throw await badValue(unparsed);
  }
  return finishBatch(schema, columns, bad, rows.length, badLines);
}

/** Writes a batch as JSON lines: int64 beyond 2^53 as strings, timestamps and dates ISO 8601. */
export async function writeJson(batch: Batch, path: string): Promise<void> {
  const cols = batch.columns.map((c) => jsonCells(c));
  const keys = batch.names.map((n) => JSON.stringify(n));
  const sink = await TextSink.open(path);
  let lines: string[] = [];
  for (let i = 0; i < batch.length; i++) {
    let line = "{";
    for (let j = 0; j < cols.length; j++) line += `${j > 0 ? "," : ""}${keys[j]}:${cols[j]![i]}`;
    lines.push(`${line}}`);
    if (lines.length === 65536) {
      await sink.write(`${lines.join("\n")}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) await sink.write(`${lines.join("\n")}\n`);
  await sink.close();
}

/* ---------------------------------------------------------------------------------- */

const NO_NULLS: ReadonlySet<string> = new Set();
const BAD = Symbol("bad");

/** A JSON value as the text `columnFromText` parses for `type` (undefined for null), or BAD. */
function toText(v: unknown, type: DType): string | undefined | typeof BAD {
  if (v === null || v === undefined) return undefined;
  switch (typeof v) {
    case "number":
      return type === "utf8" ||
        type === "dict" ||
        type === "bool" ||
        type === "date" ||
        type === "timestamp"
        ? BAD
        : String(v);
    case "string":
      return type === "int32" || type === "float64" || type === "bool" ? BAD : v;
    case "boolean":
      return type === "bool" ? (v ? "true" : "false") : BAD;
    default:
      return BAD;
  }
}

function finishBatch(
  schema: Schema,
  columns: Column[],
  bad: Uint8Array,
  n: number,
  badLines: number,
): { batch: Batch; badLines: number } {
  const dropped = bad.reduce((a, b) => a + b, 0);
  if (dropped === 0)
    return { batch: { names: schema.map((f) => f.name), columns, length: n }, badLines };
  const keep = new Int32Array(n - dropped);
  let k = 0;
  for (let i = 0; i < n; i++) if (bad[i] === 0) keep[k++] = i;
  return {
    batch: {
      names: schema.map((f) => f.name),
      columns: columns.map((c) => takeRows(c, keep)),
      length: keep.length,
    },
    badLines: badLines + dropped,
  };
}

function inferJsonSchema(files: readonly string[], options: JsonOptions): Schema {
  const sampleBytes = options.sampleBytes ?? MiB;
  let bytes: Uint8Array = new Uint8Array(0);
  let rec = scanRecords(bytes, 0, 0, -1, -1);
  for (const path of files) {
    bytes = readTextSampleSync(path, sampleBytes).bytes;
    rec = scanRecords(bytes, 0, bytes.length, -1, -1);
    if (rec.count > 0) break;
  }
  if (rec.count === 0) {
    // Only empty files: the columns the schema option names, else none.
    return Object.entries(options.schema ?? {}).map(
      ([name, type]): Field => ({ name, type, nullable: true }),
    );
  }
  const values = new Map<string, unknown[]>();
  for (let r = 0; r < rec.count; r++) {
    let row: unknown;
    try {
      row = JSON.parse(decoder.decode(bytes.subarray(rec.starts[r]!, rec.ends[r]!)));
    } catch {
      continue; // the last sampled line may be cut short; bad lines are reported when read
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) continue;
    for (const [k, v] of Object.entries(row)) {
      let list = values.get(k);
      if (list === undefined) values.set(k, (list = []));
      if (v !== null && v !== undefined) list.push(v);
    }
  }
  const overrides = options.schema ?? {};
  for (const name of Object.keys(overrides)) {
    if (!values.has(name))
      throw unknownColumnError(
        name,
        [...values.keys()].map((n) => ({ name: n, type: "utf8", nullable: true })),
        "the schema option",
      );
  }
  return [...values.entries()].map(
    ([name, vs]): Field => ({ name, type: overrides[name] ?? jsonType(vs), nullable: true }),
  );
}

function jsonType(values: readonly unknown[]): DType {
  if (values.length === 0) return "utf8";
  if (values.every((v) => typeof v === "number")) {
    const nums = values as number[];
    if (!nums.every(Number.isInteger)) return "float64";
    return nums.every((n) => n === (n | 0)) ? "int32" : "int64";
  }
  if (values.every((v) => typeof v === "boolean")) return "bool";
  if (values.every((v) => typeof v === "string")) {
    const strs = values as string[];
    if (strs.every((s) => parseDate(s) !== undefined)) return "date";
    if (strs.every((s) => s.length > 10 && parseTimestamp(s) !== undefined)) return "timestamp";
    const t = inferTextType(strs);
    return t === "dict" ? "dict" : "utf8";
  }
  return "utf8";
}

function jsonCells(col: Column): string[] {
  return columnCells(col).map((v) => {
    if (v === null) return "null";
    if (col.type === "timestamp") return JSON.stringify(isoTimestamp(v as number));
    if (col.type === "date") return JSON.stringify(isoDate(v as number));
    if (typeof v === "bigint")
      return v <= 2n ** 53n && v >= -(2n ** 53n) ? v.toString() : JSON.stringify(v.toString());
    if (typeof v === "number" && !Number.isFinite(v)) return "null";
    return JSON.stringify(v);
  });
}
