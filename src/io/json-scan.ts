/**
 * The JSON lines reader's scanner: one pass over the bytes of a part that validates every line
 * as JSON (the grammar JSON.parse accepts) and notes, for the wanted keys only, where each value
 * starts and ends and what kind it is; other values, nested ones included, are checked and
 * skipped without building anything. No string or object is made per line: the column builders
 * (json-columns.ts) convert the located values straight from the bytes.
 *
 * Lines end at LF (a JSON string cannot hold a raw line break, so this is exact); CR, space and
 * tab around values are whitespace; a UTF-8 byte order mark at the start of a line is skipped
 * (the per-line decoder of the reference reader dropped it). Keys may come in any order per
 * line; a key given twice keeps its last value (as JSON.parse); a missing key is null. A string
 * value with escapes (or bytes that are not UTF-8) is decoded exactly as JSON.parse does into the
 * chunk's `side` buffer, so builders see its UTF-8 bytes.
 */

import { isUtf8 } from "node:buffer";

/** The kinds of a located value (`JsonChunk.kinds`). */
export const KIND_MISSING = 0;
export const KIND_NULL = 1;
export const KIND_STRING = 2;
export const KIND_NUMBER = 3;
export const KIND_TRUE = 4;
export const KIND_FALSE = 5;
/** An object or array: its JSON text is `[start, end)`. */
export const KIND_NESTED = 6;
/** Flag on KIND_STRING: the string's UTF-8 bytes are in `side`, not in the part's bytes. */
export const KIND_SIDE = 8;

/**
 * Located values of a run of lines: value t of row i has kind `kinds[i * ncols + t]` and bytes
 * `[starts[..], ends[..])` (a string's contents, without quotes). The arrays are reused for the
 * next chunk after `onChunk` returns.
 */
export interface JsonChunk {
  readonly rows: number;
  readonly ncols: number;
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** The line (0-based, counted from the part's first byte) of each row. */
  readonly lines: Int32Array;
  /** The decoded bytes of strings that had escapes (KIND_SIDE). */
  readonly side: Uint8Array;
}

/** What a scan found besides the chunks. */
export interface JsonScan {
  /** Rows kept (valid object lines). */
  readonly rows: number;
  /** Lines that `onBadLine` chose to skip. */
  readonly badLines: number;
  /** The line that ended the scan (when `onBadLine` said stop): its byte range and line. */
  readonly stoppedAt?: { readonly start: number; readonly end: number; readonly line: number };
}

/** Rows per chunk: the offsets stay in cache and are reused, not one array per part. */
export const CHUNK_ROWS = 8192;

const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

const QUOTE = 34;
const BACKSLASH = 92;
const LF = 10;

/** Whitespace inside a line (LF ends the line, so it is not here). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * Scans the lines of `bytes[from, to)`. `keys` are the wanted keys' UTF-8 bytes (column t of a
 * chunk is keys[t]). A line that is not a JSON object goes to `onBadLine(start, end, line)`,
 * which returns true to skip it (the caller decides: blank, skipped under onBadLines: "skip")
 * or false to stop the scan there. `onChunk` returning false stops it too.
 */
export function scanJsonLines(
  bytes: Uint8Array,
  from: number,
  to: number,
  keys: readonly Uint8Array[],
  onChunk: (chunk: JsonChunk, rowBase: number) => boolean,
  onBadLine: (start: number, end: number, line: number) => "skip" | "blank" | "stop",
): JsonScan {
  const ncols = keys.length;
  const scanner = new LineScanner(bytes, to, keys);
  const lines = new Int32Array(CHUNK_ROWS);
  let rows = 0;
  let inChunk = 0;
  let badLines = 0;
  let line = 0;
  const flush = (): boolean => {
    if (inChunk === 0) return true;
    const chunk: JsonChunk = {
      rows: inChunk,
      ncols,
      kinds: scanner.kinds,
      starts: scanner.starts,
      ends: scanner.ends,
      lines,
      side: scanner.side,
    };
    const go = onChunk(chunk, rows);
    rows += inChunk;
    inChunk = 0;
    scanner.sidePos = 0;
    return go;
  };
  let p = from;
  while (p < to) {
    const sideMark = scanner.sidePos;
    const end = scanner.line(p, inChunk * ncols);
    if (end >= 0) {
      // A valid line (end is the position of its LF, or `to`), or a blank one (-2 slot marker).
      if (scanner.blank) scanner.blank = false;
      else {
        lines[inChunk++] = line;
        if (inChunk === CHUNK_ROWS && !flush()) return { rows, badLines };
      }
      p = end + 1;
      line++;
      continue;
    }
    scanner.sidePos = sideMark;
    let lineEnd = bytes.indexOf(LF, p);
    if (lineEnd < 0 || lineEnd > to) lineEnd = to;
    const what = onBadLine(p, lineEnd, line);
    if (what === "stop") {
      flush();
      return { rows, badLines, stoppedAt: { start: p, end: lineEnd, line } };
    }
    if (what === "skip") badLines++;
    p = lineEnd + 1;
    line++;
  }
  flush();
  return { rows, badLines };
}

/** Parses one line at a time; the chunk arrays and the side buffer live here. */
class LineScanner {
  kinds: Uint8Array;
  starts: Int32Array;
  ends: Int32Array;
  side: Uint8Array = new Uint8Array(4096);
  sidePos = 0;
  /** Set by `line` for a line holding only whitespace. */
  blank = false;
  /** Flags of the last string scanned: had an escape, had a byte >= 0x80. */
  private esc = false;
  private high = false;
  private stack: Uint8Array = new Uint8Array(64);
  private readonly ncols: number;
  constructor(
    private readonly b: Uint8Array,
    private readonly to: number,
    private readonly keys: readonly Uint8Array[],
  ) {
    this.ncols = keys.length;
    this.kinds = new Uint8Array(CHUNK_ROWS * this.ncols);
    this.starts = new Int32Array(CHUNK_ROWS * this.ncols);
    this.ends = new Int32Array(CHUNK_ROWS * this.ncols);
  }

