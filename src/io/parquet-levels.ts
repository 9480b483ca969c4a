/**
 * Definition levels of a flat OPTIONAL column (bit width 1, Parquet's RLE/bit-packed hybrid):
 * which rows of a page hold a value.
 *
 * Writers such as DuckDB declare every column OPTIONAL, so every page of a column without a
 * null still carries levels: one RLE run of 1s. That run is recognised from its header alone
 * and no level is expanded; otherwise the levels are expanded into `out` and counted in the
 * same pass (hyparquet's general decoder and a counting pass took about a tenth of a
 * DuckDB-written groupby).
 */

/** What a page's levels say. */
export interface Levels {
  /** Rows (of the first n) that hold a value. */
  readonly present: number;
  /** True when every one of the n rows holds a value (`out` was not written). */
  readonly all: boolean;
}

/**
 * Reads the levels of `n` rows from the hybrid runs in `src[pos..end)` into `out[0..n)` (1 =
 * value, 0 = null). Undefined when the runs end early or are not width-1 runs.
 */
export function readLevels(
  src: Uint8Array,
  pos: number,
  end: number,
  n: number,
  out: Uint8Array,
): Levels | undefined {
  let done = 0;
  let present = 0;
  let first = true;
  while (done < n) {
    let header = 0;
    let scale = 1;
    for (;;) {
      if (pos >= end || scale > 2 ** 28) return undefined;
      const b = src[pos++]!;
      header += (b & 127) * scale;
      scale *= 128;
      if (b < 128) break;
    }
    const runLength = Math.floor(header / 2);
    if (header % 2 === 0) {
      if (pos >= end) return undefined;
      const v = src[pos++]! & 1;
      if (first && v === 1 && runLength >= n) return { present: n, all: true };
      const take = Math.min(runLength, n - done);
      if (take === 0) return undefined;
      out.fill(v, done, done + take);
      present += v * take;
      done += take;
    } else {
      const take = Math.min(runLength * 8, n - done);
      if (pos + Math.ceil(take / 8) > end) return undefined;
      for (let i = 0; i < take; i++) {
        const v = (src[pos + (i >> 3)]! >> (i & 7)) & 1;
        out[done + i] = v;
        present += v;
      }
      pos += runLength;
      done += take;
    }
    first = false;
  }
  return { present, all: present === n };
}
