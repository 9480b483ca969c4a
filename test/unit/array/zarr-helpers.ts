/** Shared by the Zarr layer's tests: temporary stores, seeded values, and a C-order assembler. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type BarnDType,
  chunkExtent,
  gridShape,
  readZarrChunk,
  type ZarrArrayInfo,
  type ZarrTypedArray,
} from "../../../src/collections/array/zarr/index.js";

/** A fresh directory removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `barn-zarr-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

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

/** `n` seeded values of a dtype, reaching both ends of its range (and NaN, infinities for floats). */
export function valuesOf(dtype: BarnDType, n: number, seed: number): ZarrTypedArray {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
  const out = new CTORS[dtype](n);
  for (let i = 0; i < n; i++) {
    const r = next();
    switch (dtype) {
      case "float64":
      case "float32": {
        const special = [Number.NaN, Infinity, -Infinity, -0, 1e300, -1e-300];
        (out as Float64Array)[i] =
          r % 17 === 0 ? (special[r % 6] as number) : (r / 2 ** 32 - 0.5) * 1e6;
        break;
      }
      case "int64":
        (out as BigInt64Array)[i] =
          r % 11 === 0
            ? r % 2 === 0
              ? -(2n ** 63n)
              : 2n ** 63n - 1n
            : BigInt(r) * BigInt(next()) - 2n ** 62n;
        break;
      case "bool":
        (out as Uint8Array)[i] = r & 1;
        break;
      default:
        (out as Int32Array)[i] = r; // wraps to the type's range, both ends included
    }
  }
  return out;
}

/** Every element of a typed array as a comparable value (NaN, -0 and bigints kept apart). */
export function plain(data: ArrayLike<number | bigint>): unknown[] {
  return Array.from(data, (v) =>
    typeof v === "bigint" ? `${v}n` : Object.is(v, -0) ? "-0" : Number.isNaN(v) ? "NaN" : v,
  );
}

/** Reads every chunk of an array and places it in one C-order array of the whole shape. */
export async function readWhole(info: ZarrArrayInfo): Promise<ZarrTypedArray> {
  const size = info.shape.reduce((a, b) => a * b, 1);
  const out = new CTORS[info.dtype](size);
  const grid = gridShape(info);
  const strides = info.shape.map((_, i) => info.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  for (const coords of allCoords(grid)) {
    const chunk = await readZarrChunk(info, coords);
    const extent = chunkExtent(info, coords);
    let k = 0;
    for (const local of allCoords(extent)) {
      let at = 0;
      for (let a = 0; a < local.length; a++) {
        at +=
          ((coords[a] as number) * (info.chunks[a] as number) + (local[a] as number)) *
          (strides[a] as number);
      }
      (out as Float64Array)[at] = chunk.data[k++] as number;
    }
  }
  return out;
}

/** Every index tuple of a shape, in C order. */
export function* allCoords(shape: readonly number[]): Generator<number[]> {
  if (shape.some((n) => n === 0)) return;
  const idx = new Array<number>(shape.length).fill(0);
  for (;;) {
    yield [...idx];
    let a = shape.length - 1;
    while (a >= 0) {
      idx[a] = (idx[a] as number) + 1;
      if ((idx[a] as number) < (shape[a] as number)) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}

/** The C-order block of `whole` that chunk `coords` covers. */
export function blockOf(
  info: ZarrArrayInfo,
  whole: ZarrTypedArray,
  coords: readonly number[],
): ZarrTypedArray {
  const extent = chunkExtent(info, coords);
  const strides = info.shape.map((_, i) => info.shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new CTORS[info.dtype](extent.reduce((a, b) => a * b, 1));
  let k = 0;
  for (const local of allCoords(extent)) {
    let at = 0;
    for (let a = 0; a < local.length; a++) {
      at +=
        ((coords[a] as number) * (info.chunks[a] as number) + (local[a] as number)) *
        (strides[a] as number);
    }
    (out as Float64Array)[k++] = whole[at] as number;
  }
  return out;
}
