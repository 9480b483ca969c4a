/**
 * Arithmetic with null propagation: a null on either side gives null. Results are float64
 * (int64 with int64 stays int64), so integer sums and products never overflow silently and
 * division by zero gives Infinity or NaN as in IEEE 754.
 */
import type { Column } from "./batch.js";
import { andValidity } from "./bitmap.js";
import { numbersOf } from "./numeric.js";

/** An arithmetic operator. */
export type ArithOp = "add" | "sub" | "mul" | "div";

/** `a op b` row by row; `b` is a column of the same length or a number. */
export function arith(op: ArithOp, a: Column, b: Column | number | null): Column {
  const n = a.length;
  if (b === null) {
    return {
      type: "float64",
      length: n,
      data: new Float64Array(n),
      valid: new Uint8Array((n + 7) >> 3),
    };
  }
  if (typeof b !== "number" && a.type === "int64" && b.type === "int64" && op !== "div") {
    return arithInt64(op, a, b);
  }
  const x = numbersOf(a);
  const out = new Float64Array(n);
  if (typeof b === "number") {
    arithScalar(op, x, b, out, n);
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

function arithInt64(op: Exclude<ArithOp, "div">, a: Column, b: Column): Column {
  const x = a.data as BigInt64Array;
  const y = b.data as BigInt64Array;
  const n = a.length;
  const out = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = op === "add" ? x[i]! + y[i]! : op === "sub" ? x[i]! - y[i]! : x[i]! * y[i]!;
  }
  return { type: "int64", length: n, data: out, valid: andValidity(a.valid, b.valid, n) };
}

/** `-a`. */
export function negate(a: Column): Column {
  return arith("mul", a, -1);
}
