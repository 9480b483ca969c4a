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
    const literals = literalsOnly(input, size);
    if (literals === 1) return input.subarray(input.length - size);
    const out = base + Math.ceil(input.length / 8) * 8;
    const need = out + size;
    const have = wasm.memory.buffer.byteLength;
    if (need > have) wasm.memory.grow(Math.ceil((need - have) / PAGE));
    if (literals > 1) return copyLiterals(input, new Uint8Array(wasm.memory.buffer, out, size));
    new Uint8Array(wasm.memory.buffer, base, input.length).set(input);
    const code = wasm.uncompress(base, input.length, out);
    if (code !== 0) throw new Error(FAILURES[code] ?? `snappy decoding failed (code ${code})`);
    return new Uint8Array(wasm.memory.buffer, out, size);
  };
}

/**
 * How many elements the block has when every one is a literal (bytes stored as they are), or 0
 * when it has a copy or does not add up to `size`. Snappy stores data it cannot compress (the
 * random doubles of most numeric columns) as literals of up to 64 KiB each; those are copied
 * with the engine's memcpy (or not at all, for a single literal) instead of through the wasm
 * module, which first needs the input copied into its memory and then copies byte runs with
 * its own slower memcpy.
 */
function literalsOnly(input: Uint8Array, size: number): number {
  let pos = varintEnd(input);
  let total = 0;
  let count = 0;
  while (pos < input.length) {
    const tag = input[pos]!;
    if ((tag & 3) !== 0) return 0;
    const header = literalHeader(input, pos);
    if (header < 0) return 0;
    const len = literalLength(input, pos);
    pos += header + len;
    total += len;
    count++;
  }
  return pos === input.length && total === size ? count : 0;
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

/** A literal-only block (checked by literalsOnly) copied into `out`. */
function copyLiterals(input: Uint8Array, out: Uint8Array): Uint8Array {
  let pos = varintEnd(input);
  let at = 0;
  while (pos < input.length) {
    const header = literalHeader(input, pos);
    const len = literalLength(input, pos);
    out.set(input.subarray(pos + header, pos + header + len), at);
    pos += header + len;
    at += len;
  }
  return out;
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
