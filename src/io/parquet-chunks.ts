/**
 * Decoding flat Parquet column chunks straight into a batch's typed arrays: hyparquet parses the
 * page headers (thrift), decompresses the pages (hyparquet-compressors' codecs) and expands the
 * RLE/bit-packed runs (definition levels, dictionary indices); this file only places the values.
 * Fixed-width PLAIN values are one byte copy into the column's typed array; dictionary-encoded
 * strings stay codes (the chunk's dictionary becomes the column's), so no string is made per row.
 *
 * The common shapes take this path: REQUIRED or OPTIONAL flat columns; DATA_PAGE and
 * DATA_PAGE_V2; PLAIN, RLE_DICTIONARY/PLAIN_DICTIONARY, BYTE_STREAM_SPLIT and DELTA_BINARY_PACKED
 * encodings of BOOLEAN (plain), INT32, INT64, FLOAT, DOUBLE and UTF-8 BYTE_ARRAY (dictionary
 * into dict columns, PLAIN into utf8 columns: the bytes copied, no string per row) columns.
 * Anything else (a dictionary-encoded page of a utf8 column, other delta encodings, decimals, INT96,
 * nested columns) answers false, and the caller reads that column with hyparquet's general
 * reader instead.
 */

import type { ColumnMetaData, Compressors, PageHeader, SchemaElement } from "hyparquet";
import { snappyUncompress } from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import { decompressPage } from "hyparquet/src/datapage.js";
import { deltaBinaryUnpack } from "hyparquet/src/delta.js";
import { byteStreamSplit, readRleBitPackedHybrid } from "hyparquet/src/encoding.js";
import type { Column, DType } from "../kernels/batch.js";
import { allocData } from "../kernels/column.js";
import { giveBack, takeScratch, takeScratchInt32 } from "../kernels/scratch.js";
import { utf8Column, validFrom } from "./columns.js";
import { unpackIndices } from "./parquet-indices.js";
import { snappyWasm } from "./snappy.js";

/** Where one column chunk's values go: rows [at, at + rows) of `out`. */
export interface ChunkTarget {
  readonly type: DType;
  /** Divisor from the file's timestamp unit to milliseconds (timestamp only). */
  readonly scale: number;
  readonly data: Int32Array | Float64Array | BigInt64Array | Uint8Array;
  /** One byte per row, 1 for null; made on the first null. */
  nulls: Uint8Array | undefined;
  /** dict only: the strings of every chunk so far, and their codes. */
  readonly strings: string[];
  readonly codeOf: Map<string, number>;
  /** utf8 only: the values' bytes so far and each row's end offset. */
  readonly utf8?: { offsets: Int32Array; bytes: Uint8Array; pos: number };
}

/**
 * A target for a column of `length` rows of `type`. With `scratch`, its values array comes from
 * the scratch pool (uninitialised: decoding writes every row), for a caller that gives the
 * batch's buffers back once it is done with them.
 */
