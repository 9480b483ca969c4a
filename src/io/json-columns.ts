/**
 * The JSON lines reader's column builders: each turns one wanted key's located values
 * (json-scan.ts, a chunk of rows at a time) into a typed column, straight from the bytes.
 * What a value may be, per column type (the same rules as reading through JSON.parse):
 * utf8 / dict take strings, and objects or arrays as their JSON text; numbers take JSON numbers
 * (int64 also a string of digits, and integers beyond 2^53 exactly); bool takes true/false;
 * date / timestamp take ISO strings. null and a missing key are null; any other value is bad
 * (`onBad`: an error naming the line, or a dropped row under onBadLines: "skip").
 */

import type { Column, DType } from "../kernels/batch.js";
import { utf8Column } from "./columns.js";
import { floatFromBytes, intFromBytes, timestampFromBytes } from "./csv-fast.js";
import { fit, growTo, NullRows, type NumberArray } from "./growable.js";
import {
  decodeString,
  type JsonChunk,
  KIND_FALSE,
  KIND_NESTED,
  KIND_NULL,
  KIND_NUMBER,
  KIND_SIDE,
  KIND_STRING,
  KIND_TRUE,
} from "./json-scan.js";
import type { OnBadValue } from "./text-columns.js";
import { parseDate, parseInt32, parseInt64, parseTimestamp } from "./text-values.js";

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Builds one column from chunks of located values (`add`, rows in order), then `finish`. */
export interface JsonColumnBuilder {
  /** Converts value `t` of every row of `chunk`; false when `onBad` asked to stop. */
  add(bytes: Uint8Array, chunk: JsonChunk, t: number, rowBase: number): boolean;
  /**
   * Checks value `t` of the chunk rows `rows[0, n)` without keeping them (rows a pushed-down
   * filter dropped must still be of their column's type): `onBad(row in chunk, text)` for each
   * bad one; false when it asked to stop.
   */
  check(
    bytes: Uint8Array,
    chunk: JsonChunk,
    t: number,
    rows: Int32Array,
    n: number,
    onBad: (row: number, text: string) => boolean,
  ): boolean;
  /** The column of the `length` rows added. */
  finish(length: number): Column;
}

/** Checks that strings-or-nested columns (utf8, dict) take the value kinds of `rows`. */
function checkStrings(
  bytes: Uint8Array,
  chunk: JsonChunk,
  t: number,
  rows: Int32Array,
  n: number,
  onBad: (row: number, text: string) => boolean,
): boolean {
  const { ncols, kinds } = chunk;
  for (let r = 0; r < n; r++) {
    const i = rows[r]!;
    const k = kinds[i * ncols + t]!;
    if (k <= KIND_NULL || (k & 7) === KIND_STRING || k === KIND_NESTED) continue;
    if (!onBad(i, valueText(bytes, chunk, i * ncols + t))) return false;
  }
  return true;
}

/** A builder of a column of `type`, its arrays allocated for `capacity` rows (grown when short). */
export function jsonColumnBuilder(
  type: DType,
  capacity: number,
  onBad: OnBadValue,
): JsonColumnBuilder {
  if (type === "utf8") return new Utf8Builder(capacity, onBad);
  if (type === "dict") return new DictBuilder(capacity, onBad);
  return new ValueBuilder(type, capacity, onBad);
}

/** The JSON text of value j of a chunk, for an error message. */
export function valueText(bytes: Uint8Array, chunk: JsonChunk, j: number): string {
  const k = chunk.kinds[j]!;
  const a = chunk.starts[j]!;
  const e = chunk.ends[j]!;
  if ((k & 7) === KIND_STRING) {
    const s = k & KIND_SIDE ? decoder.decode(chunk.side.subarray(a, e)) : decodeString(bytes, a, e);
    return JSON.stringify(s);
  }
  return decoder.decode(bytes.subarray(a, e));
}

const F64 = 1;
const I32 = 2;
const I64 = 3;
const BOOL = 4;
const DATE = 5;
const TS = 6;
const TWO_63 = 2n ** 63n;

