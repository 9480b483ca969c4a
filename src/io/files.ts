/**
 * Byte-range access to local files: the one place the IO layer touches node:fs for reading, so
 * readers ask for ranges (a Parquet footer, a CSV part's bytes) and never load a whole file they
 * do not need.
 */

import { closeSync, openSync, readSync, statSync } from "node:fs";
import { open, stat } from "node:fs/promises";
import type { AsyncBuffer } from "hyparquet";

/** A file opened for positioned reads of several ranges; `close` it when done. */
export interface RangeFile {
  /** Bytes `[start, end)` (shorter at the end of the file), into `into(size)` when given. */
  read(start: number, end: number, into?: (size: number) => Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}

/**
 * Opens `path` for range reads: a reader that takes several ranges of one file (the column
 * chunks of a Parquet part) opens it once instead of once per range.
 */
export async function openRanges(path: string): Promise<RangeFile> {
  const fh = await open(path, "r");
  return {
    async read(start, end, into) {
      const size = Math.max(0, end - start);
      const out = into === undefined ? new Uint8Array(size) : into(size);
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await fh.read(out, done, out.length - done, start + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done === out.length ? out : out.subarray(0, done);
    },
    close: () => fh.close(),
  };
}

/**
 * Bytes `[start, end)` of a file (shorter at the end of the file), read into `into(size)` when
 * given (a buffer of that many bytes the caller provides), else into a new buffer.
 */
export async function readRange(
  path: string,
  start: number,
  end: number,
  into?: (size: number) => Uint8Array,
): Promise<Uint8Array> {
  const file = await openRanges(path);
  try {
    return await file.read(start, end, into);
  } finally {
    await file.close();
  }
}

/** The size of a file in bytes. */
export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** A hyparquet AsyncBuffer over a local file: each slice is one positioned read. */
export async function fileAsyncBuffer(path: string, size?: number): Promise<AsyncBuffer> {
  const byteLength = size ?? (await fileSize(path));
  return {
    byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      const bytes = await readRange(path, start, end ?? byteLength);
      return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
        ? (bytes.buffer as ArrayBuffer)
        : (bytes.slice().buffer as ArrayBuffer);
    },
  };
}

/** Bytes `[start, end)` of a file, read synchronously (planning on the client: footers, samples). */
export function readRangeSync(path: string, start: number, end: number): Uint8Array {
  const fd = openSync(path, "r");
  try {
    const out = new Uint8Array(Math.max(0, end - start));
    let done = 0;
    while (done < out.length) {
      const n = readSync(fd, out, done, out.length - done, start + done);
      if (n === 0) break;
      done += n;
    }
    return done === out.length ? out : out.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/** The size of a file in bytes, synchronously. */
export function fileSizeSync(path: string): number {
  return statSync(path).size;
}