export function chunkTarget(
  type: DType,
  length: number,
  scale: number,
  scratch = false,
): ChunkTarget | undefined {
  if (type === "utf8") {
    const utf8 = { offsets: new Int32Array(length + 1), bytes: new Uint8Array(1024), pos: 0 };
    return {
      type,
      scale,
      data: new Uint8Array(0),
      nulls: undefined,
      strings: [],
      codeOf: new Map(),
      utf8,
    };
  }
  const data = scratch ? scratchData(type, length) : allocData(type, length);
  return { type, scale, data, nulls: undefined, strings: [], codeOf: new Map() };
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
  if (nulls !== undefined) giveBack(nulls);
  if (t.type === "dict") {
    return { type: "dict", length, data: t.data, dictionary: utf8Column(t.strings), valid };
  }
  if (t.utf8 !== undefined) {
    const { offsets, bytes, pos } = t.utf8;
    return { type: "utf8", length, data: bytes.slice(0, pos), offsets, valid };
  }
  return { type: t.type, length, data: t.data, valid };
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
      return type === "int32" && (conv === undefined || conv === "INT_32" || logical === "INTEGER");
    case "INT64":
      if (type === "timestamp")
        return (
          logical === "TIMESTAMP" || conv === "TIMESTAMP_MILLIS" || conv === "TIMESTAMP_MICROS"
        );
      return type === "int64" && (conv === undefined || conv === "INT_64" || logical === "INTEGER");
    case "FLOAT":
    case "DOUBLE":
      return type === "float64";
    case "BYTE_ARRAY":
      return (type === "dict" || type === "utf8") && conv !== "DECIMAL";
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
      const page = dataPage(body, header, meta, optional, compressors, held);
      if (page === undefined) return false;
      const n = Math.min(page.numValues, end - k);
      if (target.utf8 !== undefined) {
        if (page.encoding !== "PLAIN" || !plainStrings(page, target, k, n)) return false;
      } else {
        if (!placeValues(page, target, dictionary, el, k, n)) return false;
        if (page.defs !== undefined) spreadNulls(target, page.defs, k, n);
      }
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
    const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: 0 };
    let defs: Uint8Array | undefined;
    let present = h.num_values;
    if (optional) {
      if (h.definition_level_encoding !== "RLE") return undefined;
      defs = takeScratch(h.num_values);
      held.push(defs);
      readRleBitPackedHybrid(reader, 1, defs); // v1 levels start with their byte length
      present = countOnes(defs);
      if (present === h.num_values) defs = undefined;
    }
    const values = page.subarray(reader.offset);
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
      const reader = { view: new DataView(body.buffer, body.byteOffset, levelBytes), offset: 0 };
      readRleBitPackedHybrid(reader, 1, defs, levelBytes);
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
  if (page.encoding === "PLAIN") {
    if (target.type === "dict") return false;
    return plainInto(page.values, 0, count, el, target, k);
  }
  if (page.encoding === "BYTE_STREAM_SPLIT" || page.encoding === "DELTA_BINARY_PACKED") {
    const plain = unsplit(page, el, count);
    return plain !== undefined && plainInto(plain, 0, count, el, target, k);
  }
  if (page.encoding !== "RLE_DICTIONARY" && page.encoding !== "PLAIN_DICTIONARY") return false;
  if (page.values.length === 0) return false;
  if (dictionary === undefined) return false;
  const width = page.values[0]!;
  const runs = page.values.subarray(1);
  if (target.type === "dict")
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

/**
 * A PLAIN BYTE_ARRAY page (4-byte little-endian length, then the bytes, per present value) into
 * rows [k, k + n) of a utf8 target: the bytes are copied, and a row whose definition level is 0
 * is null (an empty value). False when the page is shorter than its values say.
 */
