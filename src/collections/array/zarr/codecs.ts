/**
 * Which compressors Barn writes, how each is spelled in v2 (`compressor`) and v3 (`codecs`), and
 * the changes Barn makes to zarrita's codec registry so that every one of them both writes and
 * reads in Node:
 * - zarrita 0.7.5 decodes gzip and zlib with the Web Streams API but cannot encode them. Node's
 *   own zlib (native, on libuv's thread pool) does both, 4-6x faster than numcodecs' fflate
 *   build on the machine measured, so those names map to it.
 * - v3's blosc spells `shuffle` as a word ("shuffle") where numcodecs' Blosc wants v2's number.
 * zstd, lz4 and v2 blosc are numcodecs' WebAssembly builds, unchanged.
 */
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import type { Codec, CodecConstructor } from "numcodecs";
import * as zarr from "zarrita";
import { type BarnDType, itemSize } from "./dtype.js";

/** The compressors createZarrArray can write (any codec zarrita knows can be read). */
export const ZARR_COMPRESSORS = ["zstd", "gzip", "blosc", "none"] as const;
export type ZarrCompressor = (typeof ZARR_COMPRESSORS)[number];

/** Default level of each compressor: zstd's own default, numcodecs' gzip and blosc defaults. */
export const DEFAULT_LEVELS: Record<Exclude<ZarrCompressor, "none">, number> = {
  zstd: 3,
  gzip: 1,
  blosc: 5,
};

/** Highest level each accepts (zstd 1..22, gzip and blosc 0..9). */
export const MAX_LEVELS: Record<Exclude<ZarrCompressor, "none">, number> = {
  zstd: 22,
  gzip: 9,
  blosc: 9,
};

type V2Config = { id: string } & Record<string, unknown>;
type V3Codec = { name: string; configuration: Record<string, unknown> };

/** The v2 `compressor` entry (null for none). */
export function v2Compressor(c: ZarrCompressor, level: number): V2Config | null {
  switch (c) {
    case "none":
      return null;
    case "zstd":
      return { id: "zstd", level };
    case "gzip":
      return { id: "gzip", level };
    case "blosc":
      return { id: "blosc", cname: "lz4", clevel: level, shuffle: 1, blocksize: 0 };
    default:
      return unreachable(c);
  }
}

/** The v3 `codecs` list: little-endian bytes, then the compressor. */
export function v3Codecs(c: ZarrCompressor, level: number, dtype: BarnDType): V3Codec[] {
  const bytes: V3Codec = { name: "bytes", configuration: { endian: "little" } };
  switch (c) {
    case "none":
      return [bytes];
    case "zstd":
      return [bytes, { name: "zstd", configuration: { level, checksum: false } }];
    case "gzip":
      return [bytes, { name: "gzip", configuration: { level } }];
    case "blosc": {
      const typesize = itemSize(dtype);
      const configuration = {
        cname: "lz4",
        clevel: level,
        shuffle: "shuffle",
        typesize,
        blocksize: 0,
      };
      return [bytes, { name: "blosc", configuration }];
    }
    default:
      return unreachable(c);
  }
}

function unreachable(c: never): never {
  throw new Error(`unknown compressor ${String(c)}`);
}

const SHUFFLES: Record<string, number> = { noshuffle: 0, shuffle: 1, bitshuffle: 2 };

type Entry = { fromConfig(config: unknown): Codec; kind: "bytes_to_bytes" };

type Squash = (buf: Uint8Array, opts: zlib.ZlibOptions) => Promise<Buffer>;

/** gzip or zlib framing over Node's zlib; `level` as in both formats' configurations. */
function nodeZlib(compress: Squash, decompress: Squash): Entry {
  return {
    kind: "bytes_to_bytes",
    fromConfig(config) {
      const level = (config as { level?: number } | undefined)?.level ?? 1;
      return {
        encode: (data: Uint8Array) => compress(data, { level }),
        decode: (data: Uint8Array) => decompress(data, {}),
      };
    },
  };
}

let installed: Promise<void> | undefined;

/** Puts Barn's codec entries into zarrita's registry, once per thread. */
export function useBarnCodecs(): Promise<void> {
  installed ??= install();
  return installed;
}

async function install(): Promise<void> {
  const registry = zarr.registry as unknown as Map<string, () => Promise<Entry>>;
  const gzip = nodeZlib(promisify(zlib.gzip), promisify(zlib.gunzip));
  const deflate = nodeZlib(promisify(zlib.deflate), promisify(zlib.inflate));
  for (const name of ["gzip", "numcodecs.gzip"]) registry.set(name, async () => gzip);
  for (const name of ["zlib", "numcodecs.zlib"]) registry.set(name, async () => deflate);
  const blosc = (await import("numcodecs/blosc")).default as unknown as CodecConstructor<
    Record<string, unknown>
  >;
  const v3blosc: Entry = {
    kind: "bytes_to_bytes",
    fromConfig(config) {
      const c = config as Record<string, unknown>;
      const shuffle = typeof c.shuffle === "string" ? SHUFFLES[c.shuffle] : c.shuffle;
      return blosc.fromConfig({ ...c, id: "blosc", shuffle });
    },
  };
  registry.set("blosc", async () => v3blosc);
}

/** Whether zarrita (with Barn's entries) has a codec of this registry name. */
export function knownCodec(name: string): boolean {
  return zarr.registry.has(name) || name === "numcodecs.fixedscaleoffset";
}
