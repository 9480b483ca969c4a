/**
 * Decoding flat Parquet column chunks straight into a batch's typed arrays: hyparquet parses the
 * page headers (thrift) and decompresses the pages (hyparquet-compressors' codecs: snappy,
 * zstd, gzip, lz4, brotli); this file reads the levels and indices and places the values.
 * Fixed-width PLAIN values are one byte copy into the column's typed array; strings become
 * entry numbers of one string store per column (parquet-strings.ts), so a dictionary-encoded
 * string column stays codes and no string is made per row.
 *
 * The shapes common writers (DuckDB, Polars, pyarrow, Spark) produce take this path: REQUIRED
 * or OPTIONAL flat columns; DATA_PAGE and DATA_PAGE_V2; PLAIN, RLE_DICTIONARY/PLAIN_DICTIONARY
 * (also a dictionary that falls back to plain pages within a chunk), BYTE_STREAM_SPLIT,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY encodings of BOOLEAN,
 * INT32, INT64, INT96 (timestamps), FLOAT, DOUBLE, decimals (INT32, INT64,
 * FIXED_LEN_BYTE_ARRAY) and BYTE_ARRAY strings. Anything else (nested columns, byte-array
 * decimals, FLOAT16) answers false, and the caller reads that column with hyparquet's general
 * reader instead.
 */

import type { ColumnMetaData, Compressors, PageHeader, SchemaElement } from "hyparquet";
import { snappyUncompress } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { decompressPage } from "hyparquet/src/datapage.js";
import { deltaBinaryUnpack } from "hyparquet/src/delta.js";
import { byteStreamSplit } from "hyparquet/src/encoding.js";
import type { Column, DType } from "../kernels/batch.js";
import { allocData } from "../kernels/column.js";
import { giveBack, takeScratch, takeScratchInt32 } from "../kernels/scratch.js";
import { validFrom } from "./columns.js";
import { unpackIndices } from "./parquet-indices.js";
import { readLevels } from "./parquet-levels.js";
import { StringEntries } from "./parquet-strings.js";
import { isDecimal, plainInto, type ValueTarget } from "./parquet-values.js";
import { snappyWasm } from "./snappy.js";

/** Where one column chunk's values go: rows [at, at + rows) of `out`. */
export interface ChunkTarget extends ValueTarget {
  readonly type: DType;
  /** One byte per row, 1 for null; made on the first null. */
  nulls: Uint8Array | undefined;
  /** Whether `data` is scratch memory (for a utf8 target, given back once gathered). */
  readonly scratch: boolean;
}

/**
 * A target for a column of `length` rows of `type`. With `scratch`, its values array comes from
 * the scratch pool (uninitialised: decoding writes every row), for a caller that gives the
 * batch's buffers back once it is done with them. String columns (dict and utf8) hold entry
 * numbers of a string store per row until the column is made.
 */
export function chunkTarget(
  type: DType,
  length: number,
  scale: number,
  scratch = false,
): ChunkTarget {
  if (type === "utf8" || type === "dict") {
    const codes = scratch || type === "utf8" ? takeScratchInt32(length) : new Int32Array(length);
    const strings = new StringEntries(type === "dict");
    return {
      type,
      scale,
      data: codes,
      nulls: undefined,
      strings,
      scratch: scratch || type === "utf8",
    };
  }
  const data = scratch ? scratchData(type, length) : allocData(type, length);
  return { type, scale, data, nulls: undefined, strings: undefined, scratch };
}

/** An uninitialised values array of `type` over scratch memory. */
function scratchData(type: DType, n: number): ChunkTarget["data"] {
  if (type === "float64" || type === "timestamp")
    return new Float64Array(takeScratch(n * 8).buffer, 0, n);
  if (type === "int64") return new BigInt64Array(takeScratch(n * 8).buffer, 0, n);
  if (type === "bool") return takeScratch(n);
  return takeScratchInt32(n);
}

/** The finished column. */
export function targetColumn(t: ChunkTarget, length: number): Column {
  const nulls = t.nulls;
  const valid = nulls === undefined ? undefined : validFrom(length, (i) => nulls[i] === 1);
  try {
    if (t.type === "dict")
      return { type: "dict", length, data: t.data, dictionary: t.strings!.column(), valid };
    if (t.type === "utf8") {
      const col = t.strings!.gather(t.data as Int32Array, length, nulls);
      giveBack(t.data);
      return { ...col, valid };
    }
    return { type: t.type, length, data: t.data, valid };
  } finally {
    if (nulls !== undefined) giveBack(nulls);
  }
}

