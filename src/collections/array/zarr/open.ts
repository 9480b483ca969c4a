/**
 * openZarrArray: reads a Zarr array's metadata (v3 `zarr.json` first, then v2 `.zarray`) and
 * returns it as a ZarrArrayInfo, after checking that Barn can hold its dtype and that zarrita can
 * decode every codec its chunks go through. The one place the read path touches metadata files.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { OptionError } from "../../../errors.js";
import { knownCodec, useBarnCodecs, ZARR_COMPRESSORS } from "./codecs.js";
import { corrupt, notFound, unsupported } from "./errors.js";
import { arrayDir, normalisePath, type ZarrArrayInfo } from "./info.js";
import { type ParsedArray, parseV2, parseV3, parseV3Node } from "./metadata.js";

export interface OpenZarrOptions {
  /** The array's path inside the store when the store is a group ("a/b"); default the root. */
  readonly path?: string;
}

/** Opens the Zarr array at `storePath` (and `options.path` inside it). */
export async function openZarrArray(
  storePath: string,
  options: OpenZarrOptions = {},
): Promise<ZarrArrayInfo> {
  const { root, path } = checkLocation("openZarrArray", storePath, options.path);
  const dir = arrayDir({ storePath: root, path });
  const st = await stat(root).catch(ifMissing(undefined));
  if (st === undefined || !st.isDirectory()) {
    const what =
      st === undefined
        ? `the directory ${root} does not exist`
        : `${root} is a file, not a directory`;
    throw notFound(dir, what, "check the path, or write an array there first (x.toZarr(path)).");
  }
  await useBarnCodecs();
  const { parsed, file, text } = await readArrayMetadata(dir);
  const unknown = parsed.codecNames.find((n) => !knownCodec(n));
  if (unknown !== undefined) {
    throw unsupported(
      file,
      `codec "${unknown}"`,
      `rewrite the array with one of ${ZARR_COMPRESSORS.join(", ")} (or gzip, zlib, lz4), or register the codec in zarrita's registry.`,
    );
  }
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
    metadata: text,
  };
}

/** Validates a store path and an array path; both entry points share it. */
export function checkLocation(
  fn: string,
  storePath: unknown,
  arrayPath: unknown,
): { root: string; path: string } {
  if (typeof storePath !== "string" || storePath === "") {
    throw new OptionError(
      `${fn}: the store path must be a non-empty string (a directory), got ${String(storePath)}`,
    );
  }
  const path = normalisePath(arrayPath);
  if (path === undefined) {
    throw new OptionError(
      `${fn}: path ${JSON.stringify(arrayPath)} is not an array path inside the store; pass names joined by "/" ("a/b"), without "." or "..".`,
    );
  }
  return { root: resolve(storePath), path };
}

async function readArrayMetadata(
  dir: string,
): Promise<{ parsed: ParsedArray; file: string; text: string }> {
  const v3file = join(dir, "zarr.json");
  const v3 = await readText(v3file);
  if (v3 !== undefined) {
    if (parseV3Node(v3, v3file).node_type === "group") throw await groupError(dir);
    return { parsed: parseV3(v3, v3file), file: v3file, text: v3 };
  }
  const v2file = join(dir, ".zarray");
  const v2 = await readText(v2file);
  if (v2 !== undefined) return { parsed: parseV2(v2, v2file), file: v2file, text: v2 };
  if ((await readText(join(dir, ".zgroup"))) !== undefined) throw await groupError(dir);
  throw notFound(
    dir,
    "neither .zarray (Zarr v2) nor zarr.json (Zarr v3) is there",
    "check the store path, and pass { path } naming the array when the store is a group.",
  );
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if (isCode(err, "ENOENT") || isCode(err, "ENOTDIR")) return undefined;
    if (isCode(err, "EISDIR")) throw corrupt(file, "is a directory, not a metadata file");
    throw err;
  }
}

/** A group where an array was expected: the message lists the nodes under it. */
async function groupError(dir: string): Promise<Error> {
  const entries = await readdir(dir, { withFileTypes: true });
  const nodes: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    for (const f of ["zarr.json", ".zarray", ".zgroup"]) {
      if ((await readText(join(dir, e.name, f))) !== undefined) {
        nodes.push(e.name);
        break;
      }
    }
    if (nodes.length === 20) break;
  }
  const listed = nodes.length === 0 ? "it holds no arrays" : `its nodes: ${nodes.join(", ")}`;
  return notFound(
    dir,
    `it is a Zarr group, not an array (${listed})`,
    "pass { path } naming the array inside the group.",
  );
}

function isCode(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function ifMissing<T>(value: T): (err: unknown) => T {
  return (err) => {
    if (isCode(err, "ENOENT") || isCode(err, "ENOTDIR")) return value;
    throw err;
  };
}
