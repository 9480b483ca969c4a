/**
 * The Zarr storage layer of barn/array: open, create, and read or write one chunk at a time, with
 * plain-data handles that cross threads and machines. See docs/array.md, "Zarr storage".
 */
export { ZARR_COMPRESSORS, type ZarrCompressor } from "./codecs.js";
export { type CreateZarrOptions, createZarrArray } from "./create.js";
export {
  BARN_DTYPES,
  type BarnDType,
  type ZarrScalar,
  type ZarrTypedArray,
  type ZarrTypedArrayMap,
} from "./dtype.js";
export { chunkExtent, gridShape } from "./grid.js";
export type { ZarrArrayInfo, ZarrChunk } from "./info.js";
export { type OpenZarrOptions, openZarrArray } from "./open.js";
export { type ReadZarrChunkOptions, readZarrChunk } from "./read-chunk.js";
export { ZARR_CHUNK_CHANNEL, type ZarrChunkEvent, type ZarrStats, zarrStats } from "./stats.js";
export { type WriteZarrChunkOptions, writeZarrChunk } from "./write-chunk.js";
