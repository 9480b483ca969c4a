/**
 * Chunk grids: per dimension, the lengths of the chunks along it (regular or not). A chunk
 * grid must tile the shape exactly. "auto" picks chunks near a target size in bytes.
 */
import { BarnError } from "../../errors.js";
import { type DType, itemsize } from "./dtype.js";
import { ArrayErrorCodes } from "./errors.js";
import { fmt, type Shape } from "./shape.js";

/** Chunk lengths along each dimension. */
export type Chunks = readonly (readonly number[])[];

/**
 * How to chunk: "auto", one length for every dimension, one length per dimension (-1 or
 * undefined: the whole dimension), or the explicit lengths per dimension.
 */
export type ChunkSpec = "auto" | number | readonly (number | readonly number[] | undefined)[];

/** dask's default: chunks of about 128 MiB. */
export const AUTO_CHUNK_BYTES = 128 * 1024 * 1024;

/** Regular chunks of length `c` over a dimension of length `n` (the last may be shorter). */
export function regular(n: number, c: number): number[] {
  if (n === 0) return [0];
  const out: number[] = [];
  for (let at = 0; at < n; at += c) out.push(Math.min(c, n - at));
  return out;
}

function bad(where: string, shape: Shape, spec: unknown, why: string): BarnError {
  return new BarnError(
    ArrayErrorCodes.CHUNKS,
    `${where}: chunks ${JSON.stringify(spec)} do not tile shape ${fmt(shape)}: ${why}. Fix: give positive lengths per dimension that add up to the dimension, one length for all, or "auto"`,
  );
}

/** "auto": about `bytes` per chunk, as square as the shape allows, dims kept whole when small. */
export function autoChunks(shape: Shape, dtype: DType, bytes = AUTO_CHUNK_BYTES): number[][] {
  const target = Math.max(1, Math.floor(bytes / itemsize(dtype)));
  const lens = shape.map((n) => Math.max(1, n));
  // Shrink the largest dimension's chunk until the chunk fits the target.
  const c = [...lens];
  let elems = c.reduce((a, b) => a * b, 1);
  while (elems > target) {
    let j = 0;
    for (let i = 1; i < c.length; i++) if (c[i]! > c[j]!) j = i;
    const next = Math.max(1, Math.ceil(c[j]! / 2));
    elems = (elems / c[j]!) * next;
    c[j] = next;
  }
  return shape.map((n, i) => regular(n, c[i]!));
}

/** A user's chunk spec as explicit lengths, checked against the shape. */
export function normalizeChunks(
  where: string,
  shape: Shape,
  spec: ChunkSpec | undefined,
  dtype: DType,
): number[][] {
  if (spec === undefined || spec === "auto") return autoChunks(shape, dtype);
  if (typeof spec === "number") {
    if (!Number.isInteger(spec) || spec < 1)
      throw bad(where, shape, spec, "a length must be a positive integer");
    return shape.map((n) => regular(n, spec));
  }
  if (!Array.isArray(spec) || spec.length !== shape.length) {
    throw bad(where, shape, spec, `give ${shape.length} entries, one per dimension`);
  }
  return shape.map((n, i) => {
    const c = spec[i];
    if (c === undefined || c === -1) return regular(n, Math.max(1, n));
    if (typeof c === "number") {
      if (!Number.isInteger(c) || c < 1)
        throw bad(where, shape, spec, `dimension ${i}: ${c} is not a positive integer`);
      return regular(n, c);
    }
    if (
      !Array.isArray(c) ||
      c.some((x) => typeof x !== "number" || !Number.isInteger(x) || x < 0)
    ) {
      throw bad(where, shape, spec, `dimension ${i}: lengths must be non-negative integers`);
    }
    const total = c.reduce((a: number, b: number) => a + b, 0);
    if (total !== n)
      throw bad(where, shape, spec, `dimension ${i}: the lengths add up to ${total}, not ${n}`);
    if (c.length === 0) throw bad(where, shape, spec, `dimension ${i}: no chunks`);
    return [...c];
  });
}

/** The start of each chunk along a dimension, plus the end. */
export function offsets(lens: readonly number[]): number[] {
  const out = [0];
  for (const l of lens) out.push(out[out.length - 1]! + l);
  return out;
}

/** The number of chunks along each dimension. */
export function gridShape(chunks: Chunks): number[] {
  return chunks.map((c) => c.length);
}

/** Every chunk index in C order. */
export function chunkIndices(chunks: Chunks): number[][] {
  const grid = gridShape(chunks);
  const total = grid.reduce((a, b) => a * b, 1);
  const out: number[][] = [];
  for (let flat = 0; flat < total; flat++) {
    const idx = new Array<number>(grid.length);
    let r = flat;
    for (let d = grid.length - 1; d >= 0; d--) {
      idx[d] = r % grid[d]!;
      r = Math.floor(r / grid[d]!);
    }
    out.push(idx);
  }
  return out;
}

/** The flat (C order) position of a chunk index in the grid. */
export function flatIndex(chunks: Chunks, idx: readonly number[]): number {
  let f = 0;
  for (let d = 0; d < idx.length; d++) f = f * chunks[d]!.length + idx[d]!;
  return f;
}

/** The shape of one chunk. */
export function chunkShape(chunks: Chunks, idx: readonly number[]): number[] {
  return idx.map((i, d) => chunks[d]![i]!);
}

export function sameChunks(a: Chunks, b: Chunks): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => c.length === b[i]!.length && c.every((x, j) => x === b[i]![j]))
  );
}

/** dask's common refinement: every boundary of either side, so both can be rechunked to it. */
export function unifyDim(a: readonly number[], b: readonly number[]): number[] {
  const cuts = new Set([...offsets(a), ...offsets(b)]);
  const sorted = [...cuts].sort((x, y) => x - y);
  const out: number[] = [];
  for (let i = 1; i < sorted.length; i++) out.push(sorted[i]! - sorted[i - 1]!);
  return out.length === 0 ? [0] : out;
}
