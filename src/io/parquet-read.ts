/**
 * Reading one planned Parquet part (a run of row groups) into a Batch inside a task. Flat
 * columns of the common shapes are decoded chunk by chunk straight into their typed arrays
 * (parquet-chunks.ts); any other column goes through hyparquet's general reader
 * (hyparquet-compressors for the codecs) and is copied into the typed array of the type the
 * plan gave it, with one monomorphic loop per kind.
 */

import type { AsyncBuffer, ColumnMetaData, FileMetaData, SchemaElement } from "hyparquet";
import { parquetRead } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { BarnError } from "../errors.js";
import type { Batch, Column, Field } from "../kernels/batch.js";
import { giveBack, takeScratch } from "../kernels/scratch.js";
import { IoErrorCodes } from "./codes.js";
import { utf8Column, validFrom, validFromNullFlags } from "./columns.js";
import { openRanges, type RangeFile } from "./files.js";
import type { ParquetPart } from "./parquet.js";
import { chunkTarget, decodeChunk, fastPathFits, targetColumn } from "./parquet-chunks.js";
import { fileAndFooter, parsers } from "./parquet-footer.js";
import { int64sInto, isDecimal } from "./parquet-values.js";
import { projectSchema } from "./schema.js";

/**
 * Reads one part into a Batch with the part's schema (or the subset `columns` of it). Columns of
 * the common shapes are decoded straight into their typed arrays (parquet-chunks.ts); the rest go
 * through hyparquet's general reader.
 */
export async function readParquetPart(
  part: ParquetPart,
  columns?: readonly string[],
  options: {
    /** Every column through hyparquet's general reader (for tests). */
    readonly general?: boolean;
    /**
     * Fast-path columns in scratch memory: for a caller that gives the batch's buffers back
     * (`giveBack`) when it is done and lets nothing else see them.
     */
    readonly scratch?: boolean;
  } = {},
): Promise<Batch> {
  const schema = projectSchema(part.schema, columns);
  const { file, footer } = await fileAndFooter(part.path);
  const length = part.rowEnd - part.rowStart;
  let fast: (Column | undefined)[] = schema.map(() => undefined);
  if (!options.general) {
    // One open file for every column chunk of the part.
    const ranges = await openRanges(part.path);
    try {
      fast = await Promise.all(
        schema.map((f) =>
          readFastColumn(ranges, footer, part.rowGroups, f, length, options.scratch),
        ),
      );
    } finally {
      await ranges.close();
    }
  }
  const slow = schema.filter((_, i) => fast[i] === undefined);
  let read: Column[] | undefined;
  try {
    read = slow.length === 0 ? undefined : await readGeneral(part, file, footer, slow, length);
  } catch (err) {
    // A BarnError or a system error (EIO, ENOENT) says what it is already; anything else came
    // from decoding the file's bytes.
    if (typeof (err as { code?: unknown }).code === "string") throw err;
    const names = slow.map((f) => `"${f.name}"`).join(", ");
    throw new BarnError(
      IoErrorCodes.CORRUPT,
      `cannot decode column${slow.length > 1 ? "s" : ""} ${names} of ${part.path} (rows ${part.rowStart}-${part.rowEnd}): ${(err as Error).message}; the file may be damaged or truncated: check it with another Parquet reader, or write it again`,
      { cause: err },
    );
  }
  let j = 0;
  const cols = schema.map((_, i) => fast[i] ?? read![j++]!);
  return { names: schema.map((f) => f.name), columns: cols, length };
}

/**
 * One column over the part's row groups on the fast path, or undefined when it does not fit
 * (then the general reader reads it, and reports what is wrong with a damaged file).
 */
export async function readFastColumn(
  file: RangeFile,
  footer: FileMetaData,
  rowGroups: readonly number[],
  field: Field,
  length: number,
  scratch = false,
): Promise<Column | undefined> {
  const el = footer.schema.find((e, i) => i > 0 && e.name === field.name);
  if (el === undefined || !fastPathFits(el, field.type)) return undefined;
  const target = chunkTarget(field.type, length, divisorOf(el), scratch);
  const ranges: { md: ColumnMetaData; start: number; end: number; rows: number }[] = [];
  for (const g of rowGroups) {
    const rg = footer.row_groups[g]!;
    const md = rg.columns.find((c) => c.meta_data?.path_in_schema[0] === field.name)?.meta_data;
    if (md === undefined || md.path_in_schema.length !== 1) return undefined;
    const dict = md.dictionary_page_offset;
    const start = Number(dict !== undefined && dict > 0n ? dict : md.data_page_offset);
    ranges.push({
      md,
      start,
      end: start + Number(md.total_compressed_size),
      rows: Number(rg.num_rows),
    });
  }
  // The next chunk's bytes are read (on libuv's pool) while this one decodes on this thread.
  const read = (i: number) => settled(file.read(ranges[i]!.start, ranges[i]!.end, takeScratch));
  let next = ranges.length > 0 ? read(0) : undefined;
  let at = 0;
  for (let i = 0; i < ranges.length; i++) {
    const got = await next!;
    next = i + 1 < ranges.length ? read(i + 1) : undefined;
    const { md, rows } = ranges[i]!;
    try {
      if (
        got.bytes === undefined ||
        !decodeChunk(got.bytes, md, el, target, at, rows, compressors)
      ) {
        await release(next);
        return undefined;
      }
    } catch {
      await release(next);
      return undefined;
    } finally {
      if (got.bytes !== undefined) giveBack(got.bytes);
    }
    at += rows;
  }
  return at === length ? targetColumn(target, length) : undefined;
}

