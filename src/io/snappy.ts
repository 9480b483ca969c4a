/**
 * Snappy decompression of Parquet pages with hysnappy's WebAssembly decoder (the snappy codec
 * hyparquet-compressors ships), run in memory this thread keeps.
 *
 * Why not hysnappy's exported function: `snappyUncompress(input, n)` compiles and instantiates
 * the module on every call, and `snappyUncompressor()` copies every page's output into a fresh
 * array. Fresh memory is what costs most on the machines measured here (see scratch.ts), and a
 * page is decoded, placed and dropped within one call. So this file instantiates the same
 * module once per thread and hands out a view of the output in the module's own memory, which
 * stays warm. On the benchmark's pages that decodes about 2.6x faster than hyparquet's
 * JavaScript decoder into a reused buffer (`node dist/bench/memory-and-snappy.js`).
 *
 * hysnappy carries its module as a base64 string inside js/uncompress.js and does not export
 * it, so the module is found there by its magic number and checked for the exports used below.
 * When that fails (another hysnappy layout, a bundle without node_modules), `snappyWasm`
 * answers undefined and callers use hyparquet's JavaScript decoder; a test pins that the wasm
 * path is live with the hysnappy version in package.json.
 */

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

/** The WebAssembly API as used here (the project's TypeScript lib, ES2023, has no wasm typings). */
interface Wasm {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;

interface SnappyExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly uncompress: (input: number, length: number, output: number) => number;
  /** Where the module's static data and stack end. */
  readonly __heap_base: { readonly value: number };
}

/**
 * Decompresses `input` into exactly `size` bytes. The view is valid until the next call in this
 * thread and while `input` is unchanged (a block of one literal is answered with a view of it).
 */
export type SnappyView = (input: Uint8Array, size: number) => Uint8Array;

const PAGE = 64 * 1024;
/** hysnappy's return codes (its js/uncompress.js). */
const FAILURES: Record<number, string> = {
  [-1]: "invalid snappy length header",
  [-2]: "missing snappy end marker",
  [-3]: "premature end of snappy input",
};

let loaded: SnappyView | null | undefined;

/** The wasm decoder of this thread, or undefined where hysnappy's module cannot be loaded. */
export function snappyWasm(): SnappyView | undefined {
  if (loaded === undefined) loaded = load() ?? null;
  return loaded ?? undefined;
}

function load(): SnappyView | undefined {
  try {
    const exports = instantiate();
    return exports === undefined ? undefined : viewer(exports);
  } catch {
    return undefined;
  }
}