/** True when this file's column can take the fast path into a column of `type`. */
export function fastPathFits(el: SchemaElement, type: DType): boolean {
  if (el.repetition_type === "REPEATED") return false;
  const conv = el.converted_type;
  const logical = el.logical_type?.type;
  switch (el.type) {
    case "BOOLEAN":
      return type === "bool";
    case "INT32":
      if (type === "date") return true;
      if (type === "float64") return isDecimal(el);
      return type === "int32" && (conv === undefined || conv === "INT_32" || logical === "INTEGER");
    case "INT64":
      if (type === "timestamp")
        return (
          logical === "TIMESTAMP" || conv === "TIMESTAMP_MILLIS" || conv === "TIMESTAMP_MICROS"
        );
      if (type === "float64") return isDecimal(el);
      return type === "int64" && (conv === undefined || conv === "INT_64" || logical === "INTEGER");
    case "INT96":
      return type === "timestamp";
    case "FLOAT":
    case "DOUBLE":
      return type === "float64";
    case "FIXED_LEN_BYTE_ARRAY":
      return type === "float64" && isDecimal(el);
    case "BYTE_ARRAY":
      return (type === "dict" || type === "utf8") && !isDecimal(el);
    default:
      return false;
  }
}

/**
 * Decodes one column chunk (its bytes from the first page to the end of the chunk) into rows
 * [at, at + rows) of the target. False when a page needs what the fast path does not do; the
 * target's rows are then unspecified and the caller reads the column another way.
 */
export function decodeChunk(
  bytes: Uint8Array,
  meta: ColumnMetaData,
  el: SchemaElement,
  target: ChunkTarget,
  at: number,
  rows: number,
  compressors: Compressors,
): boolean {
  const optional = el.repetition_type === "OPTIONAL";
  const reader = {
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    offset: 0,
  };
  let dictionary: Int32Array | Float64Array | BigInt64Array | undefined;
  let k = at;
  const end = at + rows;
  while (k < end && reader.offset < bytes.length) {
    const header = parquetHeader(reader);
    const body = bytes.subarray(reader.offset, reader.offset + header.compressed_page_size);
    reader.offset += header.compressed_page_size;
    const held: Uint8Array[] = [];
    try {
      if (header.type === "DICTIONARY_PAGE") {
        const n = header.dictionary_page_header?.num_values ?? 0;
        const page = decompress(body, header.uncompressed_page_size, meta, compressors, held);
        const d = readDictionary(page, n, el, target);
        if (d === undefined) return false;
        dictionary = d;
        continue;
      }
      if (header.type === "INDEX_PAGE") continue;
      const page = dataPage(body, header, meta, optional, compressors, held);
      if (page === undefined) return false;
      const n = Math.min(page.numValues, end - k);
      if (!placeValues(page, target, dictionary, el, k, n)) return false;
      if (page.defs !== undefined) spreadNulls(target, page, k, n);
      k += n;
    } finally {
      for (const v of held) giveBack(v);
    }
  }
  return k === end;
}

/**
 * A page's bytes decompressed. Snappy (the common codec) goes through hysnappy's wasm decoder,
 * whose output is a view into the module's memory, valid until the next page is decompressed
 * (every caller here is done with a page before it decompresses the next); without the wasm
 * module, hyparquet's JavaScript decoder writes into pooled scratch memory, which is added to
 * `held` for the caller to give back. Other codecs go through hyparquet-compressors.
 */
function decompress(
  body: Uint8Array,
  size: number,
  meta: ColumnMetaData,
  compressors: Compressors,
  held: Uint8Array[],
): Uint8Array {
  if (meta.codec !== "SNAPPY" || size === 0)
    return decompressPage(body, size, meta.codec, compressors);
  const wasm = snappyWasm();
  if (wasm !== undefined) return wasm(body, size);
  const out = takeScratch(size);
  held.push(out);
  snappyUncompress(body, out);
  return out;
}

/** A data page with its values' bytes located (decompressed) and its definition levels read. */
interface DataPageView {
  readonly numValues: number;
  readonly encoding: string;
  /** Decompressed values section. */
  readonly values: Uint8Array;
  /** Definition levels (1 = present), only when the page has a null. */
  readonly defs: Uint8Array | undefined;
  /** Values actually stored (numValues minus nulls). */
  readonly present: number;
}

