/**
 * Zarr array metadata, pure: parsing a `.zarray` (v2) or `zarr.json` (v3) document into what Barn
 * needs, refusing what it cannot hold with a message naming the file, and building the documents
 * createZarrArray writes.
 */
import { v2Compressor, v3Codecs, type ZarrCompressor } from "./codecs.js";
import {
  BARN_DTYPES,
  type BarnDType,
  dtypeFromV2,
  dtypeFromV3,
  v2DtypeOf,
  type ZarrScalar,
} from "./dtype.js";
import { corrupt, unsupported } from "./errors.js";

/** The fields of ZarrArrayInfo a metadata document gives, and the codecs it names. */
export interface ParsedArray {
  readonly zarrFormat: 2 | 3;
  readonly shape: number[];
  readonly chunks: number[];
  readonly dtype: BarnDType;
  readonly fillValue: ZarrScalar;
  readonly compressor: string;
  /** Registry names of every codec the chunks go through (checked against zarrita's registry). */
  readonly codecNames: string[];
}

type Doc = Record<string, unknown>;

const SUPPORTED_V2 = BARN_DTYPES.map((d) => `${d} (${v2DtypeOf(d)})`).join(", ");
const CONVERT_FIX =
  "convert it in Python (zarr.open(path)[:].astype('float64') written to a new store) to one of ";

function parseJson(text: string, file: string): Doc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    throw corrupt(file, `is not valid JSON (${err.message})`);
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw corrupt(file, "is not a JSON object");
  }
  return doc as Doc;
}

function intList(doc: Doc, field: string, min: number, file: string): number[] {
  const v = doc[field];
  if (!Array.isArray(v) || v.some((x) => !Number.isSafeInteger(x) || x < min)) {
    throw corrupt(file, `has "${field}": ${JSON.stringify(v)}, not a list of integers >= ${min}`);
  }
  return v as number[];
}

function gridOf(doc: Doc, chunks: unknown, file: string): { shape: number[]; chunks: number[] } {
  const shape = intList(doc, "shape", 0, file);
  const c = intList({ chunks }, "chunks", 1, file);
  if (c.length !== shape.length) {
    throw corrupt(file, `has shape [${shape}] but chunks [${c}] (lengths differ)`);
  }
  return { shape, chunks: c };
}

/** Parses a `.zarray` document. */
export function parseV2(text: string, file: string): ParsedArray {
  const doc = parseJson(text, file);
  if (doc.zarr_format !== 2)
    throw corrupt(file, `has zarr_format ${JSON.stringify(doc.zarr_format)}, not 2`);
  const grid = gridOf(doc, doc.chunks, file);
  const dtype = dtypeFromV2(doc.dtype);
  if (dtype === undefined) {
    throw unsupported(file, `dtype ${JSON.stringify(doc.dtype)}`, `${CONVERT_FIX}${SUPPORTED_V2}.`);
  }
  if (doc.order !== "C" && doc.order !== "F")
    throw corrupt(file, `has order ${JSON.stringify(doc.order)}, not "C" or "F"`);
  const filters = doc.filters ?? [];
  const compressor = doc.compressor ?? null;
  if (!Array.isArray(filters) || ![...filters, compressor ?? { id: "" }].every(hasId)) {
    throw corrupt(file, `has filters or compressor that are not objects with an "id"`);
  }
  const codecs = [...filters, ...(compressor === null ? [] : [compressor])] as { id: string }[];
  return {
    zarrFormat: 2,
    ...grid,
    dtype,
    fillValue: fillValueOf(dtype, doc.fill_value, file),
    compressor: codecs.length === 0 ? "none" : codecs.map((c) => c.id).join("+"),
    codecNames: codecs.map((c) => `numcodecs.${c.id}`),
  };
}

function hasId(c: unknown): boolean {
  return c !== null && typeof c === "object" && typeof (c as Doc).id === "string";
}

