/**
 * readZarrChunk: one chunk of a Zarr array as barn/array holds it (C order, cut to the array's
 * shape at the edges; a chunk with no file is the fill value). Reads exactly one file (or none),
 * so a task per chunk reads only what it is asked for. Runs on any worker: needs only the info.
 */
import * as zarr from "zarrita";
import { allocate, type BarnDType, type ZarrTypedArray } from "./dtype.js";
import { corrupt, reason, unsupported } from "./errors.js";
import { chunkExtent, copyBlock, cStrides, sizeOf } from "./grid.js";
import { chunkFile, zarritaArray } from "./handle.js";
import { arrayDir, type ZarrArrayInfo, type ZarrChunk } from "./info.js";
import type { ZarrStats } from "./stats.js";

export interface ReadZarrChunkOptions {
  /** Counts the chunk file this call reads (or misses). */
  readonly stats?: ZarrStats;
}

/** Reads chunk `coords` (one index per axis) of the array. */
export async function readZarrChunk<D extends BarnDType>(
  info: ZarrArrayInfo & { readonly dtype: D },
  coords: readonly number[],
  options: ReadZarrChunkOptions = {},
): Promise<ZarrChunk<D>> {
  const extent = chunkExtent(info, coords);
  const arr = await zarritaArray(info, { stats: options.stats });
  let chunk: zarr.Chunk<zarr.DataType>;
  try {
    chunk = await arr.getChunk([...coords]);
  } catch (err) {
    throw decodeError(info, coords, err);
  }
  const full = info.chunks;
  const src = elementsOf(chunk.data);
  if (src.length !== sizeOf(full)) {
    throw corrupt(
      chunkName(info, coords),
      `decodes to ${src.length} elements, not the ${sizeOf(full)} of a [${full}] chunk`,
    );
  }
  const data = cutToC(info.dtype, src, chunk.stride, full, extent) as ZarrChunk<D>["data"];
  return { dtype: info.dtype, data, shape: extent };
}

/** The decoded elements as a typed array (zarrita hands bool chunks back as its BoolArray). */
function elementsOf(data: unknown): ZarrTypedArray {
  if (data instanceof zarr.BoolArray)
    return new Uint8Array(data.buffer, data.byteOffset, data.length);
  return data as ZarrTypedArray;
}

/**
 * The block `[0, extent)` in C order: the decoded array itself when it is a whole C-ordered chunk
 * that owns its buffer (so it moves between threads without dragging a larger buffer along),
 * otherwise a copy.
 */
function cutToC(
  dtype: BarnDType,
  src: ZarrTypedArray,
  stride: readonly number[],
  full: readonly number[],
  extent: readonly number[],
): ZarrTypedArray {
  const whole = extent.every((e, i) => e === full[i]);
  const cOrder = cStrides(full).every((s, i) => s === stride[i] || (full[i] as number) <= 1);
  if (whole && cOrder) {
    const tight = src.byteOffset === 0 && src.byteLength === src.buffer.byteLength;
    return tight ? src : (src.slice() as ZarrTypedArray);
  }
  const out = allocate(dtype, sizeOf(extent));
  copyBlock(src, stride, out, extent);
  return out;
}

function chunkName(info: ZarrArrayInfo, coords: readonly number[]): string {
  return `chunk [${coords.join(", ")}] of ${arrayDir(info)} (file ${chunkFile(info, coords)})`;
}

/** What zarrita threw while decoding, as a Barn error naming the chunk. */
function decodeError(info: ZarrArrayInfo, coords: readonly number[], err: unknown): Error {
  if (zarr.isZarritaError(err, "UnknownCodecError")) {
    return unsupported(
      chunkName(info, coords),
      `codec ${reason(err)}`,
      "rewrite the array with zstd, gzip, blosc or no compressor.",
    );
  }
  if (zarr.isZarritaError(err, "CodecPipelineError")) {
    return corrupt(chunkName(info, coords), `could not be decoded: ${reason(err)}`, err);
  }
  if (err instanceof RangeError) {
    return corrupt(
      chunkName(info, coords),
      `has a size that is not a whole number of elements: ${err.message}`,
      err,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
