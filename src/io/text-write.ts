/**
 * Writing text files: a batch's cells formatted as text (shared by CSV and JSON lines), and the
 * write itself, gzip-compressed when the path ends with `.gz`.
 */

import { writeFile } from "node:fs/promises";
import { gzipSync } from "node:zlib";
import type { Column } from "../kernels/batch.js";
import { columnCells, isoDate, isoTimestamp } from "./columns.js";

/** A column's cells as text (null for nulls): timestamps ISO 8601 UTC, dates `YYYY-MM-DD`. */
export function columnTexts(col: Column): (string | null)[] {
  const cells = columnCells(col);
  const out: (string | null)[] = new Array(cells.length);
  for (let i = 0; i < cells.length; i++) {
    const v = cells[i];
    if (v === null || v === undefined) out[i] = null;
    else if (col.type === "timestamp") out[i] = isoTimestamp(v as number);
    else if (col.type === "date") out[i] = isoDate(v as number);
    else out[i] = String(v);
  }
  return out;
}

/** Writes text chunks to `path`, gzip-compressed when it ends with `.gz`. */
export async function writeText(path: string, chunks: readonly string[]): Promise<void> {
  const text = chunks.join("");
  await writeFile(path, path.endsWith(".gz") ? gzipSync(Buffer.from(text)) : text);
}
