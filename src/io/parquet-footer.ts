/**
 * Reading a Parquet footer with the parsers every Parquet reader here uses: timestamps and dates
 * stay numbers in a batch's units (ms, days) instead of Date objects.
 */

import { statSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { AsyncBuffer, FileMetaData, ParquetParsers } from "hyparquet";
import { parquetMetadata, parquetMetadataAsync } from "hyparquet";
import { BarnError } from "../errors.js";
import { IoErrorCodes } from "./codes.js";
import { fileAsyncBuffer, readRangeSync } from "./files.js";

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
/** The same footers once parsed, for the synchronous planner on the client. */
const settled = new Map<string, FileMetaData>();
const PARSED_FILES = 256;

function versionKey(path: string, st: { size: number; mtimeMs: number }): string {
  return `${st.size}:${st.mtimeMs}:${path}`;
}

function remember<T>(map: Map<string, T>, key: string, value: T): void {
  map.set(key, value);
  if (map.size > PARSED_FILES) map.delete(map.keys().next().value!);
}

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
  const key = versionKey(path, st);
  let footer = parsed.get(key);
  if (footer === undefined) {
    const known = settled.get(key);
    footer = known !== undefined ? Promise.resolve(known) : footerOf(file);
    remember(parsed, key, footer);
    footer.then(
      (f) => remember(settled, key, f),
      () => parsed.delete(key), // a failed read is not remembered
    );
  }
  return { file, footer: await footer };
}

/**
 * The footer of the Parquet file at `path`; BARN_IO_UNSUPPORTED when it is not one (it does not
 * start with the magic bytes PAR1), BARN_IO_CORRUPT when it is one whose footer is unreadable
 * (truncated or damaged).
 */
export async function readFooter(path: string): Promise<FileMetaData> {
  try {
    return (await fileAndFooter(path)).footer;
  } catch (err) {
    throw footerError(path, err);
  }
}

/** The error for a footer that could not be read: corrupt when the file starts as Parquet does. */
function footerError(path: string, err: unknown): BarnError {
  if (err instanceof BarnError && err.code === IoErrorCodes.CORRUPT) return err;
  let head: Uint8Array = new Uint8Array(0);
  try {
    head = readRangeSync(path, 0, 4);
  } catch (e) {
    // A file system error (ENOENT, EACCES, EISDIR...): reported as not Parquet below, with the
    // reader's message; anything else is a bug and goes through.
    const code = (e as { code?: unknown } | null)?.code;
    if (!(typeof code === "string" && code.startsWith("E"))) throw e;
  }
  const parquet = head.length === 4 && new TextDecoder().decode(head) === "PAR1";
  const why = (err as Error).message;
  return parquet
    ? new BarnError(
        IoErrorCodes.CORRUPT,
        `${path} starts as a Parquet file but its footer cannot be read (${why}): the file is truncated or damaged. Fix: write or copy it again`,
        { cause: err },
      )
    : new BarnError(
        IoErrorCodes.UNSUPPORTED,
        `cannot read the Parquet footer of ${path}: ${why}; check that it is a Parquet file`,
        { cause: err },
      );
}

/**
 * The footer of the Parquet file at `path`, read synchronously (two positioned reads), or the
 * one parsed before for this version of the file (same size and mtime): the client plans every
 * query over the same files again, and parsing 20 footers took longer than some queries.
 */
export function readFooterSync(path: string): FileMetaData {
  try {
    const st = statSync(path);
    const key = versionKey(path, st);
    const known = settled.get(key);
    if (known !== undefined) return known;
    const footer = readFooterBytesSync(path, st.size);
    remember(settled, key, footer);
    return footer;
  } catch (err) {
    throw footerError(path, err);
  }
}

function readFooterBytesSync(path: string, size: number): FileMetaData {
  const tail = readRangeSync(path, Math.max(0, size - 8), size);
  if (tail.length < 8) throw new Error(`the file has ${size} bytes, fewer than a footer needs`);
  const length = new DataView(tail.buffer, tail.byteOffset, 8).getUint32(0, true);
  const footer = readRangeSync(path, Math.max(0, size - 8 - length), size);
  return parquetMetadata(footer, { parsers });
}
