/**
 * A zarrita Array rebuilt from a ZarrArrayInfo with no file read: the metadata document is served
 * from memory, with its fill value replaced by Barn's (so a store whose fill value is null, or an
 * int64 array, fills missing chunks the way info.fillValue says).
 */
import * as zarr from "zarrita";
import { useBarnCodecs } from "./codecs.js";
import type { ZarrArrayInfo } from "./info.js";
import { fillJson } from "./metadata.js";
import type { ZarrStats } from "./stats.js";
import { ZarrFileStore } from "./store.js";

export type ZarritaArray = zarr.Array<zarr.DataType, ZarrFileStore>;

export interface HandleOptions {
  readonly skipChunkReads?: boolean;
  readonly stats?: ZarrStats | undefined;
}

/** The store key of the array's metadata document. */
export function metadataKey(info: Pick<ZarrArrayInfo, "path" | "zarrFormat">): `/${string}` {
  const file = info.zarrFormat === 2 ? ".zarray" : "zarr.json";
  return info.path === "" ? `/${file}` : `/${info.path}/${file}`;
}

/** Opens the array through a store with its metadata pinned. */
export async function zarritaArray(
  info: ZarrArrayInfo,
  options: HandleOptions = {},
): Promise<ZarritaArray> {
  await useBarnCodecs();
  const doc = JSON.parse(info.metadata) as Record<string, unknown>;
  doc.fill_value = fillJson(info.fillValue);
  const pinned = new Map([[metadataKey(info), new TextEncoder().encode(JSON.stringify(doc))]]);
  const store = new ZarrFileStore(info.storePath, { pinned, ...options });
  const location = new zarr.Location(store, info.path === "" ? "/" : `/${info.path}`);
  return info.zarrFormat === 2
    ? zarr.open.v2(location, { kind: "array", attrs: false })
    : zarr.open.v3(location, { kind: "array" });
}

/** The file that holds chunk `coords` (Zarr's chunk key encodings), for messages. */
export function chunkFile(info: ZarrArrayInfo, coords: readonly number[]): string {
  const doc = JSON.parse(info.metadata) as Record<string, unknown>;
  let key: string;
  if (info.zarrFormat === 2) {
    key = coords.join((doc.dimension_separator as string | undefined) ?? ".") || "0";
  } else {
    const enc = doc.chunk_key_encoding as
      | { name?: string; configuration?: { separator?: string } }
      | undefined;
    const sep = enc?.configuration?.separator;
    key = enc?.name === "v2" ? coords.join(sep ?? ".") || "0" : ["c", ...coords].join(sep ?? "/");
  }
  return info.path === "" ? `${info.storePath}/${key}` : `${info.storePath}/${info.path}/${key}`;
}
