/**
 * Counter-based random numbers: element n of an array seeded s is a function of (s, n) only, so
 * a chunk is the same on any worker, in any order, under any chunking. Element n is splitmix64's
 * output for the state key(s) + (n + 1) * GAMMA (a Weyl sequence through a 64-bit mix), its top
 * 53 bits scaled to [0, 1) as NumPy does; the kernel is a few i64 operations per double in
 * WebAssembly (exec/random-wasm.ts, with a 32-bit JS fallback giving the same values). Normals
 * pair elements (2m, 2m + 1) by Box-Muller.
 */
import { fillRowsUniform, fillUniform, keyOf, tileInBox } from "./random-wasm.js";

export type RandomDist =
  | { readonly dist: "random" }
  | { readonly dist: "normal"; readonly mean: number; readonly std: number }
  | { readonly dist: "integers"; readonly low: number; readonly high: number };

let lastSeed = -1;
let lastKey = 0n;

function keyFor(seed: number): bigint {
  if (seed !== lastSeed) {
    lastKey = keyOf(seed);
    lastSeed = seed;
  }
  return lastKey;
}

/**
 * Uniform doubles in [0, 1) for global elements [g, g + len) of seed `seed`, written to
 * out[at .. at + len).
 */
export function uniformRange(
  out: Float64Array,
  at: number,
  g: number,
  len: number,
  seed: number,
): void {
  if (len > 0) fillUniform(out, at, g, len, keyFor(seed));
}

/**
 * `rows` runs of `len` uniforms of seed `seed`, run r from element g0 + r * stride, one after
 * another into out[0 ..] (a tile of a chunk, in one kernel call).
 */
export function uniformRows(
  out: Float64Array,
  g0: number,
  stride: number,
  rows: number,
  len: number,
  seed: number,
): void {
  fillRowsUniform(out, 0, g0, stride, rows, len, keyFor(seed));
}

/**
 * uniformRows' values (at most 4096) left in tile slot `slot` of the generator's memory: a view
 * valid until that slot is filled again (random-wasm.ts `tileInBox`); null without WebAssembly.
 */
export function uniformTile(
  slot: number,
  g0: number,
  stride: number,
  rows: number,
  len: number,
  seed: number,
): Float64Array | null {
  return tileInBox(slot, g0, stride, rows, len, keyFor(seed));
}

/** Standard normals for elements [g, g + len) (pairs by Box-Muller on the pair's uniforms). */
export function normalRange(
  out: Float64Array,
  at: number,
  g: number,
  len: number,
  seed: number,
  mean: number,
  std: number,
): void {
  // Uniforms for the whole pairs covering the range, then the transform.
  const g0 = g - (g % 2);
  const g1 = g + len + ((g + len) % 2);
  const u = new Float64Array(g1 - g0);
  uniformRange(u, 0, g0, g1 - g0, seed);
  for (let m = 0; m < u.length; m += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - u[m]!));
    const th = 2 * Math.PI * u[m + 1]!;
    const e0 = g0 + m;
    if (e0 >= g && e0 < g + len) out[at + e0 - g] = mean + std * r * Math.cos(th);
    if (e0 + 1 >= g && e0 + 1 < g + len) out[at + e0 + 1 - g] = mean + std * r * Math.sin(th);
  }
}

/**
 * The chunk of `shape` starting at `start` of an array of `arrayShape`: each run along the last
 * dimension is a contiguous range of global element numbers.
 */
export function randomChunk(
  d: RandomDist,
  seed: number,
  shape: readonly number[],
  start: readonly number[],
  arrayShape: readonly number[],
  out: { length: number; [i: number]: number },
): void {
  const nd = shape.length;
  const L = nd === 0 ? 1 : shape[nd - 1]!;
  const rows = L === 0 ? 0 : out.length / L;
  const gst: number[] = new Array(nd);
  let acc = 1;
  for (let i = nd - 1; i >= 0; i--) {
    gst[i] = acc;
    acc *= arrayShape[i]!;
  }
  if (d.dist === "random" && out instanceof Float64Array && nd >= 2 && out.length > 0) {
    uniformPlanes(seed, shape, start, gst, out);
    return;
  }
  const tmp = out instanceof Float64Array && d.dist === "random" ? out : new Float64Array(L);
  const idx = new Array<number>(Math.max(0, nd - 1)).fill(0);
  for (let r = 0; r < rows; r++) {
    let g = nd === 0 ? 0 : start[nd - 1]!;
    for (let k = 0; k < nd - 1; k++) g += (start[k]! + idx[k]!) * gst[k]!;
    const at = tmp === out ? r * L : 0;
    if (d.dist === "normal") normalRange(tmp as Float64Array, at, g, L, seed, d.mean, d.std);
    else uniformRange(tmp as Float64Array, at, g, L, seed);
    if (tmp !== out) {
      const base = r * L;
      if (d.dist === "integers") {
        const span = d.high - d.low;
        for (let j = 0; j < L; j++) out[base + j] = d.low + Math.floor(tmp[j]! * span);
      } else for (let j = 0; j < L; j++) out[base + j] = tmp[j]!;
    }
    for (let k = nd - 2; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
}

/**
 * Uniforms for a chunk of 2 or more dimensions: each plane over the last two dimensions is
 * `rows` runs of `L` elements, `arrayShape[last]` apart, made by one kernel call per MiB.
 */
function uniformPlanes(
  seed: number,
  shape: readonly number[],
  start: readonly number[],
  gst: readonly number[],
  out: Float64Array,
): void {
  const nd = shape.length;
  const L = shape[nd - 1]!;
  const rows = shape[nd - 2]!;
  const plane = rows * L;
  const key = keyFor(seed);
  const idx = new Array<number>(nd - 2).fill(0);
  for (let at = 0; at < out.length; at += plane) {
    let g = start[nd - 1]! + start[nd - 2]! * gst[nd - 2]!;
    for (let k = 0; k < nd - 2; k++) g += (start[k]! + idx[k]!) * gst[k]!;
    fillRowsUniform(out, at, g, gst[nd - 2]!, rows, L, key);
    for (let k = nd - 3; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
}