/** A read that never rejects: its bytes, or undefined when it failed (the general reader then reports why). */
function settled(p: Promise<Uint8Array>): Promise<{ bytes?: Uint8Array }> {
  return p.then(
    (bytes) => ({ bytes }),
    () => ({}),
  );
}

/** Waits for a read started ahead and gives its buffer back (the column left the fast path). */
async function release(p: Promise<{ bytes?: Uint8Array }> | undefined): Promise<void> {
  const got = await p;
  if (got?.bytes !== undefined) giveBack(got.bytes);
}

/** Columns read with hyparquet's general reader (any encoding and type it supports). */
async function readGeneral(
  part: ParquetPart,
  file: AsyncBuffer,
  footer: FileMetaData,
  fields: readonly Field[],
  length: number,
): Promise<Column[]> {
  const { metadata, scales } = rawTemporal(footer);
  const chunks = new Map<string, { data: ArrayLike<unknown>; rowStart: number }[]>();
  for (const f of fields) chunks.set(f.name, []);
  await parquetRead({
    file,
    metadata,
    columns: fields.map((f) => f.name),
    rowStart: part.rowStart,
    rowEnd: part.rowEnd,
    compressors,
    parsers,
    onChunk: (c) => {
      chunks
        .get(c.columnName)
        ?.push({ data: c.columnData as ArrayLike<unknown>, rowStart: c.rowStart });
    },
  });
  return fields.map((f) =>
    buildColumn(f, chunks.get(f.name)!, part.rowStart, length, scales.get(f.name) ?? 1),
  );
}

type Chunk = { data: ArrayLike<unknown>; rowStart: number };

/** Values of one column over [rowStart, rowStart + length), from chunks that may overhang it. */
function gather(chunks: readonly Chunk[], rowStart: number, length: number): ArrayLike<unknown>[] {
  const sorted = [...chunks].sort((a, b) => a.rowStart - b.rowStart);
  const pieces: ArrayLike<unknown>[] = [];
  for (const c of sorted) {
    const lo = Math.max(0, rowStart - c.rowStart);
    const hi = Math.min(c.data.length, rowStart + length - c.rowStart);
    if (hi <= lo) continue;
    const d = c.data as unknown as {
      subarray?: (a: number, b: number) => ArrayLike<unknown>;
      slice: (a: number, b: number) => ArrayLike<unknown>;
    };
    pieces.push(
      lo === 0 && hi === c.data.length ? c.data : d.subarray ? d.subarray(lo, hi) : d.slice(lo, hi),
    );
  }
  return pieces;
}

/**
 * The footer with INT64 timestamp and INT32 date columns stripped of their annotations, so
 * hyparquet hands back their raw typed arrays instead of an array of converted values, and the
 * divisor that turns each timestamp column's raw unit into milliseconds.
 */
function rawTemporal(meta: FileMetaData): { metadata: FileMetaData; scales: Map<string, number> } {
  const scales = new Map<string, number>();
  const schema = meta.schema.map((el) => {
    const unit = timestampUnit(el);
    const isDate =
      el.type === "INT32" && (el.converted_type === "DATE" || el.logical_type?.type === "DATE");
    if (unit === undefined && !isDate) return el;
    if (unit !== undefined) scales.set(el.name, toMilliseconds(unit));
    const { converted_type: _c, logical_type: _l, ...raw } = el;
    return raw;
  });
  return { metadata: { ...meta, schema }, scales };
}

function timestampUnit(el: SchemaElement): "MILLIS" | "MICROS" | "NANOS" | undefined {
  if (el.type !== "INT64") return undefined;
  if (el.logical_type?.type === "TIMESTAMP") return el.logical_type.unit;
  if (el.converted_type === "TIMESTAMP_MILLIS") return "MILLIS";
  if (el.converted_type === "TIMESTAMP_MICROS") return "MICROS";
  return undefined;
}

/** What a stored number is divided by: 10^scale for a decimal, else timestampUnit's divisor. */
function divisorOf(el: SchemaElement): number {
  if (isDecimal(el)) {
    const logical = el.logical_type;
    return 10 ** (el.scale ?? (logical?.type === "DECIMAL" ? logical.scale : 0));
  }
  return toMilliseconds(timestampUnit(el));
}

