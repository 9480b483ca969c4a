/**
 * The hand-written scans under the CSV reader. `scanRecords`: one pass over a part's bytes that
 * finds where each record starts and ends (quote-aware, so quoted delimiters and newlines stay
 * inside their field), counts its fields, and notes its physical line, so malformed rows are
 * caught and named before udsv parses the text. `scanUnquoted`: for parts without quotes, one
 * pass that also locates the fields of the needed columns, handed on a chunk of rows at a time.
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
  // Sized from the lines of a sample (no counting pass over the whole range); regrown if short.
  let cap = estimateLines(bytes, from, to);
  let starts: Int32Array = new Int32Array(cap);
  let ends: Int32Array = new Int32Array(cap);
  let fields: Int32Array = new Int32Array(cap);
  let lines: Int32Array = new Int32Array(cap);
  let count = 0;
  let line = 0;
  let crlf = false;
  let quoted = false;
  let pos = from;
  while (pos < to) {
    const start = pos;
    const startLine = line;
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
      cap = cap * 2;
      starts = grow(starts, cap);
      ends = grow(ends, cap);
      fields = grow(fields, cap);
      lines = grow(lines, cap);
    }
    starts[count] = start;
    ends[count] = end;
    fields[count] = nf;
    lines[count] = startLine;
    count++;
  }
  return { count, starts, ends, fields, lines, crlf, quoted };
}

/**
 * True when field `j` of the record `bytes[start, end)` begins with a quote (a quoted field: its
 * text is a value even when it spells a null, as in RFC 4180, DuckDB and Arrow).
 */
export function fieldIsQuoted(
  bytes: Uint8Array,
  start: number,
  end: number,
  j: number,
  delimiter: number,
  quote = QUOTE,
): boolean {
  let field = 0;
  let inQuote = false;
  let pos = start;
  for (; pos < end && field < j; pos++) {
    const c = bytes[pos]!;
    if (c === quote) inQuote = !inQuote;
    else if (c === delimiter && !inQuote) field++;
  }
  return field === j && pos < end && bytes[pos] === quote;
}

/**
 * True when `bytes[from, to)` holds a quote byte: one search by Buffer's native indexOf (memchr),
 * many times faster than TypedArray's, on a view of the same memory.
 */
export function hasQuote(bytes: Uint8Array, from: number, to: number, quote = QUOTE): boolean {
  if (to <= from) return false;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from);
  return view.indexOf(quote) >= 0;
}

/** Located fields of a run of records: field t of row i is `[starts[i * ncols + t], ends[i * ncols + t])`. */
export interface FieldChunk {
  /** Rows in this chunk. */
  readonly rows: number;
  /** Located columns per row. */
  readonly ncols: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Byte offset of each row's record (to name its line when a value does not parse). */
  readonly recordStarts: Int32Array;
}

/** What `scanUnquoted` found besides the chunks. */
export interface UnquotedScan {
  /** Records kept (those with the expected number of fields, the header left out). */
  readonly rows: number;
  /** Records with the wrong number of fields, skipped. */
  readonly badRecords: number;
  /** The first such record (its byte offset and field count), when the scan stopped at it. */
  readonly firstBad?: { readonly start: number; readonly fields: number } | undefined;
}

/** Rows per chunk: the offsets stay in cache and are reused, not one array per part. */
const CHUNK_ROWS = 8192;
let scratch = {
  starts: new Int32Array(0),
  ends: new Int32Array(0),
  recordStarts: new Int32Array(0),
};

/**
 * One pass over `bytes[from, to)`, known to hold no quote byte, that finds the records and notes
 * where the fields of the `wanted` columns (indices among `ncols`) start and end, for records
 * with exactly `ncols` fields, handing them to `onChunk` a few thousand rows at a time (the
 * offsets are overwritten after it returns; `rowBase` is the chunk's first row). Empty lines are
 * skipped, a CR before LF is not part of the last field, and with `skipFirst` the first
 * non-empty record (the header) is left out. A record with another field count is counted and
 * skipped, or, with `stopAtBad`, ends the scan (`firstBad`). `onChunk` returning false ends it.
 */
