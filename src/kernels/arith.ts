/**
 * Arithmetic with null propagation: a null on either side gives null. An int64 with an integer
 * (int64 or int32 column, bigint) stays int64 and is exact (int64.ts), and leaving the int64
 * range is an error, not a wrap; everything else, and any division, is float64 (division by
 * zero gives Infinity or NaN as in IEEE 754), as in DuckDB.
 */
import type { Column } from "./batch.js";
import { andValidity } from "./bitmap.js";
import { arithWords, widenedWords } from "./int64.js";
import { numbersOf } from "./numeric.js";

/** An arithmetic operator. */
export type ArithOp = "add" | "sub" | "mul" | "div";

function isInt(t: Column["type"]): boolean {
  return t === "int64" || t === "int32";
}

/** Whether `a op b` is exact int64 arithmetic (expr-types.ts gives the same answer). */
function int64Result(op: ArithOp, a: Column, b: Column | number | bigint): boolean {
  if (op === "div" || !isInt(a.type)) return false;
  if (typeof b === "bigint") return true;
  if (typeof b === "number") return false;
  return isInt(b.type) && (a.type === "int64" || b.type === "int64");
}

/** `a op b` row by row; `b` is a column of the same length or a scalar. */
export function arith(op: ArithOp, a: Column, b: Column | number | bigint | null): Column {
  const n = a.length;
  if (b === null) {
    return {
      type: "float64",
      length: n,
      data: new Float64Array(n),
      valid: new Uint8Array((n + 7) >> 3),
    };
  }
  if (int64Result(op, a, b))
    return arithInt64(op as Exclude<ArithOp, "div">, a, b as Column | bigint);
  const x = numbersOf(a);
  const out = new Float64Array(n);
  if (typeof b === "number" || typeof b === "bigint") {
    arithScalar(op, x, Number(b), out, n);
    return { type: "float64", length: n, data: out, valid: a.valid };
  }
  const y = numbersOf(b);
  arithCols(op, x, y, out, n);
  return { type: "float64", length: n, data: out, valid: andValidity(a.valid, b.valid, n) };
}

function arithScalar(op: ArithOp, x: ArrayLike<number>, v: number, out: Float64Array, n: number) {
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = x[i]! + v;
      return;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = x[i]! - v;
      return;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = x[i]! * v;
      return;
    case "div":
      for (let i = 0; i < n; i++) out[i] = x[i]! / v;
      return;
    default:
      op satisfies never;
  }
}

function arithCols(
  op: ArithOp,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  out: Float64Array,
  n: number,
) {
  switch (op) {
    case "add":
      for (let i = 0; i < n; i++) out[i] = x[i]! + y[i]!;
      return;
    case "sub":
      for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!;
      return;
    case "mul":
      for (let i = 0; i < n; i++) out[i] = x[i]! * y[i]!;
      return;
    case "div":
      for (let i = 0; i < n; i++) out[i] = x[i]! / y[i]!;
      return;
    default:
      op satisfies never;
  }
}

function arithInt64(op: Exclude<ArithOp, "div">, a: Column, b: Column | bigint): Column {
  const n = a.length;
  const valid = typeof b === "bigint" ? a.valid : andValidity(a.valid, b.valid, n);
  const y = typeof b === "bigint" ? b : widenedWords(b);
  const data = arithWords(op, widenedWords(a), y, valid, n);
  return { type: "int64", length: n, data, valid };
}

/** `-a` (an int64 stays int64). */
export function negate(a: Column): Column {
  return arith("mul", a, a.type === "int64" ? -1n : -1);
}