/** The divisor from a timestamp unit to milliseconds (1 for none). */
function toMilliseconds(unit: "MILLIS" | "MICROS" | "NANOS" | undefined): number {
  return unit === undefined || unit === "MILLIS" ? 1 : unit === "MICROS" ? 1e3 : 1e6;
}

function buildColumn(
  field: Field,
  chunks: readonly Chunk[],
  rowStart: number,
  length: number,
  scale: number,
): Column {
  const pieces = gather(chunks, rowStart, length);
  const type = field.type;
  if (type === "dict") return dictFromPieces(pieces, length);
  if (type === "utf8") {
    const strings: (string | null)[] = new Array(length);
    let k = 0;
    for (const p of pieces) for (let i = 0; i < p.length; i++) strings[k++] = toStr(p[i]);
    return utf8Column(strings);
  }
  const data =
    type === "int64"
      ? new BigInt64Array(length)
      : type === "float64" || type === "timestamp"
        ? new Float64Array(length)
        : type === "bool"
          ? new Uint8Array(length)
          : new Int32Array(length);
  let hasNull = false;
  let k = 0;
  for (const p of pieces) {
    if (ArrayBuffer.isView(p) && p.constructor === data.constructor) {
      (data as Int32Array).set(p as Int32Array, k);
      k += p.length;
      continue;
    }
    if (type === "timestamp" && p instanceof BigInt64Array) {
      const raw = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
      int64sInto(raw, 0, p.length, scale, data as Float64Array, k);
      k += p.length;
      continue;
    }
    if (type === "timestamp" && scale !== 1) {
      hasNull = fillScaled(p, data as Float64Array, k, scale) || hasNull;
      k += p.length;
      continue;
    }
    if (type === "int64") hasNull = fillBigInts(p, data as BigInt64Array, k) || hasNull;
    else if (type === "bool") hasNull = fillBools(p, data as Uint8Array, k) || hasNull;
    else hasNull = fillNumbers(p, data as Float64Array | Int32Array, k) || hasNull;
    k += p.length;
  }
  const valid = hasNull ? validFrom(length, (i) => isNullAt(pieces, i)) : undefined;
  return { type, length, data, valid };
}

/* One monomorphic loop per target kind; each returns whether it met a null. */

function fillNumbers(p: ArrayLike<unknown>, data: Float64Array | Int32Array, k: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (typeof v === "number") data[k + i] = v;
    else if (v === null || v === undefined) hasNull = true;
    else data[k + i] = v instanceof Date ? v.getTime() : Number(v);
  }
  return hasNull;
}

function fillScaled(p: ArrayLike<unknown>, data: Float64Array, k: number, scale: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined) hasNull = true;
    else data[k + i] = Number(v) / scale;
  }
  return hasNull;
}

function fillBigInts(p: ArrayLike<unknown>, data: BigInt64Array, k: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined) hasNull = true;
    else data[k + i] = BigInt(v as bigint);
  }
  return hasNull;
}

function fillBools(p: ArrayLike<unknown>, data: Uint8Array, k: number): boolean {
  let hasNull = false;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (v === null || v === undefined) hasNull = true;
    else data[k + i] = v === true ? 1 : 0;
  }
  return hasNull;
}

function isNullAt(pieces: readonly ArrayLike<unknown>[], i: number): boolean {
  for (const p of pieces) {
    if (i < p.length) return p[i] === null || p[i] === undefined;
    i -= p.length;
  }
  return true;
}

function toStr(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return String(v);
}

/**
 * A dict column straight from hyparquet's values (no intermediate array of strings): codes by a
 * Map of the distinct strings, with the previous value's code reused when the next value is the
 * same string (dictionary-decoded pages repeat the same string objects, so runs are common).
 */
function dictFromPieces(pieces: readonly ArrayLike<unknown>[], length: number): Column {
  const codes = new Int32Array(length);
  const index = new Map<string, number>();
  const distinct: string[] = [];
  let nulls: Uint8Array | undefined;
  let last: string | undefined;
  let lastCode = -1;
  let k = 0;
  for (const p of pieces) {
    for (let i = 0; i < p.length; i++, k++) {
      const v = p[i];
      if (v === last) {
        codes[k] = lastCode;
        continue;
      }
      const s = typeof v === "string" ? v : toStr(v);
      if (s === null) {
        nulls ??= new Uint8Array(length);
        nulls[k] = 1;
        continue;
      }
      let code = index.get(s);
      if (code === undefined) {
        code = distinct.length;
        index.set(s, code);
        distinct.push(s);
      }
      codes[k] = code;
      last = s;
      lastCode = code;
    }
  }
  const valid = nulls === undefined ? undefined : validFromNullFlags(nulls, length);
  return { type: "dict", length, data: codes, dictionary: utf8Column(distinct), valid };
}
