/**
 * `x.toZarr(storePath, options)`: the array's metadata is written on the client
 * (createZarrArray), then one task per chunk computes the chunk and writes its file
 * (writeZarrChunk) where it was computed, so no chunk comes to the client. Like frame's
 * toParquet and bag's toTextFiles it runs at once and returns a Promise that settles when every
 * chunk is written (or the first failure). Zarr needs a regular grid: an array whose chunks are
 * not (all equal along an axis but the last) is rechunked first to the largest chunk per axis.
 */
import { OptionError } from "../../errors.js";
import { type GraphNode, ref, task } from "../../graph/spec.js";
import { checkOptionKeys } from "../../io/options.js";
import { tasks } from "../../shipping/modules.js";
import { type RunOptions, withClient } from "../frame/run.js";
import type { BArray } from "./array.js";
import { type Chunks, chunkIndices } from "./chunks.js";
import type { AnyTypedArray, DType } from "./dtype.js";
import { graphOf } from "./run.js";
import type { ZarrCompressor } from "./zarr/codecs.js";
import { createZarrArray } from "./zarr/create.js";
import type { ZarrTypedArrayMap } from "./zarr/dtype.js";
import type { ZarrArrayInfo } from "./zarr/info.js";
import { writeZarrChunk } from "./zarr/write-chunk.js";

/** Options of toZarr. */
export interface ToZarrOptions extends RunOptions {
  /** The array's path inside the store, making the store a group ("a/b"); default the root. */
  readonly path?: string | undefined;
  /** Default "zstd"; also "gzip", "blosc", "none". */
  readonly compressor?: ZarrCompressor | undefined;
  /** Compression level: zstd 1..22 (default 3), gzip 0..9 (1), blosc 0..9 (5). */
  readonly level?: number | undefined;
  /** Default 3. */
  readonly zarrFormat?: 2 | 3 | undefined;
  /** Replace a Zarr array or group already there. Default false. */
  readonly overwrite?: boolean | undefined;
  /** The store's chunk shape, one length per axis (the array is rechunked to it); default the array's. */
  readonly chunks?: readonly number[] | undefined;
}

const KEYS = [
  "path",
  "compressor",
  "level",
  "zarrFormat",
  "overwrite",
  "chunks",
  "client",
  "scheduler",
];

/** Writes one computed chunk as chunk `coords` of the store; returns its element count. */
async function writeChunk(
  info: ZarrArrayInfo,
  coords: number[],
  data: AnyTypedArray,
  shape: number[],
): Promise<number> {
  if (shape.includes(0)) return 0;
  await writeZarrChunk(info, coords, data as ZarrTypedArrayMap[typeof info.dtype], shape);
  return data.length;
}

/** The sink's task functions. */
export const zarrSinkOps = tasks(import.meta.url, { writeChunk });

/**
 * The regular chunk shape of a grid: every chunk along an axis as long as the first but the
 * last, which may be shorter. Undefined for a grid that is not regular.
 */
export function regularChunkShape(chunks: Chunks): number[] | undefined {
  const out: number[] = [];
  for (const lens of chunks) {
    const c = lens[0] ?? 0;
    const last = lens[lens.length - 1] ?? 0;
    if (lens.slice(0, -1).some((l) => l !== c) || last > c) return undefined;
    out.push(Math.max(1, c));
  }
  return out;
}

/** The store's chunk shape: the option, the array's own grid, or the largest chunk per axis. */
function targetChunks(x: BArray<DType>, option: readonly number[] | undefined): number[] {
  if (option !== undefined) {
    if (
      !Array.isArray(option) ||
      option.length !== x.ndim ||
      option.some((n) => !Number.isSafeInteger(n) || n < 1)
    ) {
      throw new OptionError(
        `toZarr: chunks must be ${x.ndim} integers >= 1 (one per axis of shape [${x.shape.join(", ")}]), got ${JSON.stringify(option)}`,
      );
    }
    return [...option];
  }
  return regularChunkShape(x.chunks) ?? x.chunks.map((lens) => Math.max(1, ...lens));
}

/** The grid of `shape` in chunks of `chunk` (edge chunks cut), as barn/array spells it. */
function gridOf(shape: readonly number[], chunk: readonly number[]): number[][] {
  return shape.map((n, d) => {
    if (n === 0) return [0];
    const c = chunk[d]!;
    return Array.from({ length: Math.ceil(n / c) }, (_, i) => Math.min(c, n - i * c));
  });
}

function sameGrid(a: Chunks, b: Chunks): boolean {
  return (
    a.length === b.length &&
    a.every((l, d) => l.length === b[d]!.length && l.every((n, i) => n === b[d]![i]))
  );
}

/** Writes `x` to a Zarr store, one task per chunk; resolves to the array's ZarrArrayInfo. */
export async function toZarr(
  x: BArray<DType>,
  storePath: string,
  options: ToZarrOptions = {},
): Promise<ZarrArrayInfo> {
  checkOptionKeys("toZarr", options, KEYS);
  const chunk = targetChunks(x, options.chunks);
  const grid = gridOf(x.shape, chunk);
  const y = sameGrid(grid, x.chunks) ? x : x.rechunk(grid);
  const info = await createZarrArray(storePath, {
    shape: x.shape,
    chunks: chunk,
    dtype: x.dtype,
    ...(options.path === undefined ? {} : { path: options.path }),
    ...(options.compressor === undefined ? {} : { compressor: options.compressor }),
    ...(options.level === undefined ? {} : { level: options.level }),
    ...(options.zarrFormat === undefined ? {} : { zarrFormat: options.zarrFormat }),
    ...(options.overwrite === undefined ? {} : { overwrite: options.overwrite }),
  });
  const g = graphOf(y.plan);
  const graph = g.graph as Map<string, GraphNode>;
  const outs = chunkIndices(y.chunks).map((idx, i) => {
    const key = `zarr-write-${g.keys[i]!}`;
    const shape = idx.map((j, d) => y.chunks[d]![j]!);
    graph.set(key, task(zarrSinkOps.writeChunk, info, idx, ref(g.keys[i]!), shape));
    return key;
  });
  await withClient(options, (c) => c.get(graph, outs));
  return info;
}
