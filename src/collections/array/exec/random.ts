/**
 * Counter-based random numbers: element n of an array seeded s is a function of (s, n) only, so
 * a chunk is the same on any worker, in any order, under any chunking. Elements come in
 * globally aligned blocks of 64: block b's generator (xoshiro128**) is seeded by hashing
 * (s, b) with murmur3's finaliser, and element n is draw n mod 64 of block n / 64. Doubles take
 * 53 bits from two 32-bit draws (NumPy's construction); normals pair elements (2m, 2m + 1) by
 * Box-Muller, so a pair never straddles a block.
 */

export type RandomDist =
  | { readonly dist: "random" }
  | { readonly dist: "normal"; readonly mean: number; readonly std: number }
  | { readonly dist: "integers"; readonly low: number; readonly high: number };

const BLOCK = 64;

function fmix(h0: number): number {
  let h = h0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
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
  const seedLo = seed >>> 0;
  const seedHi = Math.floor(seed / 4294967296) >>> 0;
  const k0 = fmix(seedLo ^ 0x6a09e667);
  const k1 = fmix((seedHi + 0xbb67ae85) ^ k0);
  let w = at;
  const end = g + len;
  let n = g;
  while (n < end) {
    const b = Math.floor(n / BLOCK);
    const bLo = b >>> 0;
    const bHi = Math.floor(b / 4294967296) >>> 0;
    let s0 = fmix(bLo ^ k0);
    let s1 = fmix((s0 + bHi) ^ k1);
    let s2 = fmix((s1 + 0x3c6ef372) ^ k0);
    let s3 = fmix((s2 ^ 0xa54ff53a) + k1) | 1;
    const first = n - b * BLOCK;
    const last = Math.min(BLOCK, end - b * BLOCK);
    for (let j = 0; j < last; j++) {
      // Two xoshiro128** draws per element.
      let r = Math.imul(s1, 5);
      const x = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
      let t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      r = Math.imul(s1, 5);
      const y = Math.imul((r << 7) | (r >>> 25), 9) >>> 0;
      t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      if (j >= first) out[w++] = ((x >>> 5) * 67108864 + (y >>> 6)) / 9007199254740992;
    }
    n = b * BLOCK + last;
  }
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
