/**
 * A plain-JS reference for barn/array's tests: arrays as flat JS arrays plus shapes, every
 * operation written the obvious way, element by element, with results stored through a typed
 * array of the result dtype (which wraps integers as NumPy does).
 */
import type { DType } from "../../src/array.js";

export interface Ref {
  readonly data: (number | bigint)[];
  readonly shape: number[];
  readonly dtype: DType;
}

export const CTOR: Record<
  DType,
  new (
    n: number,
  ) => { [i: number]: number | bigint; length: number }
> = {
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
} as never;

export function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function strides(shape: readonly number[]): number[] {
  const s: number[] = [];
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Every index of a shape, C order. */
export function indices(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const n of shape) out = out.flatMap((p) => Array.from({ length: n }, (_, i) => [...p, i]));
  return size(shape) === 0 ? [] : out;
}

export function at(r: Ref, idx: readonly number[]): number | bigint {
  const st = strides(r.shape);
  return r.data[idx.reduce((a, i, d) => a + i * st[d]!, 0)]!;
}

/** Values stored as `dtype` (wrapping, rounding to float32, bool as 0/1). */
export function store(values: readonly (number | bigint)[], dtype: DType): (number | bigint)[] {
  const a = new CTOR[dtype](values.length);
  values.forEach((v, i) => {
    if (dtype === "int64") a[i] = typeof v === "bigint" ? v : BigInt(Math.trunc(v as number));
    else if (dtype === "bool") a[i] = Number(v) !== 0 || Number.isNaN(v as number) ? 1 : 0;
    else a[i] = Number(v);
  });
  return Array.from(a as ArrayLike<number | bigint>);
}

export function broadcast(a: readonly number[], b: readonly number[]): number[] {
  const nd = Math.max(a.length, b.length);
  return Array.from({ length: nd }, (_, i) => {
    const x = a[i - (nd - a.length)] ?? 1;
    const y = b[i - (nd - b.length)] ?? 1;
    return x === 1 ? y : x;
  });
}

/** The element of `r` that output index `idx` (of a broadcast shape) reads. */
export function atBroadcast(r: Ref, idx: readonly number[]): number | bigint {
  const off = idx.length - r.shape.length;
  return at(
    r,
    r.shape.map((n, d) => (n === 1 ? 0 : idx[d + off]!)),
  );
}

export function elementwise(
  refs: readonly Ref[],
  dtype: DType,
  f: (...xs: (number | bigint)[]) => number | bigint,
): Ref {
  const shape = refs.map((r) => r.shape).reduce(broadcast, []);
  const vals = indices(shape).map((idx) => f(...refs.map((r) => atBroadcast(r, idx))));
  return { data: store(vals, dtype), shape, dtype };
}

/** Reduce over `axes` with `f` on the list of values of each output position. */
export function reduce(
  r: Ref,
  axes: readonly number[],
  dtype: DType,
  f: (xs: (number | bigint)[], pos: number[]) => number | bigint,
): Ref {
  const outShape = r.shape.filter((_, d) => !axes.includes(d));
  const groups = new Map<string, { xs: (number | bigint)[]; pos: number[] }>();
  for (const o of indices(outShape)) groups.set(o.join(","), { xs: [], pos: [] });
  const st = strides(r.shape);
  indices(r.shape).forEach((idx) => {
    const key = idx.filter((_, d) => !axes.includes(d)).join(",");
    const g = groups.get(key)!;
    g.xs.push(at(r, idx));
    g.pos.push(
      axes.length === r.shape.length ? idx.reduce((a, i, d) => a + i * st[d]!, 0) : idx[axes[0]!]!,
    );
  });
  const vals = [...groups.values()].map((g) => f(g.xs, g.pos));
  return { data: store(vals, dtype), shape: outShape, dtype };
}

export function transpose(r: Ref): Ref {
  const shape = [...r.shape].reverse();
  return { data: indices(shape).map((idx) => at(r, [...idx].reverse())), shape, dtype: r.dtype };
}

/** Python's slice rules, on one dimension. */
export function sliceIndices(
  n: number,
  start: number | null,
  stop: number | null,
  step: number,
): number[] {
  const out: number[] = [];
  if (step > 0) {
    let a = start === null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
    const b = stop === null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
    for (; a < b; a += step) out.push(a);
  } else {
    let a = start === null ? n - 1 : start < 0 ? Math.max(-1, start + n) : Math.min(start, n - 1);
    const b = stop === null ? -1 : stop < 0 ? Math.max(-1, stop + n) : Math.min(stop, n - 1);
    for (; a > b; a += step) out.push(a);
  }
  return out;
}

export function select(r: Ref, perDim: readonly number[][]): Ref {
  const shape = perDim.map((l) => l.length);
  return {
    data: indices(shape).map((idx) =>
      at(
        r,
        idx.map((i, d) => perDim[d]![i]!),
      ),
    ),
    shape,
    dtype: r.dtype,
  };
}

export function sameValues(
  got: ArrayLike<number | bigint>,
  want: readonly (number | bigint)[],
  tol: number,
): string | undefined {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (typeof w === "bigint" || typeof g === "bigint") {
      if (g !== w) return `[${i}] ${g} vs ${w}`;
      continue;
    }
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    if (g === w) continue;
    if (Math.abs(g - w) <= tol * Math.max(1, Math.abs(w))) continue;
    return `[${i}] ${g} vs ${w}`;
  }
  return undefined;
}