function plainStrings(page: DataPageView, target: ChunkTarget, k: number, n: number): boolean {
  const u = target.utf8!;
  const src = page.values;
  const defs = page.defs;
  // The values' bytes are at most the page's: grow once, not per value.
  if (u.pos + src.length > u.bytes.length) {
    const grown = new Uint8Array(Math.max(u.pos + src.length, u.bytes.length * 2));
    grown.set(u.bytes.subarray(0, u.pos));
    u.bytes = grown;
  }
  const { offsets, bytes } = u;
  let pos = u.pos;
  let off = 0;
  for (let i = 0; i < n; i++) {
    if (defs !== undefined && defs[i] === 0) {
      target.nulls ??= takeScratch(offsets.length).fill(0);
      target.nulls[k + i] = 1;
    } else {
      if (off + 4 > src.length) return false;
      const len = src[off]! | (src[off + 1]! << 8) | (src[off + 2]! << 16) | (src[off + 3]! << 24);
      off += 4;
      if (len < 0 || off + len > src.length) return false;
      if (len < 16) for (let q = 0; q < len; q++) bytes[pos + q] = src[off + q]!;
      else bytes.set(src.subarray(off, off + len), pos);
      pos += len;
      off += len;
    }
    offsets[k + i + 1] = pos;
  }
  u.pos = pos;
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
 * A dictionary page: for strings, a map from the chunk's dictionary index to the column's code
 * (strings are added to the target's list on first sight); for numbers, the values converted to
 * the target's type.
 */
function readDictionary(
  page: Uint8Array,
  n: number,
  el: SchemaElement,
  target: ChunkTarget,
): Int32Array | Float64Array | BigInt64Array | undefined {
  if (target.type === "dict") {
    if (el.type !== "BYTE_ARRAY") return undefined;
    const map = new Int32Array(n);
    const view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    let off = 0;
    for (let i = 0; i < n; i++) {
      if (off + 4 > page.length) return undefined;
      const len = view.getUint32(off, true);
      off += 4;
      const s = decoder.decode(page.subarray(off, off + len));
      off += len;
      let code = target.codeOf.get(s);
      if (code === undefined) {
        code = target.strings.length;
        target.codeOf.set(s, code);
        target.strings.push(s);
      }
      map[i] = code;
    }
    return map;
  }
  if (target.type === "bool") return undefined;
  const probe = chunkTarget(target.type, n, target.scale);
  if (probe === undefined || !plainInto(page, 0, n, el, probe, 0)) return undefined;
  return probe.data as Int32Array | Float64Array | BigInt64Array;
}

const decoder = new TextDecoder();

/** `count` PLAIN values of the column's physical type from `bytes[off..]` to rows k.. of `out`. */
function plainInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  el: SchemaElement,
  target: ChunkTarget,
  k: number,
): boolean {
  const out = target.data;
  const width = el.type === "INT32" || el.type === "FLOAT" ? 4 : el.type === "BOOLEAN" ? 0 : 8;
  if (width > 0 && off + count * width > bytes.length) return false;
  switch (el.type) {
    case "DOUBLE":
    case "INT64":
      if (target.type === "timestamp") {
        timestampsInto(bytes, off, count, target.scale, out as Float64Array, k);
        return true;
      }
      copyBytes(bytes, off, count * 8, out, k * 8);
      return true;
    case "INT32":
      copyBytes(bytes, off, count * 4, out, k * 4);
      return true;
    case "FLOAT": {
      const f = new Float32Array(count);
      copyBytes(bytes, off, count * 4, f, 0);
      (out as Float64Array).set(f, k);
      return true;
    }
    case "BOOLEAN": {
      if (off + Math.ceil(count / 8) > bytes.length) return false;
      const o = out as Uint8Array;
      for (let i = 0; i < count; i++) o[k + i] = (bytes[off + (i >> 3)]! >> (i & 7)) & 1;
      return true;
    }
    default:
      return false;
  }
}

/** Little-endian bytes into a typed array's memory (the machines Barn runs on are little-endian). */
function copyBytes(
  src: Uint8Array,
  off: number,
  n: number,
  out: ArrayBufferView,
  outByte: number,
): void {
  new Uint8Array(out.buffer, out.byteOffset + outByte, n).set(src.subarray(off, off + n));
}

/**
 * INT64 timestamps in the file's unit (little-endian bytes) to float64 milliseconds, from the
 * two 32-bit halves (no BigInt per value).
 */
export function timestampsInto(
  bytes: Uint8Array,
  off: number,
  count: number,
  scale: number,
  out: Float64Array,
  k: number,
): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + off, count * 8);
  for (let i = 0; i < count; i++) {
    const lo = view.getUint32(i * 8, true);
    const hi = view.getInt32(i * 8 + 4, true);
    out[k + i] = (hi * 4294967296 + lo) / scale;
  }
}

/**
 * Moves the `present` values written compactly at rows [k, ...) to the rows whose definition
 * level is 1, from the end backwards (in place), and marks the others null.
 */
function spreadNulls(target: ChunkTarget, defs: Uint8Array, k: number, n: number): void {
  target.nulls ??= takeScratch(target.data.length).fill(0);
  const nulls = target.nulls;
  const out = target.data;
  let src = k + countOnes(defs.subarray(0, n)) - 1;
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
