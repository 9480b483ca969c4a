/**
 * Validity bitmaps in Arrow's layout: bit i (LSB first) set when row i is not null. A column
 * without a bitmap has no nulls, so every helper treats `undefined` as "all valid".
 */

/** True when row `i` is not null. */
export function isValid(valid: Uint8Array | undefined, i: number): boolean {
  return valid === undefined || ((valid[i >> 3]! >> (i & 7)) & 1) === 1;
}

/** A bitmap of `n` rows, all null (zeros) or all valid. */
export function newBitmap(n: number, allValid = false): Uint8Array {
  const b = new Uint8Array((n + 7) >> 3);
  if (allValid) b.fill(0xff);
  return b;
}

/** Mark row `i` valid. */
export function setValid(valid: Uint8Array, i: number): void {
  valid[i >> 3]! |= 1 << (i & 7);
}

/** Mark row `i` null. */
export function setNull(valid: Uint8Array, i: number): void {
  valid[i >> 3]! &= ~(1 << (i & 7));
}

/** The number of null rows among the first `n`. */
export function nullCount(valid: Uint8Array | undefined, n: number): number {
  if (valid === undefined) return 0;
  let c = 0;
  for (let i = 0; i < n; i++) if (((valid[i >> 3]! >> (i & 7)) & 1) === 0) c++;
  return c;
}

/** Rows valid in both (null propagation of a binary op); undefined when both have no nulls. */
export function andValidity(
  a: Uint8Array | undefined,
  b: Uint8Array | undefined,
  n: number,
): Uint8Array | undefined {
  if (a === undefined) return b === undefined ? undefined : b.slice(0, (n + 7) >> 3);
  if (b === undefined) return a.slice(0, (n + 7) >> 3);
  const out = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < out.length; i++) out[i] = a[i]! & b[i]!;
  return out;
}

/** `valid`, or undefined when it marks no row null (keeps "no bitmap = no nulls" tight). */
export function compactValidity(valid: Uint8Array | undefined, n: number): Uint8Array | undefined {
  return valid === undefined || nullCount(valid, n) === 0 ? undefined : valid;
}