/** Parses a `zarr.json` document of node_type "array". */
export function parseV3(text: string, file: string): ParsedArray {
  const doc = parseV3Node(text, file);
  if (doc.node_type !== "array")
    throw corrupt(file, `has node_type ${JSON.stringify(doc.node_type)}, not "array"`);
  const grid = doc.chunk_grid as Doc | undefined;
  if (grid?.name !== "regular") {
    throw unsupported(
      file,
      `chunk grid ${JSON.stringify(grid?.name)}`,
      'write the array with a "regular" chunk grid.',
    );
  }
  const { shape, chunks } = gridOf(doc, (grid.configuration as Doc | undefined)?.chunk_shape, file);
  const dtype = dtypeFromV3(doc.data_type);
  if (dtype === undefined) {
    throw unsupported(
      file,
      `data type ${JSON.stringify(doc.data_type)}`,
      `${CONVERT_FIX}${BARN_DTYPES.join(", ")}.`,
    );
  }
  const keys = (doc.chunk_key_encoding as Doc | undefined)?.name;
  if (keys !== "default" && keys !== "v2")
    throw corrupt(file, `has chunk_key_encoding ${JSON.stringify(keys)}`);
  const codecs = doc.codecs;
  if (!Array.isArray(codecs) || !codecs.every((c) => typeof (c as Doc)?.name === "string")) {
    throw corrupt(file, `has "codecs" that is not a list of objects with a "name"`);
  }
  const names = (codecs as Doc[]).map((c) => c.name as string);
  if (names.includes("sharding_indexed")) {
    throw unsupported(
      file,
      "sharded chunks (sharding_indexed)",
      "rewrite the store without sharding (one file per chunk).",
    );
  }
  const compressors = names.filter((n) => n !== "bytes" && n !== "transpose");
  return {
    zarrFormat: 3,
    shape,
    chunks,
    dtype,
    fillValue: fillValueOf(dtype, doc.fill_value, file),
    compressor: compressors.length === 0 ? "none" : compressors.join("+"),
    codecNames: names,
  };
}

/** The JSON object of a `zarr.json` file (array or group). */
export function parseV3Node(text: string, file: string): Doc {
  const doc = parseJson(text, file);
  if (doc.zarr_format !== 3)
    throw corrupt(file, `has zarr_format ${JSON.stringify(doc.zarr_format)}, not 3`);
  return doc;
}

const FLOAT_WORDS: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Infinity,
  "-Infinity": -Infinity,
};

/** A stored fill value as Barn holds it; null (no fill value) reads as zero. */
export function fillValueOf(dtype: BarnDType, raw: unknown, file: string): ZarrScalar {
  const bad = (): never => {
    throw unsupported(
      file,
      `fill_value ${JSON.stringify(raw)} for dtype ${dtype}`,
      "rewrite the array with a numeric fill value.",
    );
  };
  if (raw === null || raw === undefined)
    return dtype === "bool" ? false : dtype === "int64" ? 0n : 0;
  if (dtype === "bool")
    return typeof raw === "boolean" ? raw : raw === 0 || raw === 1 ? raw === 1 : bad();
  if (dtype === "int64") return Number.isSafeInteger(raw) ? BigInt(raw as number) : bad();
  if (dtype === "float64" || dtype === "float32") {
    if (typeof raw === "number") return raw;
    return typeof raw === "string" && raw in FLOAT_WORDS ? (FLOAT_WORDS[raw] as number) : bad();
  }
  return Number.isInteger(raw) ? (raw as number) : bad();
}

/** What createZarrArray asks for, already validated. */
export interface ArraySpec {
  readonly zarrFormat: 2 | 3;
  readonly shape: readonly number[];
  readonly chunks: readonly number[];
  readonly dtype: BarnDType;
  readonly fillValue: ZarrScalar;
  readonly compressor: ZarrCompressor;
  readonly level: number;
}

/** A fill value in JSON: v2 and v3 both spell NaN and the infinities as strings. */
export function fillJson(v: ZarrScalar): unknown {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number" && !Number.isFinite(v))
    return Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity";
  return v;
}

/** The metadata document of a new array: its file name and text. */
export function arrayDocument(s: ArraySpec): { file: ".zarray" | "zarr.json"; text: string } {
  if (s.zarrFormat === 2) {
    const doc = {
      zarr_format: 2,
      shape: s.shape,
      chunks: s.chunks,
      dtype: v2DtypeOf(s.dtype),
      compressor: v2Compressor(s.compressor, s.level),
      fill_value: fillJson(s.fillValue),
      order: "C",
      filters: null,
      dimension_separator: ".",
    };
    return { file: ".zarray", text: JSON.stringify(doc, null, 2) };
  }
  const doc = {
    zarr_format: 3,
    node_type: "array",
    shape: s.shape,
    data_type: s.dtype,
    chunk_grid: { name: "regular", configuration: { chunk_shape: s.chunks } },
    chunk_key_encoding: { name: "default", configuration: { separator: "/" } },
    fill_value: fillJson(s.fillValue),
    codecs: v3Codecs(s.compressor, s.level, s.dtype),
    attributes: {},
  };
  return { file: "zarr.json", text: JSON.stringify(doc, null, 2) };
}

/** The metadata document of a group (written for each group above a new array). */
export function groupDocument(zarrFormat: 2 | 3): { file: ".zgroup" | "zarr.json"; text: string } {
  return zarrFormat === 2
    ? { file: ".zgroup", text: JSON.stringify({ zarr_format: 2 }) }
    : {
        file: "zarr.json",
        text: JSON.stringify({ zarr_format: 3, node_type: "group", attributes: {} }),
      };
}
