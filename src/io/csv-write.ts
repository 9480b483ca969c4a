/**
 * Writing a batch as CSV (RFC 4180): a header line, fields quoted when they hold the delimiter,
 * a quote or a line break, nulls as empty fields, timestamps as ISO 8601 UTC. Each column gets
 * one formatter for its type, so rows are formatted without an intermediate value per cell.
 */

import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch, Column } from "../kernels/batch.js";
import { isoDate, isoTimestamp, utf8At, utf8Strings } from "./columns.js";
import { TextSink } from "./text-write.js";

/** Options of `writeCsv`. */
export interface CsvWriteOptions {
  /** One-character field delimiter (default ","). */
  readonly delimiter?: string | undefined;
  /** Write a header line with the column names (default true). */
  readonly header?: boolean | undefined;
}

/**
 * Writes a batch as one CSV file (gzip when `path` ends with `.gz`). An empty string is written
 * as `""`, which reads back as null under the default `nullValues`; in a one-column batch a null
 * is written as `""` too, so the row is not an empty line (readers skip those).
 */
export async function writeCsv(
  batch: Batch,
  path: string,
  options: CsvWriteOptions = {},
): Promise<void> {
  const d = options.delimiter ?? ",";
  if (d.length !== 1 || d === '"' || d === "\n" || d === "\r") {
    throw new BarnError(
      ErrorCodes.INVALID_OPTION,
      `delimiter must be one character other than a quote or newline, got ${JSON.stringify(d)}`,
    );
  }
  const quote = (s: string) =>
    s.length === 0 || s.includes(d) || s.includes('"') || s.includes("\n") || s.includes("\r")
      ? `"${s.replaceAll('"', '""')}"`
      : s;
  const nullText = batch.columns.length === 1 ? '""' : "";
  const formats = batch.columns.map((c) => formatter(c, quote, nullText));
  const sink = await TextSink.open(path);
  try {
    if (options.header ?? true) await sink.write(`${batch.names.map(quote).join(d)}\n`);
    const ncols = formats.length;
    let lines: string[] = [];
    for (let i = 0; i < batch.length; i++) {
      let line = formats[0]!(i);
      for (let j = 1; j < ncols; j++) line += d + formats[j]!(i);
      lines.push(line);
      if (lines.length === 65_536) {
        await sink.write(`${lines.join("\n")}\n`);
        lines = [];
      }
    }
    if (lines.length > 0) await sink.write(`${lines.join("\n")}\n`);
  } finally {
    await sink.close();
  }
}

type Format = (i: number) => string;

/** The text of row i of a column, quoted as needed (`nullText` for nulls). */
function formatter(col: Column, quote: (s: string) => string, nullText: string): Format {
  const valid = col.valid;
  const f = valueFormatter(col, quote);
  if (valid === undefined) return f;
  return (i) => (((valid[i >> 3]! >> (i & 7)) & 1) === 1 ? f(i) : nullText);
}

function valueFormatter(col: Column, quote: (s: string) => string): Format {
  switch (col.type) {
    case "int32":
    case "float64":
    case "int64": {
      const d = col.data as Int32Array | Float64Array | BigInt64Array;
      return (i) => String(d[i]);
    }
    case "bool": {
      const d = col.data as Uint8Array;
      return (i) => (d[i] === 1 ? "true" : "false");
    }
    case "timestamp": {
      const d = col.data as Float64Array;
      return (i) => isoTimestamp(d[i]!);
    }
    case "date": {
      const d = col.data as Int32Array;
      return (i) => isoDate(d[i]!);
    }
    case "utf8":
      return (i) => quote(utf8At(col, i));
    case "dict": {
      const dict = utf8Strings(col.dictionary!).map((s) => quote(s ?? ""));
      const codes = col.data as Int32Array;
      return (i) => dict[codes[i]!]!;
    }
  }
}
