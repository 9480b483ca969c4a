/**
 * Reading a Parquet footer with the parsers every Parquet reader here uses: timestamps and dates
 * stay numbers in a batch's units (ms, days) instead of Date objects.
 */

import type { AsyncBuffer, FileMetaData, ParquetParsers } from "hyparquet";
import { parquetMetadataAsync } from "hyparquet";
import { BarnError } from "../errors.js";
import { IoErrorCodes } from "./codes.js";
import { fileAsyncBuffer } from "./files.js";

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
