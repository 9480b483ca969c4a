/**
 * String kernels over utf8 and dict columns: startsWith, endsWith, contains (bool results) and
 * lower, upper, strip, lstrip, rstrip, replace, slice (utf8 results), length (int32, in UTF-16 code units as JS strings count). A dict
 * column is processed once per dictionary entry and mapped through its codes, which is what
 * makes dictionary encoding pay for low-cardinality strings.
 */
import type { Column } from "./batch.js";
import { dictEncode } from "./dictionary.js";
import { encodeUtf8, utf8At, utf8Column } from "./strings.js";

/** A string predicate. */
export type StringPredicate = "startsWith" | "endsWith" | "contains";

/**
 * A string transform. strip/lstrip/rstrip remove whitespace (as JS trim) or, given `chars`, any
 * of those characters; replace is literal and replaces every occurrence; slice counts characters
 * (code points) from 0, a negative start from the end, as Polars' str.slice.
 */
export type StringTransform =
  | "lower"
  | "upper"
  | { readonly op: "strip" | "lstrip" | "rstrip"; readonly chars: string | null }
  | { readonly op: "replace"; readonly pattern: string; readonly replacement: string }
  | { readonly op: "slice"; readonly start: number; readonly length: number | null }
  | { readonly op: "splitPart"; readonly sep: string; readonly index: number };

function matchAt(data: Uint8Array, at: number, pat: Uint8Array): boolean {
  for (let k = 0; k < pat.length; k++) if (data[at + k] !== pat[k]) return false;
  return true;
}

function test(
  op: StringPredicate,
  data: Uint8Array,
  s: number,
  e: number,
  pat: Uint8Array,
): boolean {
  const len = e - s;
  if (pat.length > len) return false;
  if (op === "startsWith") return matchAt(data, s, pat);
  if (op === "endsWith") return matchAt(data, e - pat.length, pat);
  for (let at = s; at + pat.length <= e; at++) if (matchAt(data, at, pat)) return true;
  return false;
}

/** `op(row, pattern)` for every row of a utf8 or dict column (null rows stay null). */
export function stringPredicate(op: StringPredicate, col: Column, pattern: string): Column {
  const pat = encodeUtf8(pattern);
  const n = col.length;
  const out = new Uint8Array(n);
  if (col.type === "dict") {
    const per = stringPredicate(op, col.dictionary!, pattern).data as Uint8Array;
    const codes = col.data as Int32Array;
    for (let i = 0; i < n; i++) out[i] = per[codes[i]!]!;
    return { type: "bool", length: n, data: out, valid: col.valid };
  }
  const off = col.offsets!;
  const data = col.data as Uint8Array;
  for (let i = 0; i < n; i++) out[i] = test(op, data, off[i]!, off[i + 1]!, pat) ? 1 : 0;
  return { type: "bool", length: n, data: out, valid: col.valid };
}

/** True where `s` holds a surrogate pair, so code points and UTF-16 units differ. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Polars' str.slice: `length` characters from `start` (negative: from the end), clamped. */
function sliceChars(s: string, start: number, length: number | null): string {
  const chars = SURROGATE.test(s) ? Array.from(s) : null;
  const n = chars === null ? s.length : chars.length;
  const from = start < 0 ? n + start : start;
  const to = length === null ? n : from + length;
  const a = Math.min(Math.max(from, 0), n);
  const b = Math.min(Math.max(to, 0), n);
  if (b <= a) return "";
  return chars === null ? s.slice(a, b) : chars.slice(a, b).join("");
}

/** `s` without the leading and/or trailing characters of `chars` (by code point). */
function stripChars(s: string, chars: string, start: boolean, end: boolean): string {
  const set = new Set(Array.from(chars));
  const cs = Array.from(s);
  let a = 0;
  let b = cs.length;
  if (start) while (a < b && set.has(cs[a]!)) a++;
  if (end) while (b > a && set.has(cs[b - 1]!)) b--;
  return cs.slice(a, b).join("");
}

/**
 * DuckDB's split_part: part `index` (from 1; negative counts from the end) of `s` split at
 * every `sep` (an empty `sep` splits into characters), or "" when there is no such part.
 */
function splitPart(s: string, sep: string, index: number): string {
  const parts = sep === "" ? Array.from(s) : s.split(sep);
  const at = index > 0 ? index - 1 : index < 0 ? parts.length + index : -1;
  return at >= 0 && at < parts.length ? parts[at]! : "";
}

/** The function a transform applies to one string. */
function transformOf(t: StringTransform): (s: string) => string {
  if (t === "lower") return (s) => s.toLowerCase();
  if (t === "upper") return (s) => s.toUpperCase();
  switch (t.op) {
    case "strip":
    case "lstrip":
    case "rstrip": {
      const start = t.op !== "rstrip";
      const end = t.op !== "lstrip";
      const chars = t.chars;
      if (chars !== null) return (s) => stripChars(s, chars, start, end);
      return start && end ? (s) => s.trim() : start ? (s) => s.trimStart() : (s) => s.trimEnd();
    }
    case "replace": {
      const { pattern, replacement } = t;
      // split/join is a literal replace-all ($ in the replacement has no meaning).
      return (s) => s.split(pattern).join(replacement);
    }
    case "slice": {
      const { start, length } = t;
      return (s) => sliceChars(s, start, length);
    }
    case "splitPart": {
      const { sep, index } = t;
      return (s) => splitPart(s, sep, index);
    }
    default:
      return t satisfies never;
  }
}

/**
 * A transform of every row. A dict column stays dict: the transform runs once per dictionary
 * entry, and entries that become equal (" a" and "a " stripped) are merged, because grouping,
 * distinct and joins compare dict values by code.
 */
export function stringTransform(op: StringTransform, col: Column): Column {
  if (col.type === "dict") {
    const mapped = dictEncode(stringTransform(op, col.dictionary!));
    const remap = mapped.data as Int32Array;
    if (mapped.dictionary!.length === remap.length)
      return { ...col, dictionary: mapped.dictionary };
    const codes = col.data as Int32Array;
    const out = new Int32Array(col.length);
    for (let i = 0; i < col.length; i++) out[i] = remap[codes[i]!] ?? 0;
    return { ...col, data: out, dictionary: mapped.dictionary };
  }
  const f = transformOf(op);
  const values: (string | null)[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) values[i] = f(utf8At(col, i));
  const out = utf8Column(values);
  return { ...out, valid: col.valid };
}

/** The length of every row in UTF-16 code units (JS `.length`), as int32. */
export function stringLength(col: Column): Column {
  const n = col.length;
  const out = new Int32Array(n);
  if (col.type === "dict") {
    const per = stringLength(col.dictionary!).data as Int32Array;
    const codes = col.data as Int32Array;
    for (let i = 0; i < n; i++) out[i] = per[codes[i]!]!;
    return { type: "int32", length: n, data: out, valid: col.valid };
  }
  const off = col.offsets!;
  const data = col.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    let units = 0;
    for (let k = off[i]!; k < off[i + 1]!; k++) {
      const b = data[k]!;
      // Count lead bytes; a 4-byte sequence is a surrogate pair (two UTF-16 units).
      if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
    }
    out[i] = units;
  }
  return { type: "int32", length: n, data: out, valid: col.valid };
}