  /**
   * Parses the line starting at `p` into slots `[slot, slot + ncols)`: returns the position of
   * the LF that ends it (or `to`), or -1 when it is not a JSON object.
   */
  line(p: number, slot: number): number {
    const { b, to, ncols, kinds } = this;
    for (let t = 0; t < ncols; t++) kinds[slot + t] = KIND_MISSING;
    if (p + 2 < to && b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) p += 3;
    while (p < to && isSpace(b[p]!)) p++;
    if (p >= to || b[p] === LF) {
      this.blank = true;
      return p;
    }
    if (b[p] !== 123) return -1; // {
    p++;
    while (p < to && isSpace(b[p]!)) p++;
    if (p < to && b[p] === 125)
      p++; // }
    else {
      for (;;) {
        if (p >= to || b[p] !== QUOTE) return -1;
        const keyStart = p + 1;
        p = this.string(p);
        if (p < 0) return -1;
        const t = this.keyIndex(keyStart, p - 1);
        while (p < to && isSpace(b[p]!)) p++;
        if (p >= to || b[p] !== 58) return -1; // :
        p++;
        while (p < to && isSpace(b[p]!)) p++;
        if (p >= to) return -1;
        p = t < 0 ? this.value(p) : this.wanted(p, slot + t);
        if (p < 0) return -1;
        while (p < to && isSpace(b[p]!)) p++;
        if (p >= to) return -1;
        const c = b[p]!;
        p++;
        if (c === 125) break; // }
        if (c !== 44) return -1; // ,
        while (p < to && isSpace(b[p]!)) p++;
      }
    }
    while (p < to && isSpace(b[p]!)) p++;
    if (p < to && b[p] !== LF) return -1;
    return p;
  }