function instantiate(): SnappyExports | undefined {
  const require = createRequire(import.meta.url);
  const entry = require.resolve("hysnappy");
  const source = readFileSync(entry.replace(/index\.js$/, "uncompress.js"), "utf8");
  // "AGFzbQ" is base64 for the wasm magic number, "\0asm".
  const encoded = /['"`](AGFzbQ[A-Za-z0-9+/=]+)['"`]/.exec(source)?.[1];
  if (encoded === undefined) return undefined;
  const module = new wasmApi.Module(Buffer.from(encoded, "base64"));
  const e = new wasmApi.Instance(module).exports as Partial<SnappyExports>;
  if (
    !(e.memory?.buffer instanceof ArrayBuffer) ||
    typeof e.uncompress !== "function" ||
    typeof e.__heap_base?.value !== "number"
  )
    return undefined;
  return e as SnappyExports;
}

function viewer(wasm: SnappyExports): SnappyView {
  // The module's data and stack end at __heap_base; input and output go after it.
  const base = Math.ceil(wasm.__heap_base.value / 8) * 8;
  return (input, size) => {
    const declared = declaredLength(input);
    if (declared !== size)
      throw new Error(`snappy block declares ${declared} bytes where the page header says ${size}`);
    if (input.length >= size * BARELY) {
      const one = singleLiteral(input, size);
      if (one >= 0) return input.subarray(one, one + size);
    }
    const out = base + Math.ceil(input.length / 8) * 8;
    const need = out + size;
    const have = wasm.memory.buffer.byteLength;
    if (need > have) wasm.memory.grow(Math.ceil((need - have) / PAGE));
    if (input.length >= size * BARELY) {
      const view = new Uint8Array(wasm.memory.buffer, out, size);
      if (decodeMostlyLiterals(input, view)) return view;
    }
    new Uint8Array(wasm.memory.buffer, base, input.length).set(input);
    const code = wasm.uncompress(base, input.length, out);
    if (code !== 0) throw new Error(FAILURES[code] ?? `snappy decoding failed (code ${code})`);
    return new Uint8Array(wasm.memory.buffer, out, size);
  };
}

/**
 * A block at least this fraction of its output is barely compressed: it is mostly literals
 * (bytes stored as they are), which is how snappy stores data it cannot compress, such as the
 * random doubles of most numeric columns (in literals of up to 64 KiB, with a few short copies
 * where definition levels repeat). Such a block is decoded here, its literals copied with the
 * engine's memcpy, instead of by the wasm module, which needs the input copied into its memory
 * first and then copies runs with its own slower memcpy (the frame bench's
 * groupby-parquet-duckdb case shows the difference). Anything that does not add up goes to the
 * module, which says what is wrong.
 */
const BARELY = 0.9;
/**
 * Past this many elements, the JavaScript path keeps going only while they average
 * LARGE_ELEMENT bytes.
 */
const FEW_ELEMENTS = 32;
const LARGE_ELEMENT = 4096;

/** Where the data of a block made of one literal of `size` bytes starts, or -1. */
function singleLiteral(input: Uint8Array, size: number): number {
  const pos = varintEnd(input);
  if (pos >= input.length || (input[pos]! & 3) !== 0) return -1;
  const header = literalHeader(input, pos);
  if (header < 0) return -1;
  return literalLength(input, pos) === size && pos + header + size === input.length
    ? pos + header
    : -1;
}

/** Bytes of a literal's tag and length at `pos` (1 to 5), or -1 past the end of the input. */
function literalHeader(input: Uint8Array, pos: number): number {
  const code = input[pos]! >>> 2;
  const extra = code < 60 ? 0 : code - 59;
  return pos + extra < input.length ? 1 + extra : -1;
}

/** The length of the literal whose tag is at `pos` (its header checked by literalHeader). */
function literalLength(input: Uint8Array, pos: number): number {
  const code = input[pos]! >>> 2;
  if (code < 60) return code + 1;
  let n = 0;
  for (let b = 0; b < code - 59; b++) n += input[pos + 1 + b]! * 2 ** (8 * b);
  return n + 1;
}

/**
 * Decodes a whole block into `out` (exactly its length): literals with `set`, copies (a length
 * and an offset back into the output) with `copyWithin` or, where they overlap what they
 * write, byte by byte. False when the block is damaged (the caller then lets the module report it).
 */
function decodeMostlyLiterals(input: Uint8Array, out: Uint8Array): boolean {
  let pos = varintEnd(input);
  let at = 0;
  let elements = 0;
  const end = input.length;
  while (pos < end) {
    // Many short elements (a writer that emits small literals between copies) are the module's
    // job: a call per element here made Barn's own files several times slower to read (the
    // frame bench's groupby-parquet case shows it).
    if (++elements > FEW_ELEMENTS && at < elements * LARGE_ELEMENT) return false;
    const tag = input[pos]!;
    const kind = tag & 3;
    if (kind === 0) {
      const header = literalHeader(input, pos);
      if (header < 0) return false;
      const len = literalLength(input, pos);
      const from = pos + header;
      if (from + len > end || at + len > out.length) return false;
      out.set(input.subarray(from, from + len), at);
      pos = from + len;
      at += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      if (pos + 1 >= end) return false;
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) + input[pos + 1]!;
      pos += 2;
    } else {
      const bytes = kind === 2 ? 2 : 4;
      if (pos + bytes >= end) return false;
      len = (tag >>> 2) + 1;
      offset = 0;
      for (let b = 0; b < bytes; b++) offset += input[pos + 1 + b]! * 2 ** (8 * b);
      pos += 1 + bytes;
    }
    if (offset === 0 || offset > at || at + len > out.length) return false;
    if (offset >= len) out.copyWithin(at, at - offset, at - offset + len);
    else for (let i = 0; i < len; i++) out[at + i] = out[at - offset + i]!;
    at += len;
  }
  return at === out.length;
}

/** Where the block's length varint ends. */
function varintEnd(input: Uint8Array): number {
  let i = 0;
  while (i < 5 && i < input.length && input[i]! >= 128) i++;
  return i + 1;
}

/** The uncompressed length a snappy block starts with (a little-endian base-128 varint). */
function declaredLength(input: Uint8Array): number {
  let n = 0;
  for (let i = 0, shift = 1; i < 5 && i < input.length; i++, shift *= 128) {
    const b = input[i]!;
    n += (b & 127) * shift;
    if (b < 128) return n;
  }
  return -1;
}
