/**
 * cumsum / cumprod along one axis. Each chunk scans locally; the last slice of every chunk
 * along the axis is its "tail"; chunk i adds (or multiplies by) the running carry of the
 * tails before it. The carry is a chain, as the operation is.
 */
import type { AnyTypedArray, DType } from "../dtype.js";
import { sizeOf } from "../shape.js";
import { allocShared } from "./block.js";

type Num = number | bigint;
type Arr = { length: number; [i: number]: Num };

function split(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d]!;
  return [outer, shape[axis]!, inner];
}

/** The chunk scanned along `axis`, as dtype `dtype` (NumPy: integers accumulate in int64). */
export function scanBlock(
  src: AnyTypedArray,
  shape: readonly number[],
  axis: number,
  op: "sum" | "prod",
  dtype: DType,
): AnyTypedArray {
  const out = allocShared(dtype, sizeOf(shape)) as unknown as Arr;
  const big = dtype === "int64";
  const [outer, len, inner] = split(shape, axis);
  const s = src as unknown as Arr;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < inner; j++) {
      let acc: Num = op === "sum" ? (big ? 0n : 0) : big ? 1n : 1;
      for (let i = 0; i < len; i++) {
        const at = (o * len + i) * inner + j;
        const x = big ? BigInt(s[at]!) : Number(s[at]!);
        acc = op === "sum" ? (acc as number) + (x as number) : (acc as number) * (x as number);
        if (big) acc = BigInt.asIntN(64, acc as unknown as bigint);
        out[at] = acc;
      }
    }
  }
  return out as unknown as AnyTypedArray;
}

/** The last slice along `axis` (the chunk's contribution to later chunks). */
export function tailOf(
  scanned: AnyTypedArray,
  shape: readonly number[],
  axis: number,
  dtype: DType,
): AnyTypedArray {
  const [outer, len, inner] = split(shape, axis);
  const out = allocShared(dtype, outer * inner) as unknown as Arr;
  const s = scanned as unknown as Arr;
  if (len === 0) {
    const one: Num = dtype === "int64" ? 0n : 0;
    for (let i = 0; i < out.length; i++) out[i] = one;
    return out as unknown as AnyTypedArray;
  }
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) out[o * inner + j] = s[(o * len + len - 1) * inner + j]!;
  return out as unknown as AnyTypedArray;
}

/** Carry after one more chunk: carry op tail (null carry: the first chunk). */
export function nextCarry(
  carry: AnyTypedArray | null,
  tail: AnyTypedArray,
  op: "sum" | "prod",
  dtype: DType,
): AnyTypedArray {
  if (carry === null) return tail;
  const out = allocShared(dtype, tail.length) as unknown as Arr;
  const a = carry as unknown as Arr;
  const b = tail as unknown as Arr;
  for (let i = 0; i < out.length; i++) {
    const v =
      op === "sum" ? (a[i] as number) + (b[i] as number) : (a[i] as number) * (b[i] as number);
    out[i] = dtype === "int64" ? BigInt.asIntN(64, v as unknown as bigint) : v;
  }
  return out as unknown as AnyTypedArray;
}

/** The scanned chunk combined with the carry of the chunks before it. */
export function applyCarry(
  scanned: AnyTypedArray,
  carry: AnyTypedArray | null,
  shape: readonly number[],
  axis: number,
  op: "sum" | "prod",
  dtype: DType,
): AnyTypedArray {
  if (carry === null) return scanned;
  const [outer, len, inner] = split(shape, axis);
  const out = allocShared(dtype, scanned.length) as unknown as Arr;
  const s = scanned as unknown as Arr;
  const c = carry as unknown as Arr;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < len; i++) {
      for (let j = 0; j < inner; j++) {
        const at = (o * len + i) * inner + j;
        const k = c[o * inner + j]!;
        const v =
          op === "sum" ? (s[at] as number) + (k as number) : (s[at] as number) * (k as number);
        out[at] = dtype === "int64" ? BigInt.asIntN(64, v as unknown as bigint) : v;
      }
    }
  }
  return out as unknown as AnyTypedArray;
}
