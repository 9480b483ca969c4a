/** A `zarr` source's chunk (plan.ts Reader): one chunk file, read on whichever worker runs it. */
import { type AnyTypedArray, alloc } from "../dtype.js";
import type { ChunkInfo } from "../plan.js";
import type { ZarrArrayInfo } from "../zarr/info.js";
import { readZarrChunk } from "../zarr/read-chunk.js";

/** One source chunk: the store's chunk at the same grid index (the grids are the same). */
export async function readZarrSource(
  info: ZarrArrayInfo,
  place: ChunkInfo,
): Promise<AnyTypedArray> {
  // An empty array has one empty chunk here and none in the store.
  if (place.shape.includes(0)) return alloc(info.dtype, 0);
  const chunk = await readZarrChunk(info, place.index);
  return chunk.data as AnyTypedArray;
}
