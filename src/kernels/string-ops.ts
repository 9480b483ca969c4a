/**
 * String kernels over utf8 and dict columns: startsWith, endsWith, contains (bool results) and
 * lower, upper (utf8 results), length (int32, in UTF-16 code units as JS strings count). A dict
 * column is processed once per dictionary entry and mapped through its codes, which is what
 * makes dictionary encoding pay for low-cardinality strings.
 */
import type { Column } from "./batch.js";
import { encodeUtf8, utf8At, utf8Column } from "./strings.js";

/** A string predicate. */
export type StringPredicate = "startsWith" | "endsWith" | "contains";

/** A string transform. */
export type StringTransform = "lower" | "upper";

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

/** lower/upper of every row; a dict column stays dict (only its dictionary changes). */
export function stringTransform(op: StringTransform, col: Column): Column {
  if (col.type === "dict") {
    return { ...col, dictionary: stringTransform(op, col.dictionary!) };
  }
  const values: (string | null)[] = new Array(col.length);
  for (let i = 0; i < col.length; i++) {
    const s = utf8At(col, i);
    values[i] = op === "lower" ? s.toLowerCase() : s.toUpperCase();
  }
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
