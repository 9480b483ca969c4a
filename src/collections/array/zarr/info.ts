/**
 * What Barn knows of one Zarr array: plain data (structured-clone and msgpack safe), so a task on
 * any worker thread, process or machine that sees the same filesystem can read or write a chunk
 * from it without reading the metadata again.
 */
import type { BarnDType, ZarrScalar, ZarrTypedArrayMap } from "./dtype.js";

export interface ZarrArrayInfo {
  /** The store's directory, absolute. */
  readonly storePath: string;
  /** The array's path inside the store ("" for an array at the store's root, "a/b" in groups). */
  readonly path: string;
  /** 2 (`.zarray`, chunk keys `0.1`) or 3 (`zarr.json`, chunk keys `c/0/1`). */
  readonly zarrFormat: 2 | 3;
  /** The array's shape. */
  readonly shape: readonly number[];
  /** The chunk shape of the regular grid; edge chunks are cut to the array's shape when read. */
  readonly chunks: readonly number[];
  readonly dtype: BarnDType;
  /**
   * What a chunk with no file reads as: bigint for int64, boolean for bool, number otherwise
   * (NaN and infinities included). A store whose fill value is null reads as zeros.
   */
  readonly fillValue: ZarrScalar;
  /** The codecs after the bytes, e.g. "zstd", "blosc", "gzip" or "none" (v2: filters first). */
  readonly compressor: string;
  /**
   * The metadata document (`.zarray` or `zarr.json`) exactly as read, so workers rebuild the
   * array without touching the file. Invariant: describes the same array as the fields above.
   */
  readonly metadata: string;
}

/** One chunk as barn/array holds it: C order, cut to the array's shape at the edges. */
export interface ZarrChunk<D extends BarnDType = BarnDType> {
  readonly dtype: D;
  readonly data: ZarrTypedArrayMap[D];
  readonly shape: readonly number[];
}

/** The array's directory on disk. */
export function arrayDir(info: Pick<ZarrArrayInfo, "storePath" | "path">): string {
  return info.path === "" ? info.storePath : `${info.storePath}/${info.path}`;
}

/**
 * An array's path inside its store, normalised: no leading, trailing or doubled slashes; "" for
 * the root. Returns undefined for a path that is not a string or climbs out (`..`, `.`).
 */
export function normalisePath(path: unknown): string | undefined {
  if (path === undefined) return "";
  if (typeof path !== "string") return undefined;
  const parts = path.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === ".." || p === "." || p.includes("\\"))) return undefined;
  return parts.join("/");
}
