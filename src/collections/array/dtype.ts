/**
 * Array dtypes: names, their typed arrays, sizes, and NumPy's promotion rules (NEP 50: a plain
 * JavaScript number next to an array is "weak" and takes the array's kind where it fits).
 */
import { BarnError, ErrorCodes } from "../../errors.js";

/** The element types of barn/array. `bool` is stored as a Uint8Array of 0 and 1. */
export type DType =
  | "float64"
  | "float32"
  | "int8"
  | "int16"
  | "int32"
  | "uint8"
  | "uint16"
  | "uint32"
  | "int64"
  | "bool";

/** The typed array that holds a dtype's elements. */
export interface TypedArrayMap {
  float64: Float64Array;
  float32: Float32Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TypedArrayOf<D extends DType> = TypedArrayMap[D];
export type AnyTypedArray = TypedArrayMap[DType];

/** The JavaScript value of one element. */
export type ScalarOf<D extends DType> = D extends "int64"
  ? bigint
  : D extends "bool"
    ? boolean
    : number;

/** Sum and prod of booleans and integers are int64, as in NumPy. */
export type SumOf<D extends DType> = D extends "float32"
  ? "float32"
  : D extends "float64"
    ? "float64"
    : "int64";

/** True division's result: float32 stays, everything else is float64. */
export type FloatOf<D extends DType> = D extends "float32" ? "float32" : "float64";

const CTORS = {
  float64: Float64Array,
  float32: Float32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
} as const;

export const DTYPES: readonly DType[] = Object.keys(CTORS) as DType[];

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && x in CTORS;
}

export function checkDType(where: string, x: unknown): DType {
  if (!isDType(x)) {
    throw new BarnError(
      ErrorCodes.ARRAY_DTYPE,
      `${where}: unknown dtype ${JSON.stringify(x)}. Fix: use one of ${DTYPES.join(", ")}`,
    );
  }
  return x;
}

export function itemsize(d: DType): number {
  return CTORS[d].BYTES_PER_ELEMENT;
}

/** A new zeroed typed array of `n` elements of dtype `d`. */
export function alloc<D extends DType>(d: D, n: number): TypedArrayOf<D> {
  return new CTORS[d](n) as TypedArrayOf<D>;
}

/** The dtype of a typed array (a Uint8Array is uint8 unless said otherwise). */
export function dtypeOfTyped(a: unknown): DType | undefined {
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Int16Array) return "int16";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Uint8Array) return "uint8";
  if (a instanceof Uint16Array) return "uint16";
  if (a instanceof Uint32Array) return "uint32";
  if (a instanceof BigInt64Array) return "int64";
  return undefined;
}

export function isFloat(d: DType): boolean {
  return d === "float64" || d === "float32";
}

export function isSignedInt(d: DType): boolean {
  return d === "int8" || d === "int16" || d === "int32" || d === "int64";
}

export function isUnsignedInt(d: DType): boolean {
  return d === "uint8" || d === "uint16" || d === "uint32";
}

export function isInt(d: DType): boolean {
  return isSignedInt(d) || isUnsignedInt(d);
}

/** Bits of an integer dtype. */
function bits(d: DType): number {
  return itemsize(d) * 8;
}

/** NumPy's result type of two array dtypes. */
export function promote(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === "bool") return b;
  if (b === "bool") return a;
  if (isFloat(a) || isFloat(b)) {
    if (isFloat(a) && isFloat(b)) return "float64";
    const f = isFloat(a) ? a : b;
    const i = isFloat(a) ? b : a;
    // float32 holds int8/int16/uint8/uint16 exactly; wider integers need float64.
    return f === "float32" && bits(i) <= 16 ? "float32" : "float64";
  }
  const sa = isSignedInt(a);
  const sb = isSignedInt(b);
  if (sa === sb) return bits(a) >= bits(b) ? a : b;
  const u = sa ? b : a;
  const s = sa ? a : b;
  if (bits(s) > bits(u)) return s;
  const want = bits(u) * 2;
  if (want > 64) return "float64";
  return want === 16 ? "int16" : want === 32 ? "int32" : "int64";
}

/** The range of an integer dtype, for NEP 50's check of a scalar next to an array. */
export function intRange(d: DType): [number, number] {
  switch (d) {
    case "int8":
      return [-128, 127];
    case "int16":
      return [-32768, 32767];
    case "int32":
      return [-2147483648, 2147483647];
    case "uint8":
      return [0, 255];
    case "uint16":
      return [0, 65535];
    case "uint32":
      return [0, 4294967295];
    case "bool":
      return [0, 1];
    default:
      return [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER];
  }
}

/** A scalar operand: its value and the dtype it takes next to an array of dtype `d` (NEP 50). */
export function scalarDType(where: string, value: number | bigint | boolean, d: DType): DType {
  if (typeof value === "boolean") return d;
  if (typeof value === "bigint") {
    // A bigint is an int64 scalar: one past int64's range would wrap, which NumPy refuses.
    if (value < -(2n ** 63n) || value >= 2n ** 63n) {
      throw new BarnError(
        ErrorCodes.ARRAY_DTYPE,
        `${where}: the bigint ${value} is out of int64's range (NumPy refuses it too). Fix: use a number (a float64 scalar) or a smaller value`,
      );
    }
    if (isFloat(d)) return d;
    return "int64";
  }
  if (!Number.isInteger(value)) return isFloat(d) ? d : "float64";
  if (isFloat(d)) return d;
  if (d === "bool") return "int64";
  const [lo, hi] = intRange(d);
  if (value < lo || value > hi) {
    throw new BarnError(
      ErrorCodes.ARRAY_DTYPE,
      `${where}: the scalar ${value} is out of range for an array of ${d} (NumPy's NEP 50 refuses it too). Fix: convert the array first, e.g. x.astype("int64") or x.astype("float64")`,
    );
  }
  return d;
}

/** The dtype true division gives. */
export function floatOf(d: DType): DType {
  return d === "float32" ? "float32" : "float64";
}

/** The dtype sum and prod give (NumPy: booleans and integers accumulate in int64). */
export function sumOf(d: DType): DType {
  return isFloat(d) ? d : "int64";
}
