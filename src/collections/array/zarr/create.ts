/**
 * createZarrArray: validates the options, clears what `overwrite` allows it to, writes the group
 * documents above the array and the array's metadata, and returns the ZarrArrayInfo every chunk
 * writer needs. Chunks are written afterwards, each by writeZarrChunk, in any order, anywhere.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { BarnError, ErrorCodes, OptionError } from "../../../errors.js";
import {
  DEFAULT_LEVELS,
  MAX_LEVELS,
  useBarnCodecs,
  ZARR_COMPRESSORS,
  type ZarrCompressor,
} from "./codecs.js";
import { BARN_DTYPES, type BarnDType, type ZarrScalar } from "./dtype.js";
import { arrayDir, type ZarrArrayInfo } from "./info.js";
import {
  type ArraySpec,
  arrayDocument,
  fillValueOf,
  groupDocument,
  parseV2,
  parseV3,
} from "./metadata.js";
import { checkLocation } from "./open.js";
import { writeAtomic } from "./store.js";

export interface CreateZarrOptions {
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  readonly dtype: BarnDType;
  /** Default "zstd". Every one both writes and reads in Node (see docs/array.md, "Zarr storage"). */
  readonly compressor?: ZarrCompressor;
  /** Compression level: zstd 1..22 (default 3), gzip 0..9 (1), blosc 0..9 (5). */
  readonly level?: number;
  /** Default 3. */
  readonly zarrFormat?: 2 | 3;
  /** What chunks never written read as; default 0 (false, 0n). */
  readonly fillValue?: ZarrScalar;
  /** The array's path inside the store, making the store a group; default the root. */
  readonly path?: string;
  /** Replace a Zarr array or group already there (its directory is deleted first). Default false. */
  readonly overwrite?: boolean;
}

const KEYS = new Set([
  "shape",
  "chunks",
  "dtype",
  "compressor",
  "level",
  "zarrFormat",
  "fillValue",
  "path",
  "overwrite",
]);
const ZARR_FILES = ["zarr.json", ".zarray", ".zgroup"];

/** Creates an empty Zarr array (metadata only) at `storePath`. */
export async function createZarrArray(
  storePath: string,
  options: CreateZarrOptions,
): Promise<ZarrArrayInfo> {
  const { root, path } = checkLocation("createZarrArray", storePath, options?.path);
  const spec = checkSpec(options);
  const dir = arrayDir({ storePath: root, path });
  await clearTarget(dir, options.overwrite === true);
  await writeGroups(root, path, spec.zarrFormat);
  await useBarnCodecs();
  const doc = arrayDocument(spec);
  await writeAtomic(join(dir, doc.file), doc.text);
  const parsed = spec.zarrFormat === 2 ? parseV2(doc.text, dir) : parseV3(doc.text, dir);
  const { zarrFormat, shape, chunks, dtype, fillValue, compressor } = parsed;
  return {
    storePath: root,
    path,
    zarrFormat,
    shape,
    chunks,
    dtype,
    fillValue,
    compressor,
    metadata: doc.text,
  };
}

function checkSpec(o: CreateZarrOptions): ArraySpec {
  const bad = (msg: string): never => {
    throw new OptionError(`createZarrArray: ${msg}`);
  };
  if (o === null || typeof o !== "object") bad("options { shape, chunks, dtype } are required");
  const unknown = Object.keys(o).find((k) => !KEYS.has(k));
  if (unknown !== undefined)
    bad(`unknown option "${unknown}"; the options are ${[...KEYS].join(", ")}`);
  const { shape, chunks } = o;
  if (!Array.isArray(shape) || shape.some((n) => !Number.isSafeInteger(n) || n < 0)) {
    bad(`shape must be a list of integers >= 0, got ${JSON.stringify(shape)}`);
  }
  if (
    !Array.isArray(chunks) ||
    chunks.length !== shape.length ||
    chunks.some((n) => !Number.isSafeInteger(n) || n < 1)
  ) {
    bad(
      `chunks must be ${shape.length} integers >= 1 (one per axis of shape [${shape.join(", ")}]), got ${JSON.stringify(chunks)}`,
    );
  }
  if (!BARN_DTYPES.includes(o.dtype))
    bad(`dtype must be one of ${BARN_DTYPES.join(", ")}, got ${JSON.stringify(o.dtype)}`);
  const compressor = o.compressor ?? "zstd";
  if (!ZARR_COMPRESSORS.includes(compressor)) {
    bad(
      `compressor must be one of ${ZARR_COMPRESSORS.join(", ")}, got ${JSON.stringify(compressor)}`,
    );
  }
  const zarrFormat = o.zarrFormat ?? 3;
  if (zarrFormat !== 2 && zarrFormat !== 3)
    bad(`zarrFormat must be 2 or 3, got ${JSON.stringify(zarrFormat)}`);
  if (o.overwrite !== undefined && typeof o.overwrite !== "boolean")
    bad(`overwrite must be true or false`);
  return {
    zarrFormat,
    shape,
    chunks,
    dtype: o.dtype,
    compressor,
    level: levelOf(compressor, o.level, bad),
    fillValue: fillOf(o, bad),
  };
}

