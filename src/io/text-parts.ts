/**
 * Byte-range parts of line-oriented text files (CSV, JSON lines), shared by their readers: a
 * part owns the records that START in its range (as in dask), gzip files are one part each, and
 * a line inside a part is turned into a line of the file only when an error needs it.
 */

import { constants, gunzipSync } from "node:zlib";
import { giveBack, takeScratch } from "../kernels/scratch.js";
import { countNewlines, nextNewline } from "./csv-scan.js";
import { fileSize, fileSizeSync, readRange, readRangeSync } from "./files.js";

const MiB = 1024 * 1024;

/** A byte range of one text file. Plain data. */
export interface TextPart {
  readonly path: string;
  /** Byte range; the part owns the records that start in it. `end` is -1 for a whole gzip file. */
  readonly start: number;
  readonly end: number;
  readonly gzip: boolean;
}

/** True for gzip-compressed files (by name). */
function isGzip(path: string): boolean {
  return path.endsWith(".gz");
}

/** Splits files into parts of about `blocksize` bytes; a gzip file is one part. */
export async function splitTextFiles(
  files: readonly string[],
  blocksize: number,
): Promise<TextPart[]> {
  return splitTextFilesSync(files, blocksize);
}

/** splitTextFiles, synchronously (it only stats the files). */
export function splitTextFilesSync(files: readonly string[], blocksize: number): TextPart[] {
  const parts: TextPart[] = [];
  for (const path of files) {
    if (isGzip(path)) {
      parts.push({ path, start: 0, end: -1, gzip: true });
      continue;
    }
    const size = fileSizeSync(path);
    const n = Math.max(1, Math.ceil(size / blocksize));
    for (let i = 0; i < n; i++) {
      const start = i * blocksize;
      parts.push({ path, start, end: Math.min(size, start + blocksize), gzip: false });
    }
  }
  return parts;
}

/** The bytes a part needs: `bytes[begin, finish)` holds its records; `base` is bytes[0]'s file offset. */
export interface PartBytes {
  readonly bytes: Uint8Array;
  readonly base: number;
  readonly begin: number;
  readonly finish: number;
}

/**
 * Runs `use` over the part's bytes, which live in scratch memory until `use` settles: it must
 * copy out every value it keeps (the buffer is then reused for the next part).
 */
export async function withPartBytes<T>(
  part: TextPart,
  use: (bytes: PartBytes) => Promise<T>,
): Promise<T> {
  const b = await partBytes(part);
  try {
    return await use(b);
  } finally {
    b.release();
  }
}

async function partBytes(part: TextPart): Promise<PartBytes & { release: () => void }> {
  if (part.gzip) {
    const bytes = gunzipSync(await readRange(part.path, 0, await fileSize(part.path)));
    return { bytes, base: 0, begin: 0, finish: bytes.length, release: () => {} };
  }
  const base = Math.max(0, part.start - 1);
  const size = await fileSize(part.path);
  // Read past `end` until the record that starts before it ends (a newline at or after end - 1).
  let extra = 64 * 1024;
  let bytes = await readRange(part.path, base, Math.min(size, part.end + extra), takeScratch);
  while (bytes.indexOf(10, Math.max(0, part.end - 1 - base)) < 0 && base + bytes.length < size) {
    extra *= 4;
    giveBack(bytes);
    bytes = await readRange(part.path, base, Math.min(size, part.end + extra), takeScratch);
  }
  const begin = part.start === 0 ? 0 : Math.min(bytes.length, nextNewline(bytes, 0) + 1);
  const finish =
    part.end <= part.start
      ? begin
      : Math.min(bytes.length, nextNewline(bytes, part.end - 1 - base) + 1);
  const owned = bytes;
  return {
    bytes,
    base,
    begin: Math.min(begin, finish),
    finish,
    release: () => giveBack(owned),
  };
}

/** Turns a line within the part into a 1-based line of the file, counting earlier lines only when asked. */
export function lineNumberer(
  part: TextPart,
  bytes: Uint8Array,
  base: number,
  begin: number,
): (lineInPart: number) => Promise<number> {
  return async (lineInPart) => {
    let before = countNewlines(bytes.subarray(0, begin));
    for (let pos = 0; pos < base; pos += 16 * MiB) {
      before += countNewlines(await readRange(part.path, pos, Math.min(base, pos + 16 * MiB)));
    }
    return before + lineInPart + 1;
  };
}

/**
 * The first `sampleBytes` of a text file, and whether that is the whole file. A gzip file's first
 * compressed bytes are inflated with a sync flush (a truncated stream is fine), reading more
 * until the sample is full or the file ends. Synchronous: planning runs on the client.
 */
export function readTextSampleSync(
  path: string,
  sampleBytes: number,
): { bytes: Uint8Array; complete: boolean } {
  const size = fileSizeSync(path);
  if (!isGzip(path)) {
    return {
      bytes: readRangeSync(path, 0, Math.min(size, sampleBytes)),
      complete: size <= sampleBytes,
    };
  }
  let read = Math.min(size, Math.max(64 * 1024, sampleBytes >> 2));
  for (;;) {
    const all = gunzipSync(readRangeSync(path, 0, read), {
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    if (all.length > sampleBytes) return { bytes: all.subarray(0, sampleBytes), complete: false };
    if (read >= size) return { bytes: all, complete: true };
    read = Math.min(size, read * 4);
  }
}
