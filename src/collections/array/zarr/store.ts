/**
 * The store zarrita reads and writes through: @zarrita/storage's FileSystemStore for reads, with
 * three things added at the edge:
 * - metadata pinned from a ZarrArrayInfo, so a worker opens the array with no file read;
 * - atomic chunk writes (a temporary file renamed into place, as zarr-python's DirectoryStore
 *   does), so a reader or a retried task never sees half a chunk;
 * - for writes, chunk reads answer "missing": a chunk is always written whole, so zarrita's
 *   read-modify-write of an edge chunk starts from the fill value instead of reading the file.
 * Every chunk file read, missed or written is counted (stats.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import FileSystemStore from "@zarrita/storage/fs";
import { countChunk, type ZarrStats } from "./stats.js";

type Key = `/${string}`;

const METADATA = /(^|\/)(\.zarray|\.zattrs|\.zgroup|\.zmetadata|zarr\.json)$/;

export interface ZarrStoreOptions {
  /** Metadata documents served from memory, by store key ("/a/.zarray"). */
  readonly pinned?: ReadonlyMap<string, Uint8Array>;
  /** Answer chunk reads with "missing" (the write path: chunks are replaced whole). */
  readonly skipChunkReads?: boolean;
  readonly stats?: ZarrStats | undefined;
}

export class ZarrFileStore {
  readonly #files: FileSystemStore;
  readonly #options: ZarrStoreOptions;

  constructor(
    readonly root: string,
    options: ZarrStoreOptions = {},
  ) {
    this.#files = new FileSystemStore(root);
    this.#options = options;
  }

  async get(key: Key): Promise<Uint8Array | undefined> {
    const pinned = this.#options.pinned?.get(key);
    if (pinned !== undefined) return pinned;
    const isChunk = !METADATA.test(key);
    if (isChunk && this.#options.skipChunkReads === true) return undefined;
    const bytes = await this.#files.get(key);
    if (isChunk) {
      const file = join(this.root, key);
      countChunk(this.#options.stats, {
        op: bytes === undefined ? "missing" : "read",
        file,
        bytes: bytes?.byteLength ?? 0,
      });
    }
    return bytes;
  }

  async set(key: Key, value: Uint8Array): Promise<void> {
    const file = join(this.root, key);
    await writeAtomic(file, value);
    if (!METADATA.test(key))
      countChunk(this.#options.stats, { op: "write", file, bytes: value.byteLength });
  }
}

/** Writes a file whole or not at all: a sibling temporary file, then rename. */
export async function writeAtomic(file: string, value: Uint8Array | string): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString("hex")}.partial`;
  try {
    await writeFile(tmp, value);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
