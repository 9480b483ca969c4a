/**
 * Comparisons with Arrow's null semantics: a null on either side gives a null result (which a
 * filter drops). int64 against integers (int64, int32, date, bool columns, number and bigint
 * literals) compares exactly (int64.ts); against float64 as float64, as DuckDB does. Numbers, dates, timestamps and booleans compare as numbers; utf8 and dict
 * compare by UTF-8 bytes (code point order). A dict column against a string literal is compared
 * once per dictionary entry, then mapped through the codes.
 */
import type { Column } from "./batch.js";
import { andValidity, isValid } from "./bitmap.js";
import {
  compareWords,
  compareWordsScalar,
  int64Literal,
  isIntLike,
  widenedWords,
  wordsOf,
} from "./int64.js";
import { numbersOf } from "./numeric.js";
import { bytesCompare, encodeUtf8 } from "./strings.js";

/**
 * A comparison operator: the one vocabulary of every layer above (expressions, pushed-down
 * filters, the IO readers' predicates); only explain() renders them as symbols.
 */
export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

const FLIPPED: Readonly<Record<CompareOp, CompareOp>> = {
  eq: "eq",
  ne: "ne",
  lt: "gt",
  le: "ge",
  gt: "lt",
  ge: "le",
};

/** The operator with its operands swapped: `a op b` is `b flipCompare(op) a`. */
export function flipCompare(op: CompareOp): CompareOp {
  return FLIPPED[op];
}

/** A literal on the right-hand side of a kernel. */
export type Scalar = number | string | boolean | bigint | null;

function boolResult(data: Uint8Array, valid: Uint8Array | undefined): Column {
  return { type: "bool", length: data.length, data, valid };
}

/** `a op b` row by row; `b` is a column of the same length or a scalar. */
export function compare(op: CompareOp, a: Column, b: Column | Scalar): Column {
  const n = a.length;
  if (b === null) {
    return boolResult(new Uint8Array(n), new Uint8Array((n + 7) >> 3));
  }
  if (typeof b === "string") return compareStringScalar(op, a, b);
  if (a.type === "int64" && (typeof b === "number" || typeof b === "bigint")) {
    return compareInt64Scalar(op, a, b);
  }
  if (typeof b !== "object") {
    const x = numbersOf(a);
    const v = typeof b === "boolean" ? (b ? 1 : 0) : Number(b);
    const out = new Uint8Array(n);
    compareNumScalar(op, x, v, out, n);
    return boolResult(out, a.valid);
  }
  const valid = andValidity(a.valid, b.valid, n);
  if (a.type === "utf8" || a.type === "dict") return compareStrings(op, a, b, valid);
  if ((a.type === "int64" || b.type === "int64") && isIntLike(a.type) && isIntLike(b.type)) {
    const out = new Uint8Array(n);
    compareWords(op, widenedWords(a), widenedWords(b), out, n);
    return boolResult(out, valid);
  }
  const x = numbersOf(a);
  const y = numbersOf(b);
  const out = new Uint8Array(n);
  compareNumCols(op, x, y, out, n);
  return boolResult(out, valid);
}

/** An int64 column against a number or bigint, exactly (int64.ts). */
function compareInt64Scalar(op: CompareOp, a: Column, v: number | bigint): Column {
  const n = a.length;
  const lit = int64Literal(op, v);
  const out = new Uint8Array(n);
  if ("constant" in lit) out.fill(lit.constant ? 1 : 0);
  else compareWordsScalar(lit.op, wordsOf(a), lit.value, out, n);
  return boolResult(out, a.valid);
}

// The loops below write `+(test)`, not `test ? 1 : 0`: V8 turns the former into a flag move and
// the latter into a branch, which mispredicts on every other row of a random predicate.

function compareNumScalar(
  op: CompareOp,
  x: ArrayLike<number>,
  v: number,
  out: Uint8Array,
  n: number,
): void {
  switch (op) {
    case "eq":
      for (let i = 0; i < n; i++) out[i] = +(x[i] === v);
      return;
    case "ne":
      for (let i = 0; i < n; i++) out[i] = +(x[i] !== v);
      return;
    case "lt":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! < v);
      return;
    case "le":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! <= v);
      return;
    case "gt":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! > v);
      return;
    case "ge":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! >= v);
      return;
    default:
      op satisfies never;
  }
}

function compareNumCols(
  op: CompareOp,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  out: Uint8Array,
  n: number,
): void {
  switch (op) {
    case "eq":
      for (let i = 0; i < n; i++) out[i] = +(x[i] === y[i]);
      return;
    case "ne":
      for (let i = 0; i < n; i++) out[i] = +(x[i] !== y[i]);
      return;
    case "lt":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! < y[i]!);
      return;
    case "le":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! <= y[i]!);
      return;
    case "gt":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! > y[i]!);
      return;
    case "ge":
      for (let i = 0; i < n; i++) out[i] = +(x[i]! >= y[i]!);
      return;
    default:
      op satisfies never;
  }
}

function holds(op: CompareOp, c: number): boolean {
  switch (op) {
    case "eq":
      return c === 0;
    case "ne":
      return c !== 0;
    case "lt":
      return c < 0;
    case "le":
      return c <= 0;
    case "gt":
      return c > 0;
    case "ge":
      return c >= 0;
    default:
      return op satisfies never;
  }
}

function compareStringScalar(op: CompareOp, a: Column, s: string): Column {
  const lit = encodeUtf8(s);
  const n = a.length;
  const out = new Uint8Array(n);
  if (a.type === "dict") {
    const dict = a.dictionary!;
    const dOff = dict.offsets!;
    const dData = dict.data as Uint8Array;
    const perEntry = new Uint8Array(dict.length);
    for (let d = 0; d < dict.length; d++) {
      perEntry[d] = holds(op, bytesCompare(dData, dOff[d]!, dOff[d + 1]!, lit, 0, lit.length))
        ? 1
        : 0;
    }
    const codes = a.data as Int32Array;
    for (let i = 0; i < n; i++) out[i] = perEntry[codes[i]!]!;
    return boolResult(out, a.valid);
  }
  const off = a.offsets!;
  const data = a.data as Uint8Array;
  for (let i = 0; i < n; i++) {
    out[i] = holds(op, bytesCompare(data, off[i]!, off[i + 1]!, lit, 0, lit.length)) ? 1 : 0;
  }
  return boolResult(out, a.valid);
}

/** Byte range of row i of a utf8 or dict column. */
function range(col: Column, i: number): [Uint8Array, number, number] {
  if (col.type === "dict") {
    const d = col.dictionary!;
    const c = (col.data as Int32Array)[i]!;
    return [d.data as Uint8Array, d.offsets![c]!, d.offsets![c + 1]!];
  }
  return [col.data as Uint8Array, col.offsets![i]!, col.offsets![i + 1]!];
}

function compareStrings(
  op: CompareOp,
  a: Column,
  b: Column,
  valid: Uint8Array | undefined,
): Column {
  const n = a.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!isValid(valid, i)) continue;
    const [x, xs, xe] = range(a, i);
    const [y, ys, ye] = range(b, i);
    out[i] = holds(op, bytesCompare(x, xs, xe, y, ys, ye)) ? 1 : 0;
  }
  return boolResult(out, valid);
}