  /** The wanted column a key names (bytes `[a, b)` without quotes), or -1. */
  private keyIndex(a: number, e: number): number {
    const { b, keys, ncols } = this;
    if (this.esc || this.high) {
      // Compare decoded strings: an escaped key may spell a wanted one.
      const key = decodeString(b, a, e);
      for (let t = 0; t < ncols; t++) if (decoder.decode(keys[t]!) === key) return t;
      return -1;
    }
    const len = e - a;
    for (let t = 0; t < ncols; t++) {
      const k = keys[t]!;
      if (k.length !== len) continue;
      let same = true;
      for (let i = 0; i < len; i++) {
        if (b[a + i] !== k[i]) {
          same = false;
          break;
        }
      }
      if (same) return t;
    }
    return -1;
  }

  /** Parses a wanted value at `p` into slot `s`; returns the position after it, or -1. */
  private wanted(p: number, s: number): number {
    const { b } = this;
    const c = b[p]!;
    let end: number;
    if (c === QUOTE) {
      end = this.string(p);
      if (end < 0) return -1;
      if (this.esc || (this.high && !isUtf8(b.subarray(p + 1, end - 1)))) {
        // Decoded exactly as JSON.parse would (escapes, surrogate pairs, bad bytes).
        const text = decodeString(b, p + 1, end - 1);
        const at = this.sideWrite(text);
        this.kinds[s] = KIND_STRING | KIND_SIDE;
        this.starts[s] = at;
        this.ends[s] = this.sidePos;
      } else {
        this.kinds[s] = KIND_STRING;
        this.starts[s] = p + 1;
        this.ends[s] = end - 1;
      }
      return end;
    }
    end = this.value(p);
    if (end < 0) return -1;
    this.kinds[s] =
      c === 110
        ? KIND_NULL
        : c === 116
          ? KIND_TRUE
          : c === 102
            ? KIND_FALSE
            : c === 123 || c === 91
              ? KIND_NESTED
              : KIND_NUMBER;
    this.starts[s] = p;
    this.ends[s] = end;
    return end;
  }

  /** Appends a string's UTF-8 bytes to `side`; returns where they start. */
  private sideWrite(text: string): number {
    const need = this.sidePos + text.length * 3;
    if (need > this.side.length) {
      const grown = new Uint8Array(Math.max(need, this.side.length * 2));
      grown.set(this.side.subarray(0, this.sidePos));
      this.side = grown;
    }
    const at = this.sidePos;
    this.sidePos += encoder.encodeInto(text, this.side.subarray(at)).written;
    return at;
  }

  /** Skips (validating) any JSON value at `p`; returns the position after it, or -1. */
  private value(p: number): number {
    const c = this.b[p]!;
    if (c === QUOTE) return this.string(p);
    if (c === 123 || c === 91) return this.nested(p);
    if (c === 116) return this.literal(p, TRUE);
    if (c === 102) return this.literal(p, FALSE);
    if (c === 110) return this.literal(p, NULL);
    return this.number(p);
  }

  private literal(p: number, word: readonly number[]): number {
    const { b, to } = this;
    if (p + word.length > to) return -1;
    for (let i = 0; i < word.length; i++) if (b[p + i] !== word[i]) return -1;
    return p + word.length;
  }

