/**
 * Writing a batch as CSV (RFC 4180): a header line, fields quoted when they hold the delimiter,
 * a quote or a line break, nulls as empty fields, timestamps as ISO 8601 UTC.
 */

import { BarnError, ErrorCodes } from "../errors.js";
import type { Batch } from "../kernels/batch.js";
import { columnTexts, writeText } from "./text-write.js";

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
  const texts = batch.columns.map(columnTexts);
  const nullText = batch.columns.length === 1 ? '""' : "";
  const chunks: string[] = [];
  if (options.header ?? true) chunks.push(`${batch.names.map(quote).join(d)}\n`);
  let lines: string[] = [];
  for (let i = 0; i < batch.length; i++) {
    let line = "";
    for (let j = 0; j < texts.length; j++) {
      const t = texts[j]![i];
      if (j > 0) line += d;
      line += t === null || t === undefined ? nullText : quote(t);
    }
    lines.push(line);
    if (lines.length === 65536) {
      chunks.push(`${lines.join("\n")}\n`);
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(`${lines.join("\n")}\n`);
  await writeText(path, chunks);
}
