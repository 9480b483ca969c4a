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
import { estimateLines, scanRecords } from "./csv-scan.js";
import type { Predicate } from "./filters.js";
import { expandPaths } from "./glob.js";
import { jsonColumnBuilder } from "./json-columns.js";
import { compactChunk, scanFilters, splitRows } from "./json-filter.js";
import { CHUNK_ROWS, scanJsonLines } from "./json-scan.js";
import { checkSchemaTypes } from "./options.js";
import { projectSchema, unknownColumnError } from "./schema.js";
import { takeRows } from "./text-columns.js";
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
  /**
   * Filters (an AND) the reader may use to skip building rows that fail them (readJsonPart; a
   * string column `==` / `!=` a string); rows that pass are not guaranteed to match.
   */
  readonly filters?: readonly Predicate[] | undefined;
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
/** Decodes one line as the reference reader did, a byte order mark at its start dropped. */
const lineDecoder = new TextDecoder();
const encoder = new TextEncoder();

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
  const lineOf = lineNumberer(part, bytes, base, begin);
  const skip = options.onBadLines === "skip";
  const keys = schema.map((f) => encoder.encode(f.name));
  const capacity = Math.ceil(estimateLines(bytes, begin, finish) * 1.1) + 1024;
  // Values that are not of their column's type: rows dropped under "skip", else the first one.
  let bad = new Uint8Array(capacity);
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
  const filters = scanFilters(options.filters, schema);
  // With filters, most rows may never be built: start small and grow.
  const rowsAtFirst = filters.length > 0 ? (capacity >> 3) + 1024 : capacity;
  const builders = schema.map((f) => jsonColumnBuilder(f.type, rowsAtFirst, onBadOf(f)));
  const split = filters.length > 0 ? splitBuffers(schema.length) : undefined;
  let rows = 0;
  /** Bad rows among those the filters dropped (counted under "skip", never built). */
  let filteredBad = 0;
  let badLine: number | undefined;
  let lineOfBad = 0;
  const scan = scanJsonLines(
    bytes,
    begin,
    finish,
    keys,
    (chunk) => {
      let use = chunk;
      if (split !== undefined) {
        const kept = splitRows(bytes, chunk, filters, split.keep, split.drop);
        const nd = chunk.rows - kept;
        if (nd > 0) {
          // Rows the filters drop are not built, but their values must still be of their types.
          const flagged = split.flagged.fill(0, 0, chunk.rows);
          for (let t = 0; t < builders.length; t++) {
            const f = schema[t]!;
            const ok = builders[t]!.check(bytes, chunk, t, split.drop, nd, (i, text) => {
              if (skip) {
                if (flagged[i] === 0) filteredBad++;
                flagged[i] = 1;
                return true;
              }
              badValue = { row: -1, column: f.name, type: f.type, text };
              lineOfBad = chunk.lines[i]!;
              return false;
            });
            if (!ok) return false;
          }
          use = compactChunk(chunk, split.keep, kept, split);
        }
      }
      if (bad.length < rows + use.rows) {
        const more = new Uint8Array(Math.ceil((rows + use.rows) * 1.5));
        more.set(bad);
        bad = more;
      }
      for (let t = 0; t < builders.length; t++) {
        if (!builders[t]!.add(bytes, use, t, rows)) {
          lineOfBad = use.lines[badValue!.row - rows]!;
          return false;
        }
      }
      rows += use.rows;
      return true;
    },
    (start, end, line) => {
      // The scanner found no JSON object on this line: what JSON.parse says of it names the
      // problem (and a line of other Unicode whitespace is blank, as String#trim sees it).
      const verdict = badLineVerdict(bytes, start, end);
      if (verdict === "blank") return "blank";
      if (skip) return "skip";
      badLine = line;
      return "stop";
    },
  );
  if (scan.stoppedAt !== undefined && badLine !== undefined) {
    const { start, end } = scan.stoppedAt;
    throw new BarnError(
      IoErrorCodes.JSON_PARSE,
      `${part.path}:${await lineOf(badLine)}: not a JSON object (${badLineReason(bytes, start, end)}): fix the line, or pass onBadLines: "skip" to drop such lines and count them`,
    );
  }
  if (badValue !== undefined) {
    const { column, type, text } = badValue;
    throw new BarnError(
      IoErrorCodes.JSON_PARSE,
      `${part.path}:${await lineOf(lineOfBad)}: column "${column}": cannot read ${text.length > 60 ? `${text.slice(0, 60)}...` : text} as ${type}: pass schema: { ${JSON.stringify(column)}: "utf8" } (or the right type), or onBadLines: "skip"`,
    );
  }
  const columns = builders.map((b) => b.finish(rows));
  return finishBatch(schema, columns, bad, rows, dropped, scan.badLines + filteredBad);
}

/** Row lists and a compacted chunk's arrays, for the filters' split of each chunk. */
function splitBuffers(ncols: number) {
  return {
    keep: new Int32Array(CHUNK_ROWS),
    drop: new Int32Array(CHUNK_ROWS),
    flagged: new Uint8Array(CHUNK_ROWS),
    kinds: new Uint8Array(CHUNK_ROWS * ncols),
    starts: new Int32Array(CHUNK_ROWS * ncols),
    ends: new Int32Array(CHUNK_ROWS * ncols),
    lines: new Int32Array(CHUNK_ROWS),
  };
}

/**
 * What the reference reader (JSON.parse per line) makes of a line the scanner refused: blank
 * (only whitespace as String#trim sees it), or bad. A line JSON.parse reads as an object would
 * be a bug in the scanner: it is named as such rather than read wrong.
 */
function badLineVerdict(bytes: Uint8Array, start: number, end: number): "blank" | "bad" {
  const text = lineDecoder.decode(bytes.subarray(start, end));
  if (text.trim() === "") return "blank";
  let row: unknown;
  try {
    row = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return "bad";
  }
  if (row !== null && typeof row === "object" && !Array.isArray(row)) {
    throw new BarnError(
      ErrorCodes.INTERNAL,
      `the JSON lines scanner refused a line JSON.parse reads as an object (${JSON.stringify(text.slice(0, 80))}): a bug in Barn's JSON reader`,
    );
  }
  return "bad";
}

/** Why a line is not a JSON object, in JSON.parse's words. */
function badLineReason(bytes: Uint8Array, start: number, end: number): string {
  const text = lineDecoder.decode(bytes.subarray(start, end));
  try {
    return `got ${JSON.stringify(JSON.parse(text))?.slice(0, 40)}`;
  } catch (err) {
    return (err as Error).message;
  }
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

function finishBatch(
  schema: Schema,
  columns: Column[],
  bad: Uint8Array,
  n: number,
  dropped: number,
  badLines: number,
): { batch: Batch; badLines: number } {
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
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
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