function levelOf(c: ZarrCompressor, level: unknown, bad: (m: string) => never): number {
  if (c === "none")
    return level === undefined ? 0 : bad(`level must be left out when compressor is "none"`);
  if (level === undefined) return DEFAULT_LEVELS[c];
  const min = c === "zstd" ? 1 : 0;
  if (!Number.isInteger(level) || (level as number) < min || (level as number) > MAX_LEVELS[c]) {
    bad(
      `level for ${c} must be an integer from ${min} to ${MAX_LEVELS[c]}, got ${JSON.stringify(level)}`,
    );
  }
  return level as number;
}

function fillOf(o: CreateZarrOptions, bad: (m: string) => never): ZarrScalar {
  const v = o.fillValue;
  if (v === undefined) return fillValueOf(o.dtype, null, "");
  const ok =
    o.dtype === "bool"
      ? typeof v === "boolean"
      : o.dtype === "int64"
        ? typeof v === "bigint" && v >= -(2n ** 53n) && v <= 2n ** 53n
        : typeof v === "number" && (o.dtype.startsWith("float") || Number.isInteger(v));
  if (!ok) {
    const want =
      o.dtype === "bool"
        ? "a boolean"
        : o.dtype === "int64"
          ? "a bigint within ±2^53"
          : o.dtype.startsWith("float")
            ? "a number"
            : "an integer";
    bad(`fillValue for dtype ${o.dtype} must be ${want}, got ${String(v)}`);
  }
  return v;
}

/**
 * Makes room for the array: nothing there, or an empty directory, is fine; a Zarr node is deleted
 * when `overwrite` is set; anything else is refused, so a typo never deletes a user's files.
 */
async function clearTarget(dir: string, overwrite: boolean): Promise<void> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    if (err.code === "ENOTDIR") throw exists(dir, "is a file", "choose another path.");
    throw err;
  });
  if (names.length === 0) return;
  if (!names.some((n) => ZARR_FILES.includes(n))) {
    throw exists(
      dir,
      "is a directory that is not a Zarr store",
      "choose another path; Barn deletes only Zarr stores.",
    );
  }
  if (!overwrite)
    throw exists(
      dir,
      "already holds a Zarr array or group",
      "pass { overwrite: true } to replace it, or choose another path.",
    );
  await rm(dir, { recursive: true, force: true });
}

function exists(dir: string, what: string, fix: string): BarnError {
  return new BarnError(ErrorCodes.ZARR_EXISTS, `createZarrArray: ${dir} ${what}. Fix: ${fix}`);
}

/** Group documents for the store's root and every directory between it and the array. */
async function writeGroups(root: string, path: string, zarrFormat: 2 | 3): Promise<void> {
  if (path === "") return;
  const parts = path.split("/");
  const doc = groupDocument(zarrFormat);
  for (let i = 0; i < parts.length; i++) {
    const dir = join(root, ...parts.slice(0, i));
    const present = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [] as string[];
      throw err;
    });
    if (!present.some((n) => ZARR_FILES.includes(n)))
      await writeAtomic(join(dir, doc.file), doc.text);
  }
}
