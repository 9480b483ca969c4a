/**
 * Barn's array dtypes and how Zarr spells them: v2's NumPy type strings (`<f8`, `|b1`, ...; both
 * byte orders read, little-endian written) and v3's data type names. Anything else is refused by
 * the caller with BARN_ZARR_UNSUPPORTED; this file only answers "which one, if any".
 */

import { alloc, DTYPES, type DType, dtypeOfTyped, itemsize, type TypedArrayMap } from "../dtype.js";

/** The element types barn/array holds (its DType). `bool` is a Uint8Array of 0 and 1. */
export type BarnDType = DType;

/** The typed array holding each dtype's elements (C order). */
export type ZarrTypedArrayMap = TypedArrayMap;

export type ZarrTypedArray = ZarrTypedArrayMap[BarnDType];

/** A fill value as barn/array holds it: bigint for int64, boolean for bool, number otherwise. */
export type ZarrScalar = number | bigint | boolean;

export const BARN_DTYPES: readonly BarnDType[] = DTYPES;

/** v2 type code (after the byte-order character) of each dtype. */
const V2_CODES: Record<BarnDType, string> = {
  float64: "f8",
  float32: "f4",
  int8: "i1",
  int16: "i2",
  int32: "i4",
  uint8: "u1",
  uint16: "u2",
  uint32: "u4",
  int64: "i8",
  bool: "b1",
};

/** The v2 dtype string Barn writes: little-endian, `|` where the byte order is moot. */
export function v2DtypeOf(d: BarnDType): string {
  const code = V2_CODES[d];
  return `${code.endsWith("1") ? "|" : "<"}${code}`;
}

/** The dtype of a v2 dtype string, or undefined when Barn has none for it. */
export function dtypeFromV2(s: unknown): BarnDType | undefined {
  if (typeof s !== "string") return undefined;
  const m = /^([<>|=])([a-z]\d+)$/.exec(s);
  if (m === null) return undefined;
  return BARN_DTYPES.find((d) => V2_CODES[d] === m[2]);
}

/** The dtype of a v3 data type name (v3 spells them as Barn does). */
export function dtypeFromV3(s: unknown): BarnDType | undefined {
  return typeof s === "string" && (BARN_DTYPES as readonly string[]).includes(s)
    ? (s as BarnDType)
    : undefined;
}

/** A fresh zeroed typed array of `n` elements. */
export function allocate<D extends BarnDType>(d: D, n: number): ZarrTypedArrayMap[D] {
  return alloc(d, n);
}

/** Whether `data` is the typed array that holds dtype `d` (bool: a Uint8Array). */
export function holdsDtype(d: BarnDType, data: unknown): data is ZarrTypedArray {
  const t = dtypeOfTyped(data);
  return t === d || (d === "bool" && t === "uint8");
}

/** Bytes per element. */
export function itemSize(d: BarnDType): number {
  return itemsize(d);
}

/** The name of a typed array's class, for error messages. */
export function kindOf(data: unknown): string {
  if (data === null) return "null";
  if (typeof data !== "object") return typeof data;
  return (data as object).constructor?.name ?? "object";
}