function dataPage(
  body: Uint8Array,
  header: PageHeader,
  meta: ColumnMetaData,
  optional: boolean,
  compressors: Compressors,
  held: Uint8Array[],
): DataPageView | undefined {
  if (header.type === "DATA_PAGE" && header.data_page_header !== undefined) {
    const h = header.data_page_header;
    const page = decompress(body, header.uncompressed_page_size, meta, compressors, held);
    let defs: Uint8Array | undefined;
    let present = h.num_values;
    let offset = 0;
    if (optional) {
      // v1 levels start with their byte length.
      if (h.definition_level_encoding !== "RLE" || page.length < 4) return undefined;
      const size = new DataView(page.buffer, page.byteOffset, 4).getUint32(0, true);
      if (4 + size > page.length) return undefined;
      defs = takeScratch(h.num_values);
      held.push(defs);
      const levels = readLevels(page, 4, 4 + size, h.num_values, defs);
      if (levels === undefined) return undefined;
      present = levels.present;
      if (levels.all) defs = undefined;
      offset = 4 + size;
    }
    const values = page.subarray(offset);
    return { numValues: h.num_values, encoding: h.encoding, values, defs, present };
  }
  if (header.type === "DATA_PAGE_V2" && header.data_page_header_v2 !== undefined) {
    const h = header.data_page_header_v2;
    if (h.repetition_levels_byte_length !== 0) return undefined;
    const levelBytes = h.definition_levels_byte_length;
    let defs: Uint8Array | undefined;
    if (optional && h.num_nulls > 0) {
      defs = takeScratch(h.num_values);
      held.push(defs);
      if (readLevels(body, 0, levelBytes, h.num_values, defs) === undefined) return undefined;
    }
    const rest = body.subarray(levelBytes);
    const size = header.uncompressed_page_size - levelBytes;
    const values =
      h.is_compressed === false || size === 0
        ? rest
        : decompress(rest, size, meta, compressors, held);
    const present = h.num_values - h.num_nulls;
    return { numValues: h.num_values, encoding: h.encoding, values, defs, present };
  }
  return undefined;
}

/** Writes the page's `present` values to rows [k, k + present) of the target. */
function placeValues(
  page: DataPageView,
  target: ChunkTarget,
  dictionary: Int32Array | Float64Array | BigInt64Array | undefined,
  el: SchemaElement,
  k: number,
  n: number,
): boolean {
  const count = Math.min(page.present, n);
  switch (page.encoding) {
    case "PLAIN":
      return plainInto(page.values, 0, count, el, target, k);
    case "BYTE_STREAM_SPLIT":
    case "DELTA_BINARY_PACKED": {
      if (target.strings !== undefined) return false;
      const plain = unsplit(page, el, count);
      return plain !== undefined && plainInto(plain, 0, count, el, target, k);
    }
    case "DELTA_LENGTH_BYTE_ARRAY":
    case "DELTA_BYTE_ARRAY":
      return target.strings !== undefined && deltaStringsInto(page, target, k, count);
    case "RLE_DICTIONARY":
    case "PLAIN_DICTIONARY":
      break;
    default:
      return false;
  }
  if (page.values.length === 0 || dictionary === undefined) return false;
  const width = page.values[0]!;
  const runs = page.values.subarray(1);
  if (target.strings !== undefined)
    return unpackIndices(
      runs,
      width,
      dictionary as Int32Array,
      target.data as Int32Array,
      k,
      count,
    );
  // Numbers: indices first (mapped to themselves, which bounds-checks them), then the values.
  const codes = takeScratchInt32(count);
  const self = takeScratchInt32(dictionary.length);
  try {
    for (let i = 0; i < self.length; i++) self[i] = i;
    if (!unpackIndices(runs, width, self, codes, 0, count)) return false;
    gatherInto(target.data, dictionary, codes, k, count);
  } finally {
    giveBack(codes);
    giveBack(self);
  }
  return true;
}

