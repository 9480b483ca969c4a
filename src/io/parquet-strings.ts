/**
 * The strings of a Parquet string column as it is decoded: the UTF-8 bytes of each entry in
 * one growing buffer, addressed by entry number. A `dict` column's rows are entry numbers of a
 * store that merges equal byte strings (a hash table over the bytes), so dictionary pages, plain
 * pages after a dictionary that overflowed, and the chunks of every row group all give codes of
 * one dictionary without a JavaScript string ever being made per row (or per entry). A `utf8`
 * column's rows are entry numbers of a store that only appends, gathered into the column's
 * bytes and offsets at the end.
 */

import type { Column } from "../kernels/batch.js";

/** The hash table is kept at most half full. */
const LOAD = 2;

export class StringEntries {
  /** Bytes of every entry, entry i at `bytes[offsets[i]..offsets[i + 1])`. */
  private bytes = new Uint8Array(1024);
  private offsets = new Int32Array(257);
  /** Entries so far. */
  count = 0;
  /** Open addressing over entry numbers + 1 (0 = empty slot); only when `merge`. */
  private slots: Int32Array;
  /** Each entry's hash (to rehash without reading the bytes again). */
  private hashes: Int32Array;

  /** With `merge`, equal byte strings get one entry. */
  constructor(readonly merge: boolean) {
    this.slots = new Int32Array(merge ? 1024 : 0);
    this.hashes = new Int32Array(merge ? 256 : 0);
  }

  /** The entry number of `src[start..start + len)`: a new entry, or an equal one's when merging. */
  add(src: Uint8Array, start: number, len: number): number {
    if (!this.merge) return this.append(src, start, len, 0);
    let h = 0x811c9dc5 | 0; // as the Int32Array of hashes holds it, also for an empty string
    for (let i = start; i < start + len; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s]! - 1;
      if (e < 0) {
        const code = this.append(src, start, len, h);
        this.slots[s] = code + 1;
        if (this.count * LOAD > this.slots.length) this.rehash();
        return code;
      }
      if (this.hashes[e] === h && this.equals(e, src, start, len)) return e;
    }
  }

  private equals(e: number, src: Uint8Array, start: number, len: number): boolean {
    const a = this.offsets[e]!;
    if (this.offsets[e + 1]! - a !== len) return false;
    const b = this.bytes;
    for (let i = 0; i < len; i++) if (b[a + i] !== src[start + i]) return false;
    return true;
  }

  private append(src: Uint8Array, start: number, len: number, h: number): number {
    const code = this.count;
    const at = this.offsets[code]!;
    if (at + len > this.bytes.length) {
      const grown = new Uint8Array(Math.max(at + len, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
    }
    this.bytes.set(src.subarray(start, start + len), at);
    if (code + 2 > this.offsets.length) {
      const grown = new Int32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[code + 1] = at + len;
    if (this.merge) {
      if (code >= this.hashes.length) {
        const grown = new Int32Array(this.hashes.length * 2);
        grown.set(this.hashes);
        this.hashes = grown;
      }
      this.hashes[code] = h;
    }
    this.count = code + 1;
    return code;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let e = 0; e < this.count; e++) {
      let s = this.hashes[e]! & mask;
      while (slots[s] !== 0) s = (s + 1) & mask;
      slots[s] = e + 1;
    }
    this.slots = slots;
  }

  /** The entries as a utf8 column without nulls (a dict column's dictionary), copied to size. */
  column(): Column {
    const n = this.count;
    return {
      type: "utf8",
      length: n,
      data: this.bytes.slice(0, this.offsets[n]!),
      offsets: this.offsets.slice(0, n + 1),
    };
  }

  /**
   * A utf8 column whose row i is entry `codes[i]`, or empty where `nulls[i]` is 1 (the
   * validity is the caller's).
   */
  gather(codes: Int32Array, length: number, nulls: Uint8Array | undefined): Column {
    const offsets = new Int32Array(length + 1);
    const from = this.offsets;
    let total = 0;
    for (let i = 0; i < length; i++) {
      if (nulls === undefined || nulls[i] === 0) {
        const e = codes[i]!;
        total += from[e + 1]! - from[e]!;
      }
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    const src = this.bytes;
    for (let i = 0; i < length; i++) {
      const at = offsets[i]!;
      const len = offsets[i + 1]! - at;
      if (len === 0) continue;
      const f = from[codes[i]!]!;
      for (let j = 0; j < len; j++) data[at + j] = src[f + j]!;
    }
    return { type: "utf8", length, data, offsets };
  }
}
