/**
 * The regular chunk grid of a Zarr array, pure: how many chunks along each axis, which part of the
 * array a chunk covers (cut at the edges), and the strided copy that turns a decoded chunk (full
 * chunk shape, any strides) into barn/array's C-order block.
 */
import { BarnError, ErrorCodes } from "../../../errors.js";
import type { ZarrArrayInfo } from "./info.js";
import { arrayDir } from "./info.js";

type Grid = Pick<ZarrArrayInfo, "shape" | "chunks" | "storePath" | "path">;

/** Chunks along each axis: ceil(shape / chunks). */
export function gridShape(g: Pick<ZarrArrayInfo, "shape" | "chunks">): number[] {
  return g.shape.map((n, i) => Math.ceil(n / (g.chunks[i] as number)));
}

/**
 * The shape of chunk `coords` once cut to the array (the last chunk along an axis may be short).
 * Throws BARN_ZARR_CHUNK naming the array and the grid when `coords` is not a chunk of it.
 */
export function chunkExtent(g: Grid, coords: readonly number[]): number[] {
  const grid = gridShape(g);
  const bad =
    !Array.isArray(coords) ||
    coords.length !== grid.length ||
    coords.some((c, i) => !Number.isInteger(c) || c < 0 || c >= (grid[i] as number));
  if (bad) {
    throw new BarnError(
      ErrorCodes.ZARR_CHUNK,
      `chunk [${String(coords)}] is not a chunk of the Zarr array at ${arrayDir(g)}: its grid is ` +
        `[${grid.join(", ")}] chunks (shape [${g.shape.join(", ")}], chunks [${g.chunks.join(", ")}]). ` +
        `Fix: pass ${grid.length} integer indices, each from 0 to the grid's size along its axis minus 1.`,
    );
  }
  return coords.map((c, i) => {
    const size = g.chunks[i] as number;
    return Math.min(size, (g.shape[i] as number) - c * size);
  });
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** C-order strides (in elements) of a shape. */
export function cStrides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  let step = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = step;
    step *= shape[i] as number;
  }
  return out;
}

interface Indexable {
  length: number;
  [i: number]: number | bigint;
}

/**
 * Copies the block `[0, extent)` of `src` (read with `srcStrides`) into `dst` in C order. The
 * inner loop runs along the last axis with no allocation; `src` may be F-ordered or larger.
 */
export function copyBlock(
  src: Indexable,
  srcStrides: readonly number[],
  dst: Indexable,
  extent: readonly number[],
): void {
  const nd = extent.length;
  if (nd === 0) {
    dst[0] = src[0] as number;
    return;
  }
  if (sizeOf(extent) === 0) return;
  const inner = extent[nd - 1] as number;
  const innerStride = srcStrides[nd - 1] as number;
  const idx = new Array<number>(nd).fill(0);
  let out = 0;
  for (;;) {
    let base = 0;
    for (let a = 0; a < nd - 1; a++) base += (idx[a] as number) * (srcStrides[a] as number);
    for (let j = 0; j < inner; j++) dst[out++] = src[base + j * innerStride] as number;
    let a = nd - 2;
    while (a >= 0) {
      idx[a] = (idx[a] as number) + 1;
      if ((idx[a] as number) < (extent[a] as number)) break;
      idx[a] = 0;
      a--;
    }
    if (a < 0) return;
  }
}