/** Numbers, bools, dates and timestamps. */
class ValueBuilder implements JsonColumnBuilder {
  private data: NumberArray;
  private readonly nullRows = new NullRows();
  private readonly kind: number;
  constructor(
    private readonly type: DType,
    capacity: number,
    private readonly onBad: OnBadValue,
  ) {
    this.data =
      type === "int64"
        ? new BigInt64Array(capacity)
        : type === "float64" || type === "timestamp"
          ? new Float64Array(capacity)
          : type === "bool"
            ? new Uint8Array(capacity)
            : new Int32Array(capacity);
    this.kind =
      type === "float64"
        ? F64
        : type === "int32"
          ? I32
          : type === "int64"
            ? I64
            : type === "bool"
              ? BOOL
              : type === "date"
                ? DATE
                : TS;
  }

  add(bytes: Uint8Array, chunk: JsonChunk, t: number, rowBase: number): boolean {
    const { rows, ncols, kinds } = chunk;
    if (rowBase + rows > this.data.length)
      this.data = growTo(this.data, Math.ceil((rowBase + rows) * 1.5));
    const data = this.data;
    for (let i = 0; i < rows; i++) {
      const j = i * ncols + t;
      if (kinds[j]! <= KIND_NULL) {
        this.nullRows.rows.push(rowBase + i);
        continue;
      }
      const v = this.convert(bytes, chunk, j);
      if (v === undefined) {
        if (!this.onBad(rowBase + i, valueText(bytes, chunk, j))) return false;
        continue;
      }
      data[rowBase + i] = v as never;
    }
    return true;
  }

  check(
    bytes: Uint8Array,
    chunk: JsonChunk,
    t: number,
    rows: Int32Array,
    n: number,
    onBad: (row: number, text: string) => boolean,
  ): boolean {
    const { ncols, kinds } = chunk;
    for (let r = 0; r < n; r++) {
      const j = rows[r]! * ncols + t;
      if (kinds[j]! <= KIND_NULL || this.convert(bytes, chunk, j) !== undefined) continue;
      if (!onBad(rows[r]!, valueText(bytes, chunk, j))) return false;
    }
    return true;
  }

  /** Value j of the chunk (not null) as this column's type, or undefined when it is not one. */
  private convert(bytes: Uint8Array, chunk: JsonChunk, j: number): number | bigint | undefined {
    const k = chunk.kinds[j]!;
    const a = chunk.starts[j]!;
    const e = chunk.ends[j]!;
    const kind = this.kind;
    if (k === KIND_NUMBER) {
      if (kind === F64)
        return floatFromBytes(bytes, a, e) ?? Number(decoder.decode(bytes.subarray(a, e)));
      if (kind === I32) return intFromBytes(bytes, a, e) ?? viaNumber(bytes, a, e, parseInt32);
      if (kind === I64) return int64FromBytes(bytes, a, e) ?? viaNumber(bytes, a, e, parseInt64);
      return undefined;
    }
    if (kind === BOOL) return k === KIND_TRUE ? 1 : k === KIND_FALSE ? 0 : undefined;
    if ((k & 7) !== KIND_STRING || kind === F64 || kind === I32) return undefined;
    const side = (k & KIND_SIDE) !== 0;
    if (kind === TS && !side) {
      const v = timestampFromBytes(bytes, a, e);
      if (v !== undefined) return v;
    }
    const s = side ? decoder.decode(chunk.side.subarray(a, e)) : decodeString(bytes, a, e);
    return kind === I64 ? parseInt64(s) : kind === DATE ? parseDate(s) : parseTimestamp(s);
  }

  finish(length: number): Column {
    return {
      type: this.type,
      length,
      data: fit(this.data, length),
      valid: this.nullRows.bitmap(length),
    };
  }
}

/** A JSON number as JSON.parse reads it, then as its text parses as the column's type (1e3, 2.0). */
function viaNumber<T>(
  bytes: Uint8Array,
  a: number,
  e: number,
  parse: (s: string) => T | undefined,
): T | undefined {
  return parse(String(Number(decoder.decode(bytes.subarray(a, e)))));
}

