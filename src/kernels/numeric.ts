/**
 * Numeric views of columns: the kernels read int32, date, float64, timestamp and bool values
 * through one `ArrayLike<number>`; int64 is read as float64 (exact to 2^53).
 */
import type { Column, DType } from "./batch.js";

/** Types whose values are numbers in `data`. */
export function isNumericType(t: DType): boolean {
  return t === "int32" || t === "float64" || t === "int64";
}

/** Types whose values order as numbers (numbers, dates, timestamps, booleans). */
export function isOrderedNumberType(t: DType): boolean {
  return isNumericType(t) || t === "date" || t === "timestamp" || t === "bool";
}

/** The values of a numeric-like column as numbers (int64 converted, others as stored). */
export function numbersOf(col: Column): ArrayLike<number> {
  if (col.type === "int64") {
    const src = col.data as BigInt64Array;
    const out = new Float64Array(col.length);
    for (let i = 0; i < col.length; i++) out[i] = Number(src[i]!);
    return out;
  }
  return col.data as ArrayLike<number>;
}

/** A float64 column of the values of a numeric-like column (same validity). */
export function toFloat64(col: Column): Column {
  if (col.type === "float64") return col;
  const src = numbersOf(col);
  const data = new Float64Array(col.length);
  for (let i = 0; i < col.length; i++) data[i] = src[i]!;
  return { type: "float64", length: col.length, data, valid: col.valid };
}
