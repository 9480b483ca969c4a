/**
 * The hand-written fast path under the CSV reader: one pass over a part's bytes that finds where
 * each record starts and ends (quote-aware, so quoted delimiters and newlines stay inside their
 * field), counts its fields, and notes its physical line, so malformed rows are caught and named
 * before udsv parses the text. Pure: bytes in, arrays out.
 */

const NL = 10;
const CR = 13;
const QUOTE = 34;

/** The records of a byte range, as parallel arrays (one entry per non-empty record). */
export interface ScannedRecords {
  readonly count: number;
  /** Byte offset of each record's first byte. */
  readonly starts: Int32Array;
  /** Byte offset one past each record's last byte, excluding the line ending. */
  readonly ends: Int32Array;
  /** Number of fields (delimiters outside quotes + 1). */
  readonly fields: Int32Array;
  /** Physical line (0-based, counting every newline, quoted or not) the record starts on. */
  readonly lines: Int32Array;
  /** Byte offset of every delimiter outside quotes, in order. */
  readonly delims: Int32Array;
  /** Index in `delims` of each record's first delimiter. */
  readonly firstDelim: Int32Array;
  /** True when some record ends with CR LF. */
  readonly crlf: boolean;
  /** True when some field is quoted. */
  readonly quoted: boolean;
}

/**
 * Scans `bytes[from, to)` for records; empty lines are skipped, as udsv and DuckDB do. Pass -1 as
 * `delimiter` or `quote` to not count fields or not track quoting (JSON lines).
 */
export function scanRecords(
  bytes: Uint8Array,
  from: number,
  to: number,
  delimiter: number,
  quote = QUOTE,
): ScannedRecords {
  // Records are at most the lines; sizing for them up front avoids regrowing four arrays.
  let cap = countNewlines(bytes.subarray(from, to)) + 1;
  let starts: Int32Array = new Int32Array(cap);
  let ends: Int32Array = new Int32Array(cap);
  let fields: Int32Array = new Int32Array(cap);
  let lines: Int32Array = new Int32Array(cap);
  let firstDelim: Int32Array = new Int32Array(cap);
  // Delimiters: the first line's count per line (a regrow only when later lines have more).
  let delims: Int32Array = new Int32Array(
    delimiter < 0 ? 0 : Math.max(1024, cap * delimitersInFirstLine(bytes, from, to, delimiter)),
  );
  let nd = 0;
  let count = 0;
  let line = 0;
  let crlf = false;
  let quoted = false;
  let pos = from;
  while (pos < to) {
    const start = pos;
    const startLine = line;
    const d0 = nd;
    let nf = 1;
    let inQuote = false;
    let c = 0;
    for (; pos < to; pos++) {
      c = bytes[pos]!;
      if (c === quote) {
        inQuote = !inQuote;
        quoted = true;
      } else if (c === NL) {
        line++;
        if (!inQuote) break;
      } else if (c === delimiter && !inQuote) {
        nf++;
        if (nd === delims.length) delims = grow(delims, delims.length * 2);
        delims[nd++] = pos;
      }
    }
    let end = pos;
    if (end > start && bytes[end - 1] === CR && c === NL) {
      end--;
      crlf = true;
    }
    pos++; // past the newline
    if (end === start) continue;
    if (count === cap) {
      cap *= 2;
      starts = grow(starts, cap);
      ends = grow(ends, cap);
      fields = grow(fields, cap);
      lines = grow(lines, cap);
      firstDelim = grow(firstDelim, cap);
    }
    firstDelim[count] = d0;
    starts[count] = start;
    ends[count] = end;
    fields[count] = nf;
    lines[count] = startLine;
    count++;
  }
  return { count, starts, ends, fields, lines, delims, firstDelim, crlf, quoted };
}

/** Index of the first newline at or after `from` (or `bytes.length` when there is none). */
export function nextNewline(bytes: Uint8Array, from: number): number {
  const i = bytes.indexOf(NL, from);
  return i < 0 ? bytes.length : i;
}

/** Delimiter bytes before the first newline of `bytes[from, to)`. */
function delimitersInFirstLine(
  bytes: Uint8Array,
  from: number,
  to: number,
  delimiter: number,
): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (c === NL) break;
    if (c === delimiter) n++;
  }
  return n;
}

/** Number of newline bytes in `bytes`. */
export function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  let i = bytes.indexOf(NL);
  while (i >= 0) {
    n++;
    i = bytes.indexOf(NL, i + 1);
  }
  return n;
}

function grow(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