  /** A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(p: number): number {
    const { b, to } = this;
    if (p < to && b[p] === 45) p++;
    if (p >= to) return -1;
    let d = b[p]! - 48;
    if (d === 0) p++;
    else if (d > 0 && d <= 9) {
      p++;
      while (p < to && (b[p]! - 48) >>> 0 <= 9) p++;
    } else return -1;
    if (p < to && b[p] === 46) {
      p++;
      const f = p;
      while (p < to && (b[p]! - 48) >>> 0 <= 9) p++;
      if (p === f) return -1;
    }
    if (p < to && (b[p] === 101 || b[p] === 69)) {
      p++;
      if (p < to && (b[p] === 43 || b[p] === 45)) p++;
      const f = p;
      while (p < to) {
        d = b[p]! - 48;
        if (d >>> 0 > 9) break;
        p++;
      }
      if (p === f) return -1;
    }
    return p;
  }

  /**
   * A JSON string at `p` (the opening quote): returns the position after the closing quote, or
   * -1 (a raw control character, a bad escape, the line's end). Sets `esc` and `high`.
   */
  private string(p: number): number {
    const { b, to } = this;
    let esc = false;
    let high = 0;
    p++;
    for (; p < to; p++) {
      const c = b[p]!;
      if (c === QUOTE) {
        this.esc = esc;
        this.high = high >= 0x80;
        return p + 1;
      }
      if (c === BACKSLASH) {
        esc = true;
        p++;
        if (p >= to) return -1;
        const e = b[p]!;
        if (e === 117) {
          // \uXXXX
          if (p + 4 >= to) return -1;
          for (let k = 1; k <= 4; k++) if (HEX[b[p + k]!] === 0) return -1;
          p += 4;
        } else if (ESCAPES[e] === 0) return -1;
      } else if (c < 0x20) return -1;
      high |= c;
    }
    return -1;
  }

  /** Skips a nested object or array at `p`, validating it; returns the position after it, or -1. */
  private nested(p: number): number {
    const { b, to } = this;
    let sp = 0;
    let stack = this.stack;
    // At an opening bracket: push it and read what follows.
    open: for (;;) {
      const o = b[p]!;
      if (sp === stack.length) {
        const grown = new Uint8Array(stack.length * 2);
        grown.set(stack);
        this.stack = stack = grown;
      }
      stack[sp++] = o;
      p++;
      while (p < to && isSpace(b[p]!)) p++;
      if (p >= to) return -1;
      if (b[p] === (o === 123 ? 125 : 93)) {
        p++;
        sp--;
        if (sp === 0) return p;
      } else {
        if (o === 123) {
          p = this.member(p);
          if (p < 0) return -1;
        }
        const c = b[p]!;
        if (c === 123 || c === 91) continue;
        p = this.value(p);
        if (p < 0) return -1;
      }
      // After a value inside the container on top of the stack.
      for (;;) {
        while (p < to && isSpace(b[p]!)) p++;
        if (p >= to) return -1;
        const top = stack[sp - 1]!;
        const c = b[p]!;
        if (c === 44) {
          p++;
          while (p < to && isSpace(b[p]!)) p++;
          if (p >= to) return -1;
          if (top === 123) {
            p = this.member(p);
            if (p < 0) return -1;
          }
          const v = b[p]!;
          if (v === 123 || v === 91) continue open;
          p = this.value(p);
          if (p < 0) return -1;
        } else if (c === (top === 123 ? 125 : 93)) {
          p++;
          sp--;
          if (sp === 0) return p;
        } else return -1;
      }
    }
  }

  /** `"key" :` inside a skipped object; returns the position of the value, or -1. */
  private member(p: number): number {
    const { b, to } = this;
    if (b[p] !== QUOTE) return -1;
    p = this.string(p);
    if (p < 0) return -1;
    while (p < to && isSpace(b[p]!)) p++;
    if (p >= to || b[p] !== 58) return -1;
    p++;
    while (p < to && isSpace(b[p]!)) p++;
    return p < to ? p : -1;
  }
}

const TRUE = [116, 114, 117, 101];
const FALSE = [102, 97, 108, 115, 101];
const NULL = [110, 117, 108, 108];

/** 1 for the bytes that may follow a backslash (but u, checked on its own). */
const ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrt') ESCAPES[c.charCodeAt(0)] = 1;
/** 1 for hex digits. */
const HEX = new Uint8Array(256);
for (const c of "0123456789abcdefABCDEF") HEX[c.charCodeAt(0)] = 1;

/** The string whose JSON text (without quotes) is `bytes[a, e)`, decoded as JSON.parse does. */
export function decodeString(bytes: Uint8Array, a: number, e: number): string {
  return JSON.parse(`"${decoder.decode(bytes.subarray(a, e))}"`) as string;
}
