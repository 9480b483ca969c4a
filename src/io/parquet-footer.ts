/**
 * Reading a Parquet footer with the parsers every Parquet reader here uses: timestamps and dates
 * stay numbers in a batch's units (ms, days) instead of Date objects.
 */

import { stat } from "node:fs/promises";
import type { AsyncBuffer, FileMetaData, ParquetParsers } from "hyparquet";
import { parquetMetadata, parquetMetadataAsync } from "hyparquet";
import { BarnError } from "../errors.js";
import { IoErrorCodes } from "./codes.js";
import { fileAsyncBuffer, fileSizeSync, readRangeSync } from "./files.js";

/** Parsers that keep hyparquet's timestamps and dates as numbers in a batch's units. */
export const parsers: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days,
};

/** The footer of a file already opened as an AsyncBuffer. */
function footerOf(file: AsyncBuffer): Promise<FileMetaData> {
  return parquetMetadataAsync(file, { parsers });
}

/** Footers parsed in this thread, by file version (size, mtime, path); oldest dropped first. */
const parsed = new Map<string, Promise<FileMetaData>>();
const PARSED_FILES = 64;

/**
 * The file at `path` and its footer, parsed once per version of the file in this thread: every
 * part of a file is read by a task, and reading and parsing the footer (hyparquet fetches the
 * last 512 KiB) is a read and a parse per part otherwise. A file rewritten in place has a new size or mtime,
 * so it is parsed again.
 */
export async function fileAndFooter(
  path: string,
): Promise<{ readonly file: AsyncBuffer; readonly footer: FileMetaData }> {
  const st = await stat(path);
  const file = await fileAsyncBuffer(path, st.size);
  const key = `${st.size}:${st.mtimeMs}:${path}`;
  let footer = parsed.get(key);
  if (footer === undefined) {
    footer = footerOf(file);
    parsed.set(key, footer);
    footer.catch(() => parsed.delete(key)); // a failed read is not remembered
    if (parsed.size > PARSED_FILES) parsed.delete(parsed.keys().next().value!);
  }
  return { file, footer: await footer };
}

/** The footer of the Parquet file at `path`; BARN_IO_UNSUPPORTED when it is not one. */
export async function readFooter(path: string): Promise<FileMetaData> {
  try {
    return (await fileAndFooter(path)).footer;
  } catch (err) {
    throw new BarnError(
      IoErrorCodes.UNSUPPORTED,
      `cannot read the Parquet footer of ${path}: ${(err as Error).message}; check that it is a Parquet file`,
      { cause: err },
    );
  }
}

/** The footer of the Parquet file at `path`, read synchronously (two positioned reads). */
export function readFooterSync(path: string): FileMetaData {
  try {
    const size = fileSizeSync(path);
    const tail = readRangeSync(path, Math.max(0, size - 8), size);
    if (tail.length < 8) throw new Error(`the file has ${size} bytes, fewer than a footer needs`);
    const length = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
    const footer = readRangeSync(path, Math.max(0, size - 8 - length), size);
    return parquetMetadata(footer, { parsers });
  } catch (err) {
    throw new BarnError(
      IoErrorCodes.UNSUPPORTED,
      `cannot read the Parquet footer of ${path}: ${(err as Error).message}; check that it is a Parquet file`,
      { cause: err },
    );
  }
}