/** A plain `[-]digits` integer as an exact int64 (beyond 2^53 too), or undefined. */
function int64FromBytes(bytes: Uint8Array, a: number, e: number): bigint | undefined {
  const neg = bytes[a] === 45;
  const d0 = neg ? a + 1 : a;
  if (e - d0 > 19 || e === d0) return e - d0 > 19 ? plainBig(bytes, a, e) : undefined;
  let v = 0;
  for (let k = d0; k < e; k++) {
    const d = bytes[k]! - 48;
    if (d >>> 0 > 9) return undefined;
    v = v * 10 + d;
  }
  if (v <= Number.MAX_SAFE_INTEGER) return BigInt(neg ? -v : v);
  return plainBig(bytes, a, e);
}

/** An integer too long for a double, exactly, when it fits int64. */
function plainBig(bytes: Uint8Array, a: number, e: number): bigint | undefined {
  for (let k = bytes[a] === 45 ? a + 1 : a; k < e; k++) {
    if ((bytes[k]! - 48) >>> 0 > 9) return undefined;
  }
  const v = BigInt(decoder.decode(bytes.subarray(a, e)));
  return v >= -TWO_63 && v < TWO_63 ? v : undefined;
}

/** The source bytes of a string value (the part's, or the chunk's side buffer). */
function stringSource(bytes: Uint8Array, chunk: JsonChunk, k: number): Uint8Array {
  return (k & KIND_SIDE) !== 0 ? chunk.side : bytes;
}

/** utf8: strings' bytes copied; objects and arrays as their JSON text. */
class Utf8Builder implements JsonColumnBuilder {
  private offsets: Int32Array;
  private data: Uint8Array;
  private pos = 0;
  private readonly nullRows = new NullRows();
  constructor(
    capacity: number,
    private readonly onBad: OnBadValue,
  ) {
    this.offsets = new Int32Array(capacity + 1);
    this.data = new Uint8Array(Math.max(1024, capacity * 8));
  }

  add(bytes: Uint8Array, chunk: JsonChunk, t: number, rowBase: number): boolean {
    const { rows, ncols, kinds, starts, ends } = chunk;
    if (rowBase + rows + 1 > this.offsets.length)
      this.offsets = growTo(this.offsets, Math.ceil((rowBase + rows + 1) * 1.5));
    let size = 0;
    for (let i = 0; i < rows; i++) {
      const j = i * ncols + t;
      if (kinds[j]! > KIND_NULL) size += ends[j]! - starts[j]!;
    }
    if (this.pos + size > this.data.length)
      this.data = growTo(this.data, Math.ceil((this.pos + size) * 1.5));
    const { data, offsets } = this;
    let pos = this.pos;
    for (let i = 0; i < rows; i++) {
      const j = i * ncols + t;
      const k = kinds[j]!;
      if (k <= KIND_NULL) this.nullRows.rows.push(rowBase + i);
      else if ((k & 7) === KIND_STRING || k === KIND_NESTED) {
        const src = stringSource(bytes, chunk, k);
        const a = starts[j]!;
        const e = ends[j]!;
        if (e - a < 16) for (let q = a; q < e; q++) data[pos++] = src[q]!;
        else {
          data.set(src.subarray(a, e), pos);
          pos += e - a;
        }
      } else {
        this.pos = pos;
        if (!this.onBad(rowBase + i, valueText(bytes, chunk, j))) return false;
      }
      offsets[rowBase + i + 1] = pos;
    }
    this.pos = pos;
    return true;
  }

  check(
    bytes: Uint8Array,
    chunk: JsonChunk,
    t: number,
    rows: Int32Array,
    n: number,
    onBad: (row: number, text: string) => boolean,
  ): boolean {
    return checkStrings(bytes, chunk, t, rows, n, onBad);
  }

  finish(length: number): Column {
    return {
      type: "utf8",
      length,
      data: fit(this.data, this.pos),
      offsets: fit(this.offsets, length + 1),
      valid: this.nullRows.bitmap(length),
    };
  }
}

/**
 * dict: each string's bytes interned in an open-addressing table (linear probing, FNV-1a hash);
 * the distinct strings' bytes are copied once into the builder's own buffer.
 */
class DictBuilder implements JsonColumnBuilder {
  private codes: Int32Array;
  private cap = 1024;
  private slots: Int32Array = new Int32Array(1024).fill(-1);
  private hashes: Int32Array = new Int32Array(1024);
  private keyData: Uint8Array = new Uint8Array(4096);
  private keyOffsets: Int32Array = new Int32Array(1025);
  private count = 0;
  private readonly nullRows = new NullRows();
  constructor(
    capacity: number,
    private readonly onBad: OnBadValue,
  ) {
    this.codes = new Int32Array(capacity);
  }

