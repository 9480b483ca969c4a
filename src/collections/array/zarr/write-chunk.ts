/**
 * writeZarrChunk: writes one whole chunk (C order, cut to the array's shape at the edges, as
 * readZarrChunk returns it). Each call writes one file and reads none, so every chunk can be
 * written by a different worker at once, sharing nothing but the directory.
 */
import * as zarr from "zarrita";
import { BarnError, ErrorCodes } from "../../../errors.js";
import { type BarnDType, holdsDtype, kindOf, type ZarrTypedArrayMap } from "./dtype.js";
import { chunkExtent, cStrides, sizeOf } from "./grid.js";
import { zarritaArray } from "./handle.js";
import { arrayDir, type ZarrArrayInfo } from "./info.js";
import type { ZarrStats } from "./stats.js";

export interface WriteZarrChunkOptions {
  /** Counts the chunk file this call writes. */
  readonly stats?: ZarrStats;
}

/**
 * Writes `data` (of `shape`, which must be the chunk's shape cut to the array) as chunk `coords`.
 * `shape` may be left out: the chunk's own shape is assumed and only the length is checked.
 */
export async function writeZarrChunk<D extends BarnDType>(
  info: ZarrArrayInfo & { readonly dtype: D },
  coords: readonly number[],
  data: ZarrTypedArrayMap[D],
  shape?: readonly number[],
  options: WriteZarrChunkOptions = {},
): Promise<void> {
  const extent = chunkExtent(info, coords);
  checkData(info, coords, extent, data, shape);
  const arr = (await zarritaArray(info, {
    skipChunkReads: true,
    stats: options.stats,
  })) as zarr.Array<zarr.DataType, zarr.Mutable>;
  if (extent.length === 0) {
    const v = data[0] as number | bigint;
    await zarr.set(arr, [], (info.dtype === "bool" ? v === 1 : v) as zarr.Scalar<zarr.DataType>);
    return;
  }
  const selection = extent.map((e, i) => {
    const start = (coords[i] as number) * (info.chunks[i] as number);
    return zarr.slice(start, start + e);
  });
  const value = {
    data,
    shape: extent,
    stride: cStrides(extent),
  } as unknown as zarr.Chunk<zarr.DataType>;
  await zarr.set(arr, selection, value);
}

function checkData(
  info: ZarrArrayInfo,
  coords: readonly number[],
  extent: readonly number[],
  data: unknown,
  shape: readonly number[] | undefined,
): void {
  const where = `writeZarrChunk: chunk [${coords.join(", ")}] of ${arrayDir(info)}`;
  const fail = (what: string, fix: string): never => {
    throw new BarnError(ErrorCodes.ZARR_CHUNK, `${where} ${what}. Fix: ${fix}`);
  };
  if (!holdsDtype(info.dtype, data)) {
    fail(
      `got a ${kindOf(data)}, but the array's dtype is ${info.dtype}`,
      `pass the ${info.dtype} typed array (${info.dtype === "bool" ? "a Uint8Array of 0 and 1" : info.dtype}), or cast the array first.`,
    );
  }
  const expected = `[${extent.join(", ")}]`;
  if (
    shape !== undefined &&
    (shape.length !== extent.length || shape.some((s, i) => s !== extent[i]))
  ) {
    fail(
      `got shape [${shape.join(", ")}], but that chunk is ${expected}`,
      "rechunk the array to the store's chunks (edge chunks are cut to the array's shape).",
    );
  }
  const length = (data as { length: number }).length;
  if (length !== sizeOf(extent)) {
    fail(
      `got ${length} elements, but that chunk is ${expected} (${sizeOf(extent)} elements)`,
      "pass the chunk's elements in C order.",
    );
  }
}