/** BYTE_STREAM_SPLIT or DELTA_BINARY_PACKED values as PLAIN bytes (hyparquet decodes them). */
function unsplit(page: DataPageView, el: SchemaElement, count: number): Uint8Array | undefined {
  const reader = {
    view: new DataView(page.values.buffer, page.values.byteOffset, page.values.byteLength),
    offset: 0,
  };
  let out: ArrayBufferView;
  if (page.encoding === "BYTE_STREAM_SPLIT") {
    if (el.type !== "DOUBLE" && el.type !== "FLOAT" && el.type !== "INT32" && el.type !== "INT64")
      return undefined;
    if (page.values.length < count * (el.type === "INT32" || el.type === "FLOAT" ? 4 : 8))
      return undefined;
    out = byteStreamSplit(reader, count, el.type, undefined) as unknown as ArrayBufferView;
  } else {
    if (el.type !== "INT32" && el.type !== "INT64") return undefined;
    const ints = el.type === "INT32" ? new Int32Array(count) : new BigInt64Array(count);
    deltaBinaryUnpack(reader, count, ints);
    out = ints;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * DELTA_LENGTH_BYTE_ARRAY (delta-packed lengths, then the bytes) and DELTA_BYTE_ARRAY (each
 * value a prefix of the one before and a suffix) string pages, as entries of the target's
 * strings. A value of a DELTA_BYTE_ARRAY page is put together in scratch memory first.
 */
function deltaStringsInto(
  page: DataPageView,
  target: ChunkTarget,
  k: number,
  count: number,
): boolean {
  const v = page.values;
  const reader = { view: new DataView(v.buffer, v.byteOffset, v.byteLength), offset: 0 };
  const out = target.data as Int32Array;
  const strings = target.strings!;
  if (count === 0) return true;
  const prefixes = page.encoding === "DELTA_BYTE_ARRAY" ? new Int32Array(count) : undefined;
  if (prefixes !== undefined) deltaBinaryUnpack(reader, count, prefixes);
  const lengths = new Int32Array(count);
  deltaBinaryUnpack(reader, count, lengths);
  let off = reader.offset;
  if (prefixes === undefined) {
    for (let i = 0; i < count; i++) {
      const len = lengths[i]!;
      if (len < 0 || off + len > v.length) return false;
      out[k + i] = strings.add(v, off, len);
      off += len;
    }
    return true;
  }
  let value = new Uint8Array(64);
  for (let i = 0; i < count; i++) {
    const pre = prefixes[i]!;
    const len = lengths[i]!;
    if (pre < 0 || len < 0 || off + len > v.length || (i === 0 && pre > 0)) return false;
    if (pre + len > value.length) {
      const grown = new Uint8Array(Math.max(pre + len, value.length * 2));
      grown.set(value);
      value = grown;
    }
    value.set(v.subarray(off, off + len), pre);
    out[k + i] = strings.add(value, 0, pre + len);
    off += len;
  }
  return true;
}

function gatherInto(
  out: Int32Array | Float64Array | BigInt64Array | Uint8Array,
  dict: Int32Array | Float64Array | BigInt64Array,
  codes: Int32Array,
  k: number,
  count: number,
): void {
  if (out instanceof Float64Array) {
    const d = dict as Float64Array;
    for (let i = 0; i < count; i++) out[k + i] = d[codes[i]!]!;
  } else if (out instanceof Int32Array) {
    const d = dict as Int32Array;
    for (let i = 0; i < count; i++) out[k + i] = d[codes[i]!]!;
  } else if (out instanceof BigInt64Array) {
    const d = dict as BigInt64Array;
    for (let i = 0; i < count; i++) out[k + i] = d[codes[i]!]!;
  }
}

/**
 * A dictionary page: for strings, a map from the chunk's dictionary index to the entry of the
 * target's strings; for numbers, the values converted to the target's type.
 */
function readDictionary(
  page: Uint8Array,
  n: number,
  el: SchemaElement,
  target: ChunkTarget,
): Int32Array | Float64Array | BigInt64Array | undefined {
  if (target.type === "bool") return undefined;
  const map = target.strings !== undefined ? new Int32Array(n) : undefined;
  const probe =
    map === undefined ? chunkTarget(target.type, n, target.scale) : { ...target, data: map };
  if (!plainInto(page, 0, n, el, probe, 0)) return undefined;
  return probe.data as Int32Array | Float64Array | BigInt64Array;
}

/**
 * Moves the `present` values written compactly at rows [k, ...) to the rows whose definition
 * level is 1, from the end backwards (in place), and marks the others null.
 */
function spreadNulls(target: ChunkTarget, page: DataPageView, k: number, n: number): void {
  const defs = page.defs!;
  target.nulls ??= takeScratch(target.data.length).fill(0);
  const nulls = target.nulls;
  const out = target.data;
  let src = k + (n === page.numValues ? page.present : countOnes(defs.subarray(0, n))) - 1;
  for (let i = n - 1; i >= 0; i--) {
    if (defs[i] === 1) {
      out[k + i] = out[src--]!;
    } else {
      nulls[k + i] = 1;
      if (out instanceof BigInt64Array) out[k + i] = 0n;
      else out[k + i] = 0;
    }
  }
}

function countOnes(a: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) n += a[i]!;
  return n;
}