export function scanUnquoted(
  bytes: Uint8Array,
  from: number,
  to: number,
  delimiter: number,
  ncols: number,
  wanted: readonly number[],
  skipFirst: boolean,
  stopAtBad: boolean,
  onChunk: (chunk: FieldChunk, rowBase: number) => boolean,
): UnquotedScan {
  const k = wanted.length;
  const want = Int32Array.from(wanted);
  if (scratch.starts.length < CHUNK_ROWS * k || scratch.recordStarts.length < CHUNK_ROWS) {
    scratch = {
      starts: new Int32Array(CHUNK_ROWS * Math.max(k, 4)),
      ends: new Int32Array(CHUNK_ROWS * Math.max(k, 4)),
      recordStarts: new Int32Array(CHUNK_ROWS),
    };
  }
  const { starts, ends, recordStarts } = scratch;
  // Where field f of the current record ends (the delimiter after it), for f < ncols.
  const fieldEnd = new Int32Array(ncols + 1);
  // Bytes above both NL and the delimiter are field content: one comparison skips them.
  const hi = Math.max(NL, delimiter);
  let rows = 0;
  let inChunk = 0;
  let badRecords = 0;
  let firstBad: { start: number; fields: number } | undefined;
  let skip = skipFirst;
  let pos = from;
  const flush = () => {
    const go = onChunk({ rows: inChunk, ncols: k, starts, ends, recordStarts }, rows - inChunk);
    inChunk = 0;
    return go;
  };
  while (pos < to) {
    const start = pos;
    let nd = 0;
    let c = 0;
    for (; pos < to; pos++) {
      c = bytes[pos]!;
      if (c > hi) continue;
      if (c === NL) break;
      if (c === delimiter) {
        if (nd < ncols) fieldEnd[nd] = pos;
        nd++;
      }
    }
    let end = pos;
    if (end > start && c === NL && bytes[end - 1] === CR) end--;
    pos++; // past the newline
    if (end === start) continue;
    if (skip) {
      skip = false;
      continue;
    }
    if (nd + 1 !== ncols) {
      badRecords++;
      if (stopAtBad) {
        firstBad = { start, fields: nd + 1 };
        break;
      }
      continue;
    }
    fieldEnd[ncols - 1] = end;
    recordStarts[inChunk] = start;
    const o = inChunk * k;
    for (let t = 0; t < k; t++) {
      const j = want[t]!;
      starts[o + t] = j === 0 ? start : fieldEnd[j - 1]! + 1;
      ends[o + t] = fieldEnd[j]!;
    }
    inChunk++;
    rows++;
    if (inChunk === CHUNK_ROWS && !flush()) return { rows, badRecords, firstBad };
  }
  if (inChunk > 0 && firstBad === undefined) flush();
  return { rows, badRecords, firstBad };
}

/**
 * About how many lines `bytes[from, to)` holds, a little over: the newlines of its first 64 KiB
 * scaled to the whole range (exact when the range is that short).
 */
export function estimateLines(bytes: Uint8Array, from: number, to: number): number {
  const sample = Math.min(to - from, 64 * 1024);
  let n = 0;
  for (let i = from; i < from + sample; i++) if (bytes[i] === NL) n++;
  if (sample === to - from) return n + 1;
  return Math.ceil(((n + 1) * (to - from)) / sample) + 64;
}

/** Index of the first newline at or after `from` (or `bytes.length` when there is none). */
export function nextNewline(bytes: Uint8Array, from: number): number {
  const i = bytes.indexOf(NL, from);
  return i < 0 ? bytes.length : i;
}

/** Number of newline bytes in `bytes`. */
export function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === NL) n++;
  return n;
}

function grow(a: Int32Array, cap: number): Int32Array {
  const b = new Int32Array(cap);
  b.set(a);
  return b;
}