  add(bytes: Uint8Array, chunk: JsonChunk, t: number, rowBase: number): boolean {
    const { rows, ncols, kinds, starts, ends } = chunk;
    if (rowBase + rows > this.codes.length)
      this.codes = growTo(this.codes, Math.ceil((rowBase + rows) * 1.5));
    const codes = this.codes;
    for (let i = 0; i < rows; i++) {
      const j = i * ncols + t;
      const k = kinds[j]!;
      if (k <= KIND_NULL) {
        this.nullRows.rows.push(rowBase + i);
        continue;
      }
      if ((k & 7) !== KIND_STRING && k !== KIND_NESTED) {
        if (!this.onBad(rowBase + i, valueText(bytes, chunk, j))) return false;
        continue;
      }
      const src = stringSource(bytes, chunk, k);
      const a = starts[j]!;
      const e = ends[j]!;
      let h = 0x811c9dc5 ^ (e - a);
      for (let q = a; q < e; q++) h = Math.imul(h ^ src[q]!, 0x01000193);
      const mask = this.cap - 1;
      const { slots, hashes, keyData, keyOffsets } = this;
      let s = h & mask;
      let code = -1;
      for (;;) {
        const c = slots[s]!;
        if (c < 0) break;
        if (hashes[s] === h) {
          const ka = keyOffsets[c]!;
          const kb = keyOffsets[c + 1]!;
          if (kb - ka === e - a) {
            let same = true;
            for (let q = 0; q < e - a; q++) {
              if (keyData[ka + q] !== src[a + q]) {
                same = false;
                break;
              }
            }
            if (same) {
              code = c;
              break;
            }
          }
        }
        s = (s + 1) & mask;
      }
      if (code < 0) code = this.insert(s, h, src, a, e);
      codes[rowBase + i] = code;
    }
    return true;
  }

  /** Adds a new distinct string at slot `s`; returns its code. */
  private insert(s: number, h: number, src: Uint8Array, a: number, e: number): number {
    const code = this.count++;
    if (this.count + 1 > this.keyOffsets.length)
      this.keyOffsets = growTo(this.keyOffsets, this.keyOffsets.length * 2);
    const at = this.keyOffsets[code]!;
    if (at + (e - a) > this.keyData.length)
      this.keyData = growTo(this.keyData, Math.max(at + (e - a), this.keyData.length * 2));
    this.keyData.set(src.subarray(a, e), at);
    this.keyOffsets[code + 1] = at + (e - a);
    this.slots[s] = code;
    this.hashes[s] = h;
    if (this.count * 2 > this.cap) this.rehash(this.cap * 2);
    return code;
  }

  private rehash(cap: number): void {
    const { slots, hashes } = this;
    const ns = new Int32Array(cap).fill(-1);
    const nh = new Int32Array(cap);
    for (let s = 0; s < slots.length; s++) {
      if (slots[s]! < 0) continue;
      let u = hashes[s]! & (cap - 1);
      while (ns[u]! >= 0) u = (u + 1) & (cap - 1);
      ns[u] = slots[s]!;
      nh[u] = hashes[s]!;
    }
    this.slots = ns;
    this.hashes = nh;
    this.cap = cap;
  }

  check(
    bytes: Uint8Array,
    chunk: JsonChunk,
    t: number,
    rows: Int32Array,
    n: number,
    onBad: (row: number, text: string) => boolean,
  ): boolean {
    return checkStrings(bytes, chunk, t, rows, n, onBad);
  }

  finish(length: number): Column {
    const n = this.count;
    const dictionary: Column = {
      type: "utf8",
      length: n,
      data: this.keyData.slice(0, this.keyOffsets[n]!),
      offsets: this.keyOffsets.slice(0, n + 1),
    };
    return {
      type: "dict",
      length,
      data: fit(this.codes, length),
      dictionary: n === 0 ? utf8Column([]) : dictionary,
      valid: this.nullRows.bitmap(length),
    };
  }
}
