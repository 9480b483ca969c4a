/**
 * A data page's dictionary indices (Parquet's RLE/bit-packed hybrid encoding) read straight
 * into a column's codes through a map from the chunk's dictionary index to the column's code.
 *
 * hyparquet reads this encoding for everything else (definition levels, the general reader);
 * this loop exists because indices are the bulk of a dictionary column's bytes and hyparquet's
 * decoder walks them a bit-window at a time through a DataView into an array of any type
 * (about 6 ns per index on the benchmark's 10-bit keys, then a pass for the map). Here a bit-packed index is one
 * unaligned 32-bit load, a shift and a mask, and the map lookup is fused in, so the codes are
 * written once. Tests compare it with hyparquet's decoder on random runs of every width.
 */

/**
 * Reads `count` indices of `width` bits (0-32) from `src` (the hybrid runs, without a length
 * prefix) and writes `map[index]` to `out[at..at + count)`. False when the runs end early or an
 * index is past the map, so the caller can fall back to a reader that reports the damage.
 */
export function unpackIndices(
  src: Uint8Array,
  width: number,
  map: Int32Array,
  out: Int32Array,
  at: number,
  count: number,
): boolean {
  if (width < 0 || width > 32) return false;
  const size = map.length;
  if (width === 0) {
    // Every index is 0 (a one-entry dictionary); writers may leave the runs out.
    if (size === 0) return false;
    out.fill(map[0]!, at, at + count);
    return true;
  }
  const end = src.length;
  let pos = 0;
  let done = 0;
  while (done < count) {
    // Run header: an unsigned LEB128 varint; the low bit says bit-packed (1) or RLE (0).
    let header = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end || scale > 2 ** 28) return false;
      const b = src[pos++]!;
      header += (b & 127) * scale;
      scale *= 128;
      if (b < 128) break;
    }
    const runLength = Math.floor(header / 2);
    if (header % 2 === 1) {
      // Bit-packed: runLength groups of 8 values, width bytes per group.
      const take = Math.min(runLength * 8, count - done);
      const bytes = runLength * width;
      if (pos + Math.ceil((take * width) / 8) > end) return false;
      if (!unpackRun(src, pos, width, take, map, out, at + done)) return false;
      pos += bytes;
      done += take;
    } else {
      // RLE: one value of ceil(width / 8) bytes, repeated runLength times.
      const valueBytes = (width + 7) >> 3;
      if (pos + valueBytes > end || runLength === 0) return false;
      let v = 0;
      for (let b = 0; b < valueBytes; b++) v += src[pos + b]! * 2 ** (8 * b);
      pos += valueBytes;
      if (v >= size) return false;
      const take = Math.min(runLength, count - done);
      out.fill(map[v]!, at + done, at + done + take);
      done += take;
    }
  }
  return true;
}

/** `take` values of `width` bits packed from byte `pos` (LSB first), mapped into `out[o..]`. */
function unpackRun(
  src: Uint8Array,
  pos: number,
  width: number,
  take: number,
  map: Int32Array,
  out: Int32Array,
  o: number,
): boolean {
  const size = map.length;
  let i = 0;
  if (width <= 25) {
    // Any value lies within the 4 bytes from its first: one unaligned 32-bit load, for every
    // value whose 4 bytes are inside `src`.
    const mask = 2 ** width - 1;
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const loadable =
      src.length < pos + 4 ? 0 : Math.floor(((src.length - 4 - pos) * 8) / width) + 1;
    const fast = Math.min(take, loadable);
    for (let bit = 0; i < fast; i++, bit += width) {
      const v = (view.getUint32(pos + (bit >>> 3), true) >>> (bit & 7)) & mask;
      if (v >= size) return false;
      out[o + i] = map[v]!;
    }
  }
  // The last few values (or every value of a width over 25).
  return unpackTail(src, pos, width, i, take, map, out, o);
}

/** Values i..take of a bit-packed run, bit by bit, reading only bytes inside `src`. */
function unpackTail(
  src: Uint8Array,
  pos: number,
  width: number,
  i: number,
  take: number,
  map: Int32Array,
  out: Int32Array,
  o: number,
): boolean {
  const size = map.length;
  for (let bit = i * width; i < take; i++, bit += width) {
    let v = 0;
    for (let b = 0; b < width; b++) {
      const at = bit + b;
      const byte = src[pos + (at >>> 3)] ?? 0;
      v += ((byte >>> (at & 7)) & 1) * 2 ** b;
    }
    if (v >= size) return false;
    out[o + i] = map[v]!;
  }
  return true;
}
