/**
 * Reading a Parquet footer with the parsers every Parquet reader here uses: timestamps and dates
 * stay numbers in a batch's units (ms, days) instead of Date objects.
 */

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
export function footerOf(file: AsyncBuffer): Promise<FileMetaData> {
  return parquetMetadataAsync(file, { parsers });
}

/** The footer of the Parquet file at `path`; BARN_IO_UNSUPPORTED when it is not one. */
export async function readFooter(path: string): Promise<FileMetaData> {
  try {
    return await footerOf(await fileAsyncBuffer(path));
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
