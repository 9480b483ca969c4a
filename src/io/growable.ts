/**
 * What the text readers' column builders (csv-fast.ts, json-columns.ts) share: typed arrays that
 * grow as rows arrive and are cut to length at the end, and null rows kept as a list until the
 * column's validity bitmap is made.
 */

/** Rows that are null, kept as a list (usually short) and turned into a bitmap at the end. */
export class NullRows {
  rows: number[] = [];
  bitmap(length: number): Uint8Array | undefined {
    if (this.rows.length === 0) return undefined;
    const bits = new Uint8Array((length + 7) >> 3).fill(0xff);
    if (length & 7) bits[bits.length - 1] = (1 << (length & 7)) - 1;
    for (const i of this.rows) bits[i >> 3]! &= ~(1 << (i & 7));
    return bits;
  }
}

export type NumberArray = Int32Array | Float64Array | BigInt64Array | Uint8Array;

/** A copy of `a` with room for `cap` elements. */
export function growTo<T extends NumberArray>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a as never);
  return b;
}

/**
 * The first `n` elements of `a`: a view when it uses most of `a`, else a copy, so a capacity
 * estimate far too high does not keep a large buffer alive behind a short column.
 */
export function fit<T extends NumberArray>(a: T, n: number): T {
  return (n * 2 >= a.length ? a.subarray(0, n) : a.slice(0, n)) as T;
}
