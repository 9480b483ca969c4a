/**
 * `ba.fromZarr(storePath, { path, chunks })`: a lazy array over a Zarr store. The metadata is
 * read once, on the client (openZarrArray); the plan holds it as plain data (a `zarr` reader
 * carrying the ZarrArrayInfo), so every chunk is one task that reads one chunk file on any
 * thread, process or machine that mounts the store. The array's grid is the store's grid, so a
 * slice lowers to reads of the chunks it touches only (the rest are culled at submission);
 * `chunks` regroups them afterwards with a rechunk.
 */
import { checkOptionKeys } from "../../io/options.js";
import { BArray, chunksFor } from "./array.js";
import { type ChunkSpec, regular } from "./chunks.js";
import type { DType } from "./dtype.js";
import type { ZarrArrayInfo } from "./zarr/info.js";
import { openZarrArray } from "./zarr/open.js";

/** Options of fromZarr. */
export interface FromZarrOptions {
  /** The array's path inside the store when the store is a group ("a/b"); default the root. */
  readonly path?: string | undefined;
  /** Regroup the store's chunks into this grid (a rechunk after reading); default the store's. */
  readonly chunks?: ChunkSpec | undefined;
}

/** The store's chunk grid as barn/array's chunk lengths (edge chunks cut to the shape). */
export function storeChunks(info: ZarrArrayInfo): number[][] {
  return info.shape.map((n, d) => regular(n, info.chunks[d]!));
}

/**
 * The Zarr array at `storePath` as a lazy Array. Rejects with BARN_ZARR_NOT_FOUND (no store, no
 * array there, or a group without `path`), BARN_ZARR_CORRUPT or BARN_ZARR_UNSUPPORTED, each
 * naming the path.
 */
export async function fromZarr<D extends DType = DType>(
  storePath: string,
  options: FromZarrOptions = {},
): Promise<BArray<D>> {
  checkOptionKeys("fromZarr", options, ["path", "chunks"]);
  const info = await openZarrArray(
    storePath,
    options.path === undefined ? {} : { path: options.path },
  );
  const x = new BArray<D>({
    kind: "source",
    reader: { r: "zarr", info },
    shape: info.shape,
    chunks: storeChunks(info),
    dtype: info.dtype,
  });
  if (options.chunks === undefined) return x;
  return x.rechunk(chunksFor("fromZarr", info.shape, options.chunks, info.dtype));
}
